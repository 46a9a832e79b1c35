// What the CLI does with a wrong data dir, hostile report text, bad flags, long --text and
// region names, through the real `fazhi` process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { STORE_FILE } from '../search/store.ts';
import { fazhi, fazhiJson, ROOT } from './helpers/cli.ts';

const ESC = '\u001b';
/** Clear screen, an OSC window title, a colour, an 8-bit CSI and a bidi override. */
const HOSTILE = `${ESC}[2J${ESC}]0;pwned\u0007${ESC}[31m红色\u009b2J\u202e`;
const NO_TRACE = /^\s+at /m;

let work: string;
let data: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-hygiene-'));
  data = path.join(work, 'data');
  const reports = path.join(work, 'reports');
  mkdirSync(reports);
  copyFileSync(path.join(ROOT, 'corpus/003_49b691710f879f5c.txt'), path.join(reports, 'yicheng.txt'));
  copyFileSync(path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), path.join(reports, 'shanzhou.txt'));
  // A report whose title and body carry terminal escape sequences.
  const text = readFileSync(path.join(ROOT, 'corpus/000_58c1e1fb0637adbd.txt'), 'utf8')
    .replace('威海市环翠区人民政府关于2023年法治政府建设情况的报告', `威海市环翠区人民政府关于2023年法治政府建设情况的报告${HOSTILE}`)
    .replace('双随机、一公开', `双随机、一公开${HOSTILE}`);
  writeFileSync(path.join(reports, `evil${ESC}[2J.txt`), text);
  const r = fazhi(['ingest', reports, '--data-dir', data]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/3 added/);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('data directory', () => {
  it('a missing one is an error naming it (exit 2) and is not created, except by ingest', () => {
    const missing = path.join(work, 'no-such-data');
    for (const args of [['status'], ['list'], ['search', '复议'], ['remove', 'x.txt'], ['similar', '1'], ['reindex'], ['serve']]) {
      const r = fazhi([...args, '--data-dir', missing]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`--data-dir: ${missing} does not exist`);
      expect(existsSync(missing), args.join(' ')).toBe(false);
    }
    const env = fazhi(['status'], { FAZHI_DATA_DIR: missing });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`FAZHI_DATA_DIR: ${missing} does not exist`);
    const empty = path.join(work, 'empty-folder');
    mkdirSync(empty);
    for (const args of [['search', '复议'], ['serve']]) {
      const noStore = fazhi([...args, '--data-dir', empty]);
      expect(noStore.code, args.join(' ')).toBe(2);
      expect(noStore.stderr, args.join(' ')).toContain(`--data-dir: ${empty} holds no store (${STORE_FILE}); \`fazhi ingest\` creates one`);
    }
  });

  it('naming a file, or a place that cannot be written, gives a message instead of a trace', () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'not a directory');
    for (const args of [['status'], ['ingest', path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt')]]) {
      const r = fazhi([...args, '--data-dir', file]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`--data-dir: ${file} is a file, not a directory`);
      expect(r.stderr).not.toMatch(NO_TRACE);
    }
    const under = fazhi(['ingest', path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), '--data-dir', path.join(file, 'data')]);
    expect(under.code).toBe(2);
    expect(under.stderr).toContain(`${path.join(file, 'data')}: `);
    expect(under.stderr).not.toMatch(NO_TRACE);
    // sysfs refuses new directories even to root (EPERM, or EROFS where mounted read-only).
    const sys = fazhi(['ingest', path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt'), '--data-dir', '/sys/fazhi-test-data']);
    expect(sys.code).toBe(2);
    expect(sys.stderr).toMatch(/^fazhi: \/sys\/fazhi-test-data: (operation not permitted|read-only file system|permission denied)/);
    expect(sys.stderr).not.toMatch(NO_TRACE);
  });

  it('a store written by another version: readers say which command upgrades it, without a trace', () => {
    const old = path.join(work, 'schema-2');
    mkdirSync(old);
    const db = new Database(path.join(old, STORE_FILE));
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '2');`);
    db.close();
    for (const args of [['search', '复议'], ['status']]) {
      const r = fazhi([...args, '--data-dir', old]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`${path.join(old, STORE_FILE)}: schema version 2, this program expects 3: written by an earlier version; run \`fazhi reindex\``);
      expect(r.stderr).not.toMatch(NO_TRACE);
    }
  });
});

