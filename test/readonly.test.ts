// Read commands never write: search, similar, status and list open the store read-only, build a
// missing or behind vector index in memory and save nothing, so a data directory the process
// cannot write (a read-only mount, another user's directory) can be searched.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, fazhi, type CliResult } from './helpers/cli.ts';
import { INDEX_FILE, SIDECAR_FILE } from '../search/vectorIndex.ts';

const BIN = path.join(ROOT, 'bin/fazhi.js');
/** Root ignores file modes, so as root the read-only runs drop to nobody. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

let work: string;
let dataDir: string;

/** Runs the CLI as a user that cannot write `dir` (nobody when the tests run as root). */
function fazhiReadOnlyUser(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, HOME: work },
    timeout: 180_000,
    ...(AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function canWrite(dir: string): boolean {
  const probe = path.join(dir, 'probe');
  const r = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(probe)}, 'x')`], AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {});
  return r.status === 0;
}

/** Name, size and mtime of every file: what any write would change. */
function listing(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const st = statSync(path.join(dir, name));
      return `${name} ${st.size} ${st.mtimeMs}`;
    });
}

function readOnlyCopy(name: string, drop: string[] = []): string {
  const copy = path.join(work, name);
  cpSync(dataDir, copy, { recursive: true });
  for (const file of drop) rmSync(path.join(copy, file), { force: true });
  for (const file of readdirSync(copy)) chmodSync(path.join(copy, file), 0o444);
  chmodSync(copy, 0o555);
  return copy;
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-readonly-'));
  // The read-only user must be able to reach the copies.
  chmodSync(work, 0o755);
  dataDir = path.join(work, 'data');
  const r = fazhi(['ingest', 'corpus/000_58c1e1fb0637adbd.txt', 'corpus/003_49b691710f879f5c.txt', '--data-dir', dataDir]);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  if (!work) return;
  for (const dir of readdirSync(work)) chmodSync(path.join(work, dir), 0o755);
  rmSync(work, { recursive: true, force: true });
});

describe('read-only data directory', () => {
  it('is searched, with similar and status, by a process that cannot write it', () => {
    const copy = readOnlyCopy('ro-fresh');
    expect(canWrite(copy)).toBe(false);
    const before = listing(copy);

    const search = fazhiReadOnlyUser(['search', '双随机、一公开', '--data-dir', copy, '--k', '3', '--json']);
    expect(search.code, search.stderr).toBe(0);
    const results = (JSON.parse(search.stdout) as { results: { id: number; source: string }[] }).results;
    expect(path.basename(results[0]!.source)).toBe('000_58c1e1fb0637adbd.txt');

    const similar = fazhiReadOnlyUser(['similar', String(results[0]!.id), '--data-dir', copy, '--k', '2', '--json']);
    expect(similar.code, similar.stderr).toBe(0);
    const status = fazhiReadOnlyUser(['status', '--json', '--data-dir', copy]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ documents: 2, index: { fresh: true } });
    const list = fazhiReadOnlyUser(['list', '--json', '--data-dir', copy]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { reports: unknown[] }).reports).toHaveLength(2);
    expect(listing(copy)).toEqual(before);
  });

  it('builds a missing vector index in memory, says so, and saves nothing', () => {
    const copy = readOnlyCopy('ro-no-index', [INDEX_FILE, SIDECAR_FILE]);
    const before = listing(copy);
    const search = fazhiReadOnlyUser(['search', '三调联动', '--data-dir', copy, '--k', '1', '--mode', 'dense', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stderr).toMatch(/missing; rebuilding from the store/);
    expect((JSON.parse(search.stdout) as { results: unknown[] }).results).toHaveLength(1);
    expect(listing(copy)).toEqual(before);
  });

  it('leaves a writable data directory untouched too', () => {
    const copy = path.join(work, 'rw-no-index');
    cpSync(dataDir, copy, { recursive: true });
    rmSync(path.join(copy, INDEX_FILE));
    const before = listing(copy);
    const search = fazhi(['search', '三调联动', '--data-dir', copy, '--k', '1']);
    expect(search.code, search.stderr).toBe(0);
    expect(listing(copy)).toEqual(before);
  });
});
