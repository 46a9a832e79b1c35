// Ingesting a directory reads only what lies inside it: a symlink leading outside is refused with
// a reason (listed with the other skipped files); one to a report inside is that report, stored
// once under its real path (a document's identity is its canonical path).
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReportFiles } from '../search/ingest.ts';
import { fazhi, ROOT } from './helpers/cli.ts';
import { snapshotStore } from './helpers/storeSnapshot.ts';

let work: string;
let dir: string;
let dataDir: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-symlink-'));
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-symlink-data-'));
  dir = path.join(work, 'reports');
  const outside = path.join(work, 'elsewhere');
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  mkdirSync(outside);
  copyFileSync(path.join(ROOT, 'corpus/000_58c1e1fb0637adbd.txt'), path.join(dir, 'a.txt'));
  copyFileSync(path.join(ROOT, 'corpus/002_cdd31fdd8f412dcc.txt'), path.join(dir, 'sub', 'b.txt'));
  copyFileSync(path.join(ROOT, 'corpus/003_49b691710f879f5c.txt'), path.join(outside, 'secret.txt'));
  symlinkSync(path.join(dir, 'sub', 'b.txt'), path.join(dir, 'link-inside.txt')); // absolute, inside
  symlinkSync('../elsewhere/secret.txt', path.join(dir, 'link-outside.txt')); // relative, outside
  symlinkSync(outside, path.join(dir, 'outside-dir')); // a directory outside
  symlinkSync('sub', path.join(dir, 'same-sub')); // a directory inside: not walked twice
  symlinkSync('missing.txt', path.join(dir, 'broken.txt'));
  symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'picture.png')); // not a report name
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('symlinks in an ingested directory', () => {
  it('lists links to reports inside, refuses links leading outside with the reason', async () => {
    const { files, failed } = await listReportFiles([dir]);
    expect(files).toEqual(['a.txt', 'link-inside.txt', 'sub/b.txt'].map((f) => path.join(dir, f)));
    expect(failed).toEqual([
      { source: path.join(dir, 'broken.txt'), stage: 'read', reason: 'broken symlink' },
      { source: path.join(dir, 'link-outside.txt'), stage: 'read', reason: `symlink points outside ${dir}` },
      { source: path.join(dir, 'outside-dir'), stage: 'read', reason: `symlink points outside ${dir}` },
    ]);
  });

  it('a file named explicitly is taken as given, link or not', async () => {
    const link = path.join(dir, 'link-outside.txt');
    expect(await listReportFiles([link])).toEqual({ files: [link], failed: [] });
  });

  it('fazhi ingest counts and prints the refused links with the other skipped files, and stores a linked report once', () => {
    const r = fazhi(['ingest', dir, '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 added, 0 replaced, 0 unchanged, \d+ passages, 3 failed/);
    expect(r.stderr).toContain(`skipped ${path.join(dir, 'link-outside.txt')}: symlink points outside ${dir}`);
    expect(r.stderr).toContain(`skipped ${path.join(dir, 'outside-dir')}: symlink points outside ${dir}`);
    // Sources are relative to the source root, by default the folder holding the data dir.
    const root = realpathSync(path.dirname(dataDir));
    expect(snapshotStore(dataDir).map((d) => path.relative(realpathSync(dir), path.resolve(root, d.source)))).toEqual(['a.txt', 'sub/b.txt']);
  });
});
