// One writer per data directory in embedded mode: while one `fazhi ingest` (or remove, reindex)
// writes, a second is refused and leaves the first writing, instead of taking the store over and
// making the first fail at its next commit. A writer whose process is gone holds nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../search/store.ts';
import { fazhi, ROOT } from './helpers/cli.ts';

const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const SEED = path.join(ROOT, 'corpus', '000_58c1e1fb0637adbd.txt');
const work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-embedded-writer-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function holdStore(dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/embeddedWriter.ts', dataDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!pattern.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} from the writer (exit ${child.exitCode}):\n${out}\n${err}`);
      await sleep(20);
    }
  };
  return { child, exited, waitFor, send: (line: string) => child.stdin!.write(`${line}\n`), end: () => child.stdin!.end() };
}

function documents(dataDir: string): string[] {
  const store = Store.openReadOnly(dataDir);
  try {
    return store.documents().map((d) => d.source);
  } finally {
    store.close();
  }
}

describe('embedded writers on one data directory', () => {
  it('refuses a second writer while the first writes; the first goes on committing; then the second goes through', { timeout: 120_000 }, async () => {
    const dataDir = path.join(work, 'busy');
    const first = holdStore(dataDir);
    await first.waitFor(/holding/);
    for (const args of [['ingest', SEED], ['remove', 'held/none.txt']]) {
      const refused = fazhi([...args, '--data-dir', dataDir, '--model', MODEL_DIR]);
      expect(refused.code, args[0]).toBe(1);
      expect(refused.stderr, args[0]).toMatch(/another fazhi process \(pid \d+ on .+\) is writing to this data directory/);
      expect(refused.stderr, args[0]).not.toMatch(/queue writer|took over/);
    }
    first.send('a');
    await first.waitFor(/committed held\/0-a\.txt added/);
    first.end();
    await first.waitFor(/closed/);
    expect(await first.exited).toBe(0);
    const r = fazhi(['ingest', SEED, '--data-dir', dataDir, '--model', MODEL_DIR]);
    expect(r.code, r.stderr).toBe(0);
    const stored = documents(dataDir);
    expect(stored).toHaveLength(2);
    expect(stored).toContain('held/0-a.txt');
    expect(stored.some((s) => s.endsWith('000_58c1e1fb0637adbd.txt'))).toBe(true);
  });

  it('a writer killed mid-write holds nothing: the next one goes through at once', { timeout: 120_000 }, async () => {
    const dataDir = path.join(work, 'killed');
    const first = holdStore(dataDir);
    await first.waitFor(/holding/);
    first.child.kill('SIGKILL');
    await first.exited;
    const r = fazhi(['ingest', SEED, '--data-dir', dataDir, '--model', MODEL_DIR]);
    expect(r.code, r.stderr).toBe(0);
    const stored = documents(dataDir);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/000_58c1e1fb0637adbd\.txt$/);
  });
});
