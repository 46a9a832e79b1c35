// End to end through the real CLI on the sample corpus: ingest, search modes, exact filters,
// similar across regions, re-ingest, replace, remove, and bad input.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, rmSync, copyFileSync, writeFileSync, readFileSync, readdirSync, mkdirSync, realpathSync, renameSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SUPPORTED_EXTENSIONS } from '../pipeline/readText.ts';
import { fazhi, fazhiJson, ROOT } from './helpers/cli.ts';

const base = path.basename;
let dataDir: string;
let work: string;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-cli-data-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-cli-work-'));
  const r = fazhi(['ingest', 'corpus', '--data-dir', dataDir]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/5 added/);
  // A new data dir's first vector index is a build, not a lost file (that one says "missing").
  expect(r.stderr).toMatch(/vector index .*hnsw\.bin: building it from the store \(126 vectors\)/);
  expect(r.stderr).not.toMatch(/missing/);
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('search', () => {
  it('finds the report that names a measure, as JSON and as text', () => {
    const results = fazhiJson(['--data-dir', dataDir, 'search', '双随机、一公开', '--k', '5']);
    expect(base(results[0].source)).toBe('000_58c1e1fb0637adbd.txt');
    expect(results[0].text).toContain('双随机');
    const human = fazhi(['search', '双随机、一公开', '--data-dir', dataDir, '--k', '2']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('威海市环翠区人民政府关于2023年法治政府建设情况的报告');
    expect(human.stdout).toContain('山东省/威海市/环翠区');
    expect(fazhiJson(['search', '双随机、一公开', '--data-dir', dataDir, '-k', '2'])).toHaveLength(2);
  });

  it("notes the reports' words a question in users' words was also searched for; --no-expand searches only its own", () => {
    const question = '政府当被告打官司，输的比例有多高';
    const expanded = fazhi(['search', question, '--data-dir', dataDir, '--mode', 'lexical', '--k', '3']);
    expect(expanded.code, expanded.stderr).toBe(0);
    expect(expanded.stderr).toMatch(/note: also searched for the reports' words .*败诉率/);
    const own = fazhi(['search', question, '--data-dir', dataDir, '--mode', 'lexical', '--k', '3', '--no-expand']);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).not.toMatch(/also searched/);
    // The sample reports state 败诉率 where the question says 输的比例.
    expect(expanded.stdout).toContain('败诉率');
    expect(own.stdout).not.toEqual(expanded.stdout);
    expect(fazhi(['search', '述法', '--data-dir', dataDir, '--k', '1']).stderr).not.toMatch(/also searched/);
  });

  it("FAZHI_THESAURUS adds a region's own words after the bundled ones; a malformed file is an error naming its line", () => {
    const own = path.join(work, 'own-words.tsv');
    writeFileSync(own, '# 本地说法\n诉讼服务品牌\t榴乡诉递\n');
    const query = '枣庄的诉讼服务品牌';
    const plain = fazhi(['search', query, '--data-dir', dataDir, '--mode', 'lexical', '--k', '1']);
    expect(plain.stderr).not.toMatch(/also searched/);
    const withOwn = fazhi(['search', query, '--data-dir', dataDir, '--mode', 'lexical', '--k', '1', '--json'], { FAZHI_THESAURUS: own });
    expect(withOwn.code, withOwn.stderr).toBe(0);
    expect(withOwn.stderr).toMatch(/also searched for the reports' words 榴乡诉递/);
    expect(JSON.parse(withOwn.stdout).results[0].text).toContain('榴乡诉递');
    writeFileSync(own, '诉讼服务品牌 榴乡诉递\n');
    const bad = fazhi(['search', query, '--data-dir', dataDir, '--k', '1'], { FAZHI_THESAURUS: own });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${own}:1: expected the user words, a tab`);
  });

  it('prints the documented JSON shape with the passage text as in the report', () => {
    const [r] = fazhiJson(['search', '三调联动', '--data-dir', dataDir, '--k', '1']);
    expect(Object.keys(r).sort()).toEqual(['id', 'jurisdiction', 'kind', 'score', 'section', 'source', 'text', 'title', 'year'].sort());
    expect(r.kind).toBe('法治政府建设年度报告');
    // Sources are canonical: real paths relative to the source root (by default the folder holding
    // the data dir, here the temp dir), absolute for files outside it — which the repo may or may
    // not be, depending on where it is cloned.
    const sourceRoot = realpathSync(path.dirname(dataDir));
    const file = path.join(realpathSync(ROOT), 'corpus', '003_49b691710f879f5c.txt');
    const rel = path.relative(sourceRoot, file);
    expect(r.source).toBe(rel.startsWith('..') ? file : rel);
    expect(r.jurisdiction).toEqual({ province: '山东省', city: '枣庄市', county: '峄城区', code: '370404' });
    expect(r.year).toBe(2023);
    // Original characters (full-width punctuation kept); only page-break line breaks are gone.
    const flat = (t: string) => t.replace(/\s+/g, '');
    expect(flat(readFileSync(path.resolve(sourceRoot, r.source), 'utf8'))).toContain(flat(r.text));
    expect(r.text).toContain('“三调联动”');
  });

  // Filter semantics in every mode are covered in-process by integration.test.ts; here the
  // flags themselves: short names, year ranges, sections.
  it('turns filter flags into exact filters', () => {
    const henan = fazhiJson(['--data-dir', dataDir, 'search', '行政复议', '--province', '河南', '--k', '20']);
    expect(henan.length).toBeGreaterThan(0);
    expect(henan.every((r) => r.jurisdiction.province === '河南省')).toBe(true);
    const weihai = fazhiJson(['--data-dir', dataDir, 'search', '行政复议', '--mode', 'dense', '--city', '威海', '--section', '成效', '--k', '30']);
    expect(new Set(weihai.map((r) => base(r.source)))).toEqual(new Set(['000_58c1e1fb0637adbd.txt', '002_cdd31fdd8f412dcc.txt']));
    expect(weihai.every((r) => r.section === '成效')).toBe(true);
    const county = fazhiJson(['--data-dir', dataDir, 'search', '调解', '--county', '环翠', '--from', '2023', '--to', '2023', '--mode', 'lexical']);
    expect(county.length).toBeGreaterThan(0);
    expect(county.every((r) => r.jurisdiction.county === '环翠区' && r.year === 2023)).toBe(true);
    const other = fazhiJson(['--data-dir', dataDir, 'search', '法治政府建设', '--section', '其他', '--mode', 'lexical', '--k', '20']);
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((r) => r.section === '其他')).toBe(true);
  });

  it('groups by report', () => {
    const rows = fazhiJson(['--data-dir', dataDir, 'search', '领导干部带头讲法治', '--by', 'report', '--k', '5']);
    const sources = rows.map((r) => r.source);
    expect(new Set(sources).size).toBe(sources.length);
    expect(rows.every((r) => (r.passages ?? []).length > 0)).toBe(true);
  });

  it('--offset shows a later page of the same ranking, numbered on from it, for search and similar', () => {
    const ids = (args: string[]) => fazhiJson(['--data-dir', dataDir, ...args]).map((r) => r.id);
    const whole = ids(['search', '行政复议', '--k', '8']);
    expect(whole).toHaveLength(8);
    expect(ids(['search', '行政复议', '--k', '4', '--offset', '4'])).toEqual(whole.slice(4));
    const text = fazhi(['search', '行政复议', '--k', '2', '--offset', '4', '--data-dir', dataDir]).stdout;
    expect(text.match(/^\d+\. /gm)).toEqual(['5. ', '6. ']);
    expect(text).toContain(`#${whole[4]} `);
    const reports = fazhiJson(['--data-dir', dataDir, 'search', '行政复议', '--by', 'report', '--k', '4']).map((r) => r.source);
    expect(fazhiJson(['--data-dir', dataDir, 'search', '行政复议', '--by', 'report', '--k', '2', '--offset', '2']).map((r) => r.source)).toEqual(reports.slice(2));
    expect(ids(['similar', String(whole[0]), '--k', '2', '--offset', '2'])).toEqual(ids(['similar', String(whole[0]), '--k', '4']).slice(2));
    const past = fazhi(['search', '行政复议', '--offset', '5000', '--data-dir', dataDir]);
    expect(past.code).toBe(0);
    expect(past.stdout.trim()).toBe('No results after the first 5000.');
  });

  it('list takes the region, year and kind filters search takes', () => {
    const sources = (args: string[]) => (JSON.parse(fazhi(['list', '--json', '--data-dir', dataDir, ...args]).stdout) as { reports: { source: string }[] }).reports.map((r) => base(r.source));
    expect(sources([])).toHaveLength(5);
    expect(sources(['--province', '河南'])).toEqual(['004_e41503e62c4741d1.txt']);
    expect(sources(['--city', '威海', '--year', '2023'])).toEqual(['000_58c1e1fb0637adbd.txt', '002_cdd31fdd8f412dcc.txt']);
    expect(sources(['--from', '2022', '--to', '2022'])).toEqual(['001_9888fa626719769d.txt']);
    const none = fazhi(['list', '--kind', 'law', '--data-dir', dataDir]);
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('No stored report matches the filters.');
    const bad = fazhi(['list', '--province', '火星', '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--province');
  });

  it('answers lexical search from the store alone, without loading the vector index', () => {
    const copy = path.join(work, 'unreadable-index');
    cpSync(dataDir, copy, { recursive: true });
    // An unreadable index file: whoever loads it says so and rebuilds it in memory.
    writeFileSync(path.join(copy, 'hnsw.bin'), 'not an index');
    const lexical = fazhi(['search', '双随机、一公开', '--data-dir', copy, '--mode', 'lexical', '--json']);
    expect(lexical.code, lexical.stderr).toBe(0);
    expect((JSON.parse(lexical.stdout) as { results: { text: string }[] }).results[0]!.text).toContain('双随机');
    expect(lexical.stderr).not.toMatch(/vector index/);
    const hybrid = fazhi(['search', '双随机、一公开', '--data-dir', copy, '--json']);
    expect(hybrid.code, hybrid.stderr).toBe(0);
    expect(hybrid.stderr).toMatch(/vector index .*hnsw\.bin.*rebuilding from the store/);
  });
});

describe('document kind', () => {
  it('--kind keeps to one kind of document, exactly, in every mode and for similar', () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'fazhi-cli-kind-'));
    try {
      const docs = path.join(own, 'docs');
      mkdirSync(docs);
      copyFileSync(path.join(ROOT, 'corpus/000_58c1e1fb0637adbd.txt'), path.join(docs, 'report.txt'));
      writeFileSync(
        path.join(docs, '威海市行政执法监督条例.md'),
        '# 威海市行政执法监督条例\n\n第一条 为了加强行政执法监督，推行“双随机、一公开”监管，制定本条例。\n\n' +
          '第二条 本市行政执法监督工作适用本条例。行政执法人员应当持证上岗，严格执法资格管理。\n\n' +
          '第三条 行政执法机关应当落实行政执法公示、执法全过程记录、重大执法决定法制审核制度。\n',
      );
      expect(fazhi(['ingest', docs, '--data-dir', own]).code).toBe(0);
      // Each CLI call loads the model: every mode for one kind, one mode for the others.
      const runs: [string, string, string][] = [
        ['法律法规', 'lexical', '法律法规'],
        ['law', 'dense', '法律法规'],
        ['法律法规', 'hybrid', '法律法规'],
        ['法治政府建设年度报告', 'hybrid', '法治政府建设年度报告'],
      ];
      for (const [kind, mode, expected] of runs) {
        const rows = fazhiJson(['search', '双随机一公开 行政执法', '--kind', kind, '--mode', mode, '--k', '20', '--data-dir', own]);
        expect(rows.length, `${kind} ${mode}`).toBeGreaterThan(0);
        expect(rows.every((r) => r.kind === expected), `${kind} ${mode}`).toBe(true);
      }
      const [law] = fazhiJson(['search', '执法资格管理', '--kind', 'law', '--k', '1', '--data-dir', own]);
      expect(fazhiJson(['similar', String(law.id), '--kind', '法律法规', '--data-dir', own]).every((r) => r.kind === '法律法规')).toBe(true);
      const bad = fazhi(['search', '行政执法', '--kind', '条例', '--data-dir', own]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--kind');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('similar', () => {
  it('finds practices in other regions only', () => {
    const [seed] = fazhiJson(['--data-dir', dataDir, 'search', '三调联动 人民调解 行政调解 司法调解', '--k', '1']);
    expect(base(seed.source)).toBe('003_49b691710f879f5c.txt');
    const rows = fazhiJson(['--data-dir', dataDir, 'similar', String(seed.id), '--other-regions', '--k', '8']);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.jurisdiction.county !== '峄城区' && r.source !== seed.source)).toBe(true);
    const byText = fazhiJson(['--data-dir', dataDir, 'similar', '--text', '整合人民调解、行政调解、司法调解资源', '--k', '3']);
    expect(byText.length).toBe(3);
    // As search does, similar says when even its best match is noise, and not otherwise.
    const marks = fazhi(['--data-dir', dataDir, 'similar', '--text', '！！！。。。', '--k', '1']);
    expect(marks.stderr).toMatch(/note: the best match scores 0\.\d\d, below 0\.1: nothing is similar to it/);
    expect(fazhi(['--data-dir', dataDir, 'similar', '--text', '整合人民调解、行政调解、司法调解资源', '--k', '1']).stderr).not.toContain('nothing is similar');
  });
});

/** A process's children, from /proc (no procps needed); a process gone meanwhile is left out. */
function childrenOf(parent: number): number[] {
  const parentOf = (pid: string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1;
    }
  };
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n) && parentOf(n) === parent).map(Number);
}

