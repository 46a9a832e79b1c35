// Runs the real `fazhi` CLI in a child process, the way a user does.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/fazhi.js');
/** The five sample reports, as absolute paths in name order. */
export const CORPUS_FILES = readdirSync(path.join(ROOT, 'corpus'))
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => path.join(ROOT, 'corpus', f));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function fazhi(args: string[], env: NodeJS.ProcessEnv = {}, cwd: string = ROOT): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** For commands that talk to a server living in the test process itself (spawnSync would
 * block the event loop that has to answer them). */
export function fazhiAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface JsonResult {
  id: string | number;
  source: string;
  title: string;
  kind: string;
  jurisdiction: { province: string | null; city: string | null; county: string | null; code: string | null };
  year: number | null;
  section: string;
  text: string;
  score: number;
  passages?: JsonResult[];
}

export function fazhiJson(args: string[], env: NodeJS.ProcessEnv = {}, cwd: string = ROOT): JsonResult[] {
  const r = fazhi([...args, '--json'], env, cwd);
  if (r.code !== 0) throw new Error(`fazhi ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: JsonResult[] }).results;
}