describe('report text on a terminal', () => {
  it('search and list print no escape sequences or control characters', () => {
    const outputs = [
      fazhi(['search', '双随机、一公开', '--k', '3', '--data-dir', data]),
      fazhi(['search', '双随机、一公开', '--by', 'report', '--k', '3', '--data-dir', data]),
      fazhi(['list', '--data-dir', data]),
      fazhi(['list', '--json', '--data-dir', data]),
      fazhi(['search', '双随机、一公开', '--k', '3', '--json', '--data-dir', data]),
    ];
    for (const r of outputs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    }
    const [text] = outputs;
    // The sequences go whole (an OSC title's text with it); the text around them stays.
    expect(text!.stdout).toContain('双随机、一公开红色');
    expect(text!.stdout).not.toContain('pwned');
    expect(text!.stdout).toContain('evil.txt');
    // JSON keeps the text as stored, escaped.
    const json = JSON.parse(outputs[4]!.stdout) as { results: { text: string; source: string }[] };
    expect(json.results.some((r) => r.text.includes(HOSTILE))).toBe(true);
    expect(json.results.some((r) => r.source.endsWith(`evil${ESC}[2J.txt`))).toBe(true);
  });
});

describe('flags', () => {
  it('unknown flags and commands exit 2, as bad input; --help exits 0', () => {
    for (const args of [['search', '复议', '--bogus'], ['lst'], ['status', '--verbose'], []]) {
      const r = fazhi([...args, '--data-dir', data]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const help = fazhi(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('list');
    // `npm start` serves the web app; demo ingests corpus/ and prints sample searches.
    const demo = fazhi(['demo', '--help']);
    expect(demo.stdout).toContain('two sample searches');
    expect(demo.stdout).not.toContain('npm start');
    const search = fazhi(['search', '--help']);
    expect(search.stdout.replace(/\s+/g, ' ')).toContain('--section <s> only this part of the report: 成效 | 不足 | 职责 | 安排 | 其他');
    expect(search.stdout.replace(/\s+/g, ' ')).toContain('--offset <n> skip the first n results (passages, or reports with --by report)');
    // similar has no --by, so its help names none.
    const similar = fazhi(['similar', '--help']);
    expect(similar.stdout).not.toContain('--by');
    expect(similar.stdout.replace(/\s+/g, ' ')).toContain('--offset <n> skip the first n results: a later page');
  });

  it('ingest takes a long file list (12,000 paths, as a shell glob gives): the model then loads outside its worker thread', () => {
    // 384 KB of arguments crashed the model's worker thread (SIGSEGV) before cli/app.ts's limit.
    const reports = path.join(work, 'reports');
    const many = Array.from({ length: 12_000 }, (_, i) => path.join(reports, i % 2 === 0 ? 'yicheng.txt' : 'shanzhou.txt'));
    const r = fazhi(['ingest', ...many, '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/0 added, 0 replaced, 2 unchanged/);
  });

  it('similar --text takes up to 5,000 characters and names --text in its errors', () => {
    const sentence = '整合人民调解、行政调解、司法调解资源，推动矛盾纠纷多元化解。';
    const long = sentence.repeat(Math.ceil(5000 / sentence.length)).slice(0, 5000);
    const ok = fazhiJson(['similar', '--text', long, '--k', '3', '--data-dir', data]);
    expect(ok).toHaveLength(3);
    const tooLong = fazhi(['similar', '--text', `${long}调`, '--data-dir', data]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('--text: is 5001 characters; at most 5000');
    const empty = fazhi(['similar', '--text', '  ', '--data-dir', data]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--text');
  });

  it('similar --text --other-regions needs a home region and leaves it out; 陕县 resolves to 陕州区', () => {
    const text = '整合人民调解、行政调解、司法调解资源';
    const noHome = fazhi(['similar', '--text', text, '--other-regions', '--data-dir', data]);
    expect(noHome.code).toBe(2);
    expect(noHome.stderr).toContain('--other-regions');
    const everywhere = fazhiJson(['similar', '--text', text, '--k', '30', '--data-dir', data]);
    expect(everywhere.some((r) => r.jurisdiction.county === '峄城区')).toBe(true);
    const elsewhere = fazhiJson(['similar', '--text', text, '--other-regions', '--county', '峄城', '--k', '30', '--data-dir', data]);
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(elsewhere.every((r) => r.jurisdiction.county !== '峄城区')).toBe(true);

    const shan = fazhi(['search', '行政复议', '--county', '陕县', '--k', '5', '--json', '--data-dir', data]);
    expect(shan.code, shan.stderr).toBe(0);
    expect(shan.stderr).toContain('--county 陕县: now 陕州区');
    const rows = (JSON.parse(shan.stdout) as { results: { jurisdiction: { county: string } }[] }).results;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.jurisdiction.county === '陕州区')).toBe(true);
  });

  it('similar <id> --other-regions says so where the passage is of no known region (nothing to leave out)', () => {
    const dir = path.join(work, 'nowhere');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'opinion.txt'), '关于推进法治政府建设的意见\n各地要全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度，严格规范公正文明执法。\n');
    copyFileSync(path.join(ROOT, 'corpus/003_49b691710f879f5c.txt'), path.join(dir, 'yicheng.txt'));
    const nowhereData = path.join(work, 'nowhere-data');
    expect(fazhi(['ingest', dir, '--data-dir', nowhereData]).code).toBe(0);
    const [hit] = fazhiJson(['search', '执法全过程记录制度', '--k', '1', '--data-dir', nowhereData]);
    expect(hit!.jurisdiction).toMatchObject({ province: null, city: null, county: null });
    const r = fazhi(['similar', String(hit!.id), '--other-regions', '--data-dir', nowhereData]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: passage ${hit!.id}'s document is of no known region; --other-regions left nothing out`);
    // A passage of a known region: nothing to note.
    const [known] = fazhiJson(['search', '行政复议', '--county', '峄城区', '--k', '1', '--data-dir', nowhereData]);
    expect(fazhi(['similar', String(known!.id), '--other-regions', '--data-dir', nowhereData]).stderr).not.toContain('note:');
  });
});

describe('remove', () => {
  it('takes a path as `fazhi list` shows it, without the control characters its stored name holds', () => {
    const shown = 'reports/evil.txt';
    expect(fazhi(['list', '--data-dir', data]).stdout).toMatch(/^reports\/evil\.txt /m);
    const r = fazhi(['remove', shown, '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(ESC);
    const left = JSON.parse(fazhi(['list', '--json', '--data-dir', data]).stdout) as { reports: { source: string }[] };
    expect(left.reports.map((d) => path.basename(d.source)).sort()).toEqual(['shanzhou.txt', 'yicheng.txt']);
  });

  it('a line break in a file name cannot forge a line of output: list shows the name on one line, and remove takes it so', () => {
    const dir = path.join(work, 'names');
    mkdirSync(dir);
    copyFileSync(path.join(ROOT, 'corpus/003_49b691710f879f5c.txt'), path.join(dir, 'evil\nforged line.txt'));
    const namesData = path.join(work, 'names-data');
    expect(fazhi(['ingest', dir, '--data-dir', namesData]).code).toBe(0);
    const list = fazhi(['list', '--data-dir', namesData]).stdout;
    expect(list).toMatch(/^names\/evilforged line\.txt /m);
    expect(list).not.toMatch(/^forged line/m);
    const r = fazhi(['remove', 'names/evilforged line.txt', '--data-dir', namesData]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^forged line/m);
  });
});
