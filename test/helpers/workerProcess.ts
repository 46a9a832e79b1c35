// Worker processes as a deployment runs them: separate node processes, started and killed by
// the queue tests and the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process logged that every role is consuming. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * Runs `node <args>` in the repository root with REDIS_URL set, e.g.
 * `['bin/fazhi.js', 'worker', …]`.
 */
export function spawnWorker(args: string[], redisUrl: string): WorkerProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, REDIS_URL: redisUrl }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/ready on/.test(err)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${err}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, stderr: () => err };
}

export function isRunning(w: WorkerProcess): boolean {
  return w.child.exitCode === null && w.child.signalCode === null;
}

/** Peak resident set size of a live process (Linux VmHWM), in bytes; null where unavailable. */
export function peakRssOf(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