describe('serve', () => {
  it('a port already in use is an error naming --port, one process or several', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as net.AddressInfo).port);
    try {
      for (const workers of ['1', '2']) {
        const r = fazhi(['serve', '--data-dir', dataDir, '--port', port, '--workers', workers]);
        expect(r.code, `--workers ${workers}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(`fazhi: --port: ${port} is already in use on 127.0.0.1`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      taken.close();
    }
  });

  it('--workers 2: a process killed is replaced and the server keeps answering; SIGTERM stops it with 0', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/fazhi.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--workers', '2'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (done: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!done()) throw new Error(`${what} did not happen: ${stderr}`);
    };
    try {
      await until(() => /http:\/\/\S+/.test(stdout), 'listening');
      const url = stdout.match(/http:\/\/\S+/)![0].replace('localhost', '127.0.0.1');
      const pids = () => childrenOf(child.pid!);
      await until(() => pids().length === 2, 'two processes');
      process.kill(pids()[0]!, 'SIGKILL');
      await until(() => stderr.includes('starting another'), 'a replacement');
      await until(() => pids().length === 2, 'two processes again');
      const answered = await fetch(new URL('/api/status', url));
      expect(answered.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/fazhi serve: process \d+ exited \(SIGKILL\); starting another/);
  }, 120_000);

  it('a host that is no address of this machine, or that resolves to none, is an error naming --host', () => {
    const elsewhere = fazhi(['serve', '--data-dir', dataDir, '--host', '10.255.255.1', '--port', '0']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toBe('fazhi: --host: 10.255.255.1 is not an address of this machine\n');
    const unknown = fazhi(['serve', '--data-dir', dataDir, '--host', 'no-such-host.invalid', '--port', '0']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('fazhi: --host: no-such-host.invalid cannot be resolved to an address\n');
  });
});

describe('ingest lifecycle', () => {
  it('skips unchanged files, replaces changed ones, removes on request', () => {
    const again = fazhi(['ingest', 'corpus', '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 added, 0 replaced, 5 unchanged/);

    const own = mkdtempSync(path.join(os.tmpdir(), 'fazhi-cli-own-'));
    const file = path.join(own, 'report.txt');
    copyFileSync(path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), file);
    expect(fazhi(['ingest', file, '--data-dir', own]).stderr).toMatch(/1 added/);
    writeFileSync(file, readFileSync(file, 'utf8').replace('三门峡市创建法治政府建设示范市', '三门峡市创建全国文明典范城市'));
    expect(fazhi(['ingest', file, '--data-dir', own]).stderr).toMatch(/1 replaced/);
    const hits = fazhiJson(['search', '文明典范城市', '--data-dir', own, '--mode', 'lexical']);
    expect(hits[0].text).toContain('全国文明典范城市');
    expect(fazhiJson(['search', '示范市目标', '--data-dir', own, '--mode', 'lexical']).some((r) => r.text.includes('创建法治政府建设示范市目标'))).toBe(false);

    // Moved away, the report stays stored, and list says that its file is gone.
    const listedMissing = () => (JSON.parse(fazhi(['list', '--json', '--data-dir', own]).stdout) as { reports: { missing: boolean }[] }).reports.map((r) => r.missing);
    expect(listedMissing()).toEqual([false]);
    renameSync(file, `${file}.moved`);
    const listed = fazhi(['list', '--data-dir', own]).stdout;
    expect(listed).toMatch(/report\.txt \(file gone\) /);
    expect(listed).toMatch(/1 whose file is gone/);
    expect(listedMissing()).toEqual([true]);
    renameSync(`${file}.moved`, file);

    expect(fazhi(['remove', file, '--data-dir', own]).code).toBe(0);
    expect(fazhiJson(['search', '文明典范城市', '--data-dir', own, '--mode', 'lexical'])).toEqual([]);
    const missing = fazhi(['remove', file, '--data-dir', own]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(file);
    rmSync(own, { recursive: true, force: true });
  });

  it('reports bad files by name and still ingests the good ones', () => {
    const dir = path.join(work, 'mixed');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(ROOT, 'corpus/000_58c1e1fb0637adbd.txt'), path.join(dir, 'good.txt'));
    writeFileSync(path.join(dir, 'empty.txt'), '');
    writeFileSync(path.join(dir, 'binary.txt'), Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 7, 8]));
    const own = path.join(work, 'mixed-data');
    const r = fazhi(['ingest', dir, '--data-dir', own]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/1 added/);
    expect(r.stderr).toContain('empty.txt');
    expect(r.stderr).toContain('binary.txt');
    const status = JSON.parse(fazhi(['status', '--json', '--data-dir', own]).stdout) as { documents: number };
    expect(status.documents).toBe(1);
    // --json: the same outcome for a script, every failed file with its stage and reason.
    const json = fazhi(['ingest', dir, '--json', '--data-dir', path.join(work, 'mixed-json')]);
    expect(json.code, json.stderr).toBe(0);
    const outcome = JSON.parse(json.stdout) as { added: number; unchanged: number; failed: { source: string; stage: string; reason: string }[] };
    expect(outcome).toMatchObject({ added: 1, replaced: 0, unchanged: 0, aliased: 0 });
    expect(outcome.failed.map((f) => base(f.source)).sort()).toEqual(['binary.txt', 'empty.txt']);
    for (const f of outcome.failed) {
      expect(f.reason.length, f.source).toBeGreaterThan(0);
      expect(r.stderr, f.source).toContain(f.reason);
    }

    const allBad = fazhi(['ingest', path.join(dir, 'empty.txt'), '--data-dir', own]);
    expect(allBad.code).not.toBe(0);
    expect(allBad.stderr).toContain('empty.txt');
  });

  it('skips files and folders whose names start with . or _ inside a directory; a path named so is read', () => {
    const tree = path.join(work, 'hidden-tree');
    for (const dir of ['sub', '_drafts', '.hidden']) mkdirSync(path.join(tree, dir), { recursive: true });
    copyFileSync(path.join(ROOT, 'corpus/000_58c1e1fb0637adbd.txt'), path.join(tree, 'sub', 'report.txt'));
    copyFileSync(path.join(ROOT, 'corpus/001_9888fa626719769d.txt'), path.join(tree, '_drafts', 'draft.txt'));
    copyFileSync(path.join(ROOT, 'corpus/002_cdd31fdd8f412dcc.txt'), path.join(tree, '.hidden', 'a.txt'));
    copyFileSync(path.join(ROOT, 'corpus/003_49b691710f879f5c.txt'), path.join(tree, '.c.txt'));
    const own = path.join(work, 'hidden-data');
    const walked = fazhi(['ingest', tree, '--json', '--data-dir', own]);
    expect(walked.code, walked.stderr).toBe(0);
    expect(JSON.parse(walked.stdout)).toMatchObject({ added: 1, failed: [] });
    const listed = JSON.parse(fazhi(['list', '--json', '--data-dir', own]).stdout) as { reports: { source: string }[] };
    expect(listed.reports.map((r) => base(r.source))).toEqual(['report.txt']);
    const named = fazhi(['ingest', path.join(tree, '_drafts'), '--json', '--data-dir', own]);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ added: 1, failed: [] });
  });

  it('a directory without report files is an error naming it and the formats looked for, in both modes; beside other paths it is a skipped one', () => {
    const dir = path.join(work, 'no-reports');
    mkdirSync(path.join(dir, '_drafts'), { recursive: true });
    writeFileSync(path.join(dir, 'photo.png'), 'not a report');
    copyFileSync(path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), path.join(dir, '_drafts', 'draft.txt'));
    const own = path.join(work, 'no-reports-data');
    const reason = `no report files (${SUPPORTED_EXTENSIONS.join(', ')}) in it or its subfolders`;
    // The queue producer lists files with the same walker, before it asks Redis anything.
    for (const args of [['ingest', dir], ['ingest', dir, '--queue', '--redis-down-ms', '1000']]) {
      const r = fazhi([...args, '--data-dir', own], { REDIS_URL: 'redis://127.0.0.1:1' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`fazhi: ${dir}: ${reason}`);
      expect(existsSync(own), args.join(' ')).toBe(false);
    }
    const mixed = fazhi(['ingest', dir, path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), '--data-dir', own]);
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(mixed.stderr).toMatch(/1 added, .* 1 failed/);
    expect(mixed.stderr).toContain(`skipped ${dir}: ${reason}`);
  });

  it('a named file of no report type is bad input as a folder without reports is; beside other paths it is a skipped one', () => {
    const photo = path.join(work, 'scan.xyz');
    writeFileSync(photo, 'not a report');
    const own = path.join(work, 'no-type-data');
    const reason = `unsupported file type ".xyz"; supported: ${SUPPORTED_EXTENSIONS.join(', ')}`;
    const alone = fazhi(['ingest', photo, '--data-dir', own]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(`fazhi: ${photo}: ${reason}`);
    expect(existsSync(own)).toBe(false);
    const mixed = fazhi(['ingest', photo, path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), '--data-dir', own]);
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(mixed.stderr).toContain(`skipped ${photo}: ${reason}`);
  });

  it('rejects bad arguments with a message naming them', () => {
    const cases: [string[], string][] = [
      [['search', '   '], 'query'],
      [['search', 'x'.repeat(600)], 'query'],
      [['search', '复议', '--province', '火星'], '--province'],
      [['search', '复议', '--city', '不存在市'], '--city'],
      [['search', '复议', '--year', '1800'], '--year'],
      [['search', '复议', '--k', '0'], '--k'],
      [['search', '复议', '--mode', 'magic'], '--mode'],
      [['search', '复议', '--section', '开头'], '--section'],
      // Two parts named at once are no one part (it was read as the first, 成效).
      [['search', '复议', '--section', '成效不足'], '--section'],
      // Range errors come from the search layer, told with the flag typed.
      [['search', '复议', '--k', '500'], '--k: must be an integer from 1 to 100, not 500'],
      [['search', '复议', '--offset', '-3'], '--offset'],
      [['search', '复议', '--offset', '10001'], '--offset: must be an integer from 0 to 10000, not 10001'],
      [['search', '复议', '--from', '2023', '--to', '2020'], '--from: 2023 is after'],
      [['similar', '99999999'], 'passage-id: no passage with id 99999999'],
    ];
    for (const [args, name] of cases) {
      const r = fazhi([...args, '--data-dir', dataDir]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(name);
    }
  });
});
