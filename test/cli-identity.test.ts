// One document per file, through the real CLI: the same folder ingested under three spellings
// (relative, absolute, `.` from inside) stays one document per file; equal bytes under another
// path become an alias; `fazhi list` shows both; `remove` takes any spelling; a store that kept
// sources as typed is migrated by the next ingest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fazhi, fazhiJson, ROOT } from './helpers/cli.ts';
import { integrityCounts } from './helpers/storeSnapshot.ts';

interface Listed {
  source: string;
  title: string;
  jurisdiction: { province: string | null; city: string | null; county: string | null; code: string | null };
  year: number | null;
  passages: number;
  aliases: string[];
}

const FILES = ['000_58c1e1fb0637adbd.txt', '003_49b691710f879f5c.txt', '004_e41503e62c4741d1.txt'];
let work: string;
let project: string;
let reports: string;
let data: string;

function list(cwd = project): Listed[] {
  const r = fazhi(['list', '--json', '--data-dir', data], {}, cwd);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { reports: Listed[] }).reports;
}

beforeAll(() => {
  work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'fazhi-identity-')));
  project = path.join(work, 'project');
  reports = path.join(project, 'reports');
  data = path.join(project, 'data');
  mkdirSync(reports, { recursive: true });
  for (const f of FILES) copyFileSync(path.join(ROOT, 'corpus', f), path.join(reports, f));
  mkdirSync(path.join(work, 'elsewhere'));
  copyFileSync(path.join(ROOT, 'corpus', FILES[0]!), path.join(work, 'elsewhere', 'copy.txt'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('identity is the canonical path', () => {
  it('the same files as `reports`, `/abs/…/reports` and `.` from inside are one document each', () => {
    const first = fazhi(['ingest', 'reports', '--data-dir', 'data'], {}, project);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/3 added, 0 replaced, 0 unchanged/);
    const absolute = fazhi(['ingest', reports, '--data-dir', data]);
    expect(absolute.stderr).toMatch(/0 added, 0 replaced, 3 unchanged/);
    const inside = fazhi(['ingest', '.', '--data-dir', '../data'], {}, reports);
    expect(inside.stderr).toMatch(/0 added, 0 replaced, 3 unchanged/);

    const listed = list();
    // Relative to the source root, by default the folder holding the data dir.
    expect(listed.map((r) => r.source)).toEqual(FILES.map((f) => path.join('reports', f)));
    expect(listed.find((r) => r.source.endsWith(FILES[2]!))).toMatchObject({
      title: '陕州区司法局2023年度法治政府建设报告',
      jurisdiction: { province: '河南省', city: '三门峡市', county: '陕州区', code: '411203' },
      year: 2023,
      aliases: [],
    });
    expect(listed.every((r) => r.passages > 0)).toBe(true);
    expect(integrityCounts(data).documents).toBe(3);
  });

  it('records equal bytes under another path as an alias, and every hit shows once', () => {
    const r = fazhi(['ingest', path.join(work, 'elsewhere'), '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/0 added, 0 replaced, 0 unchanged, 0 passages, 0 failed, 1 recorded as aliases/);
    const listed = list();
    expect(listed).toHaveLength(3);
    // Outside the root: stored by its absolute real path.
    expect(listed[0]!.aliases).toEqual([path.join(work, 'elsewhere', 'copy.txt')]);
    const human = fazhi(['list', '--data-dir', data], {}, project);
    expect(human.stdout).toContain(`= ${path.join(work, 'elsewhere', 'copy.txt')} (same bytes)`);
    expect(fazhi(['ingest', path.join(work, 'elsewhere'), '--data-dir', data]).stderr).toMatch(/0 added, 0 replaced, 1 unchanged/);

    const hits = fazhiJson(['search', '双随机、一公开', '--mode', 'lexical', '--k', '20', '--data-dir', data]);
    const ids = hits.map((h) => h.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(hits.map((h) => h.source))).toEqual(new Set(hits.map((h) => h.source).filter((s) => s.startsWith('reports/'))));
  });

  it('removes by any spelling; removing the document keeps its alias as the document', () => {
    const gone = fazhi(['remove', `./${FILES[1]}`, '--data-dir', '../data'], {}, reports);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stderr).toContain(`removed ${path.join('reports', FILES[1]!)}`);
    const byAbsolute = fazhi(['remove', path.join(reports, FILES[0]!), '--data-dir', data]);
    expect(byAbsolute.code, byAbsolute.stderr).toBe(0);
    expect(byAbsolute.stderr).toContain(`stays stored under ${path.join(work, 'elsewhere', 'copy.txt')}`);
    expect(list().map((r) => r.source)).toEqual([path.join(work, 'elsewhere', 'copy.txt'), path.join('reports', FILES[2]!)]);
    // As `fazhi list` prints it, from another folder, of a file no longer on disk.
    rmSync(path.join(reports, FILES[2]!));
    const listedSpelling = fazhi(['remove', path.join('reports', FILES[2]!), '--data-dir', data], {}, work);
    expect(listedSpelling.code, listedSpelling.stderr).toBe(0);
    const unknown = fazhi(['remove', 'reports/nothing.txt', '--data-dir', data], {}, project);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('reports/nothing.txt');
    expect(unknown.stderr).toContain('fazhi list');
    copyFileSync(path.join(ROOT, 'corpus', FILES[2]!), path.join(reports, FILES[2]!));
  });

  it('migrates a store that kept sources as typed: spellings become canonical, one file twice becomes one document', () => {
    const legacy = path.join(project, 'legacy');
    expect(fazhi(['ingest', 'reports', '--data-dir', legacy], {}, project).code).toBe(0);
    const db = new Database(path.join(legacy, 'fazhi.sqlite'));
    try {
      // What the old CLI stored: the path as typed, once per spelling.
      db.prepare(`DELETE FROM meta WHERE key = 'source_identity'`).run();
      db.prepare(`UPDATE documents SET source = ? WHERE source = ?`).run(`./reports/${FILES[0]}`, `reports/${FILES[0]}`);
      db.prepare(`UPDATE documents SET source = ? WHERE source = ?`).run(path.join(reports, FILES[1]!), `reports/${FILES[1]}`);
      const columns = (db.prepare(`SELECT name FROM pragma_table_info('documents') WHERE name NOT IN ('id', 'source')`).pluck().all() as string[]).join(', ');
      db.prepare(`INSERT INTO documents (source, ${columns}) SELECT ?, ${columns} FROM documents WHERE source = ?`).run(FILES[2], `reports/${FILES[2]}`);
      db.prepare(`UPDATE documents SET ingested_at = '2000-01-01T00:00:00.000Z' WHERE source = ?`).run(FILES[2]);
    } finally {
      db.close();
    }
    // The stray copy was typed from inside reports/; it resolves from there.
    const r = fazhi(['ingest', '.', '--data-dir', '../legacy'], {}, reports);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sources: 2 stored path\(s\) rewritten as canonical paths under .*, 1 duplicate document\(s\) merged/);
    expect(r.stderr).toMatch(/0 added, 0 replaced, 3 unchanged/);
    const after = fazhi(['list', '--json', '--data-dir', legacy], {}, project);
    expect((JSON.parse(after.stdout) as { reports: Listed[] }).reports.map((x) => x.source)).toEqual(FILES.map((f) => path.join('reports', f)));
  });
});
