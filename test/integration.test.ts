// The whole embedded stack in-process on corpus/ with the bundled model: the right reports for
// our own queries, and filters that are exact in every mode.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, type App } from '../cli/app.ts';
import { listReportFiles, indexFiles } from '../search/ingest.ts';
import { updateBoilerplate } from '../search/boilerplate.ts';
import { search, similar, SEARCH_MODES, type PassageResult } from '../search/searchEngine.ts';
import type { SearchFilter } from '../search/store.ts';
import { ROOT } from './helpers/cli.ts';

let app: App;
let dataDir: string;
const base = (r: { source: string }) => path.basename(r.source);

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-int-'));
  app = await openApp({ dataDir });
  const { files } = await listReportFiles([path.join(ROOT, 'corpus')]);
  const summary = await indexFiles(app, files);
  expect(summary.added).toBe(5);
  updateBoilerplate(app.store);
  app.index.ensureFresh(app.store, app.encoder.modelId);
});

afterAll(() => {
  app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const find = (query: string, mode: (typeof SEARCH_MODES)[number] = 'hybrid', filter: SearchFilter = {}, k = 10) =>
  search(app, query, { k, mode, filter, by: 'passage' });

describe('queries find the right reports', () => {
  const cases: [string, string, string][] = [
    ['双随机、一公开', '000_58c1e1fb0637adbd.txt', '双随机'],
    ['三调联动', '003_49b691710f879f5c.txt', '三调联动'],
    ['书记话法治', '002_cdd31fdd8f412dcc.txt', '书记话法治'],
    ['行政处罚裁量基准', '002_cdd31fdd8f412dcc.txt', '裁量基准'],
    ['证明事项告知承诺制', '003_49b691710f879f5c.txt', '告知承诺'],
  ];
  for (const [query, doc, contains] of cases) {
    it(`${query} → ${doc}`, async () => {
      for (const mode of ['hybrid', 'lexical'] as const) {
        const [top] = await find(query, mode);
        expect(base(top!), mode).toBe(doc);
        expect(top!.text.replace(/\s/g, ''), mode).toContain(contains);
      }
      const dense = await find(query, 'dense');
      expect(dense.length).toBe(10);
    });
  }

  it('groups by report with distinct reports', async () => {
    const rows = await search(app, '矛盾纠纷多元化解', { k: 5, mode: 'hybrid', by: 'report' });
    expect(rows.length).toBe(5);
    expect(new Set(rows.map((r) => r.source)).size).toBe(5);
  });
});

describe('filters are exact in every mode', () => {
  const checks: [SearchFilter, (r: PassageResult) => boolean, number][] = [
    [{ province: '河南省' }, (r) => r.jurisdiction.province === '河南省' && base(r) === '004_e41503e62c4741d1.txt', 10],
    [{ city: '威海市' }, (r) => r.jurisdiction.city === '威海市', 10],
    [{ county: '峄城区' }, (r) => r.jurisdiction.county === '峄城区', 10],
    [{ from: 2022, to: 2022 }, (r) => r.year === 2022 && base(r) === '001_9888fa626719769d.txt', 10],
    [{ section: '不足' }, (r) => r.section === '不足', 3],
    [{ section: '安排', city: '威海市' }, (r) => r.section === '安排' && r.jurisdiction.city === '威海市', 2],
  ];
  for (const mode of SEARCH_MODES) {
    it(mode, async () => {
      for (const [filter, ok, atLeast] of checks) {
        const rows = await find('法治政府建设 行政执法 复议 调解', mode, filter, 50);
        expect(rows.length, JSON.stringify(filter)).toBeGreaterThanOrEqual(atLeast);
        expect(rows.every(ok), JSON.stringify(filter)).toBe(true);
      }
    });
  }

  it('a filter matching nothing gives nothing', async () => {
    expect(await find('行政复议', 'hybrid', { province: '广东省' })).toEqual([]);
  });
});

describe('similar', () => {
  it('leaves out the source region and finds practices elsewhere', async () => {
    const [seed] = await find('三调联动', 'lexical');
    const rows = await similar(app, { passageId: seed!.id }, { k: 10, otherRegions: true });
    expect(rows.length).toBe(10);
    expect(rows.every((r) => r.jurisdiction.county !== '峄城区' && r.source !== seed!.source)).toBe(true);
  });

  it('marks recurring political formulae as boilerplate and practices not', async () => {
    const [opening] = await find('坚持以习近平新时代中国特色社会主义思想为指导 深入学习贯彻党的二十大精神', 'lexical', { county: '环翠区' }, 1);
    expect(opening!.text).toContain('坚持以习近平新时代中国特色社会主义思想为指导');
    expect(opening!.boilerplate).toBeGreaterThan(0.3);
    const [practice] = await find('双随机、一公开', 'lexical', {}, 1);
    expect(practice!.boilerplate).toBeLessThan(0.2);
    // Demotion: the formula passage's ranking score is cut by its boilerplate share.
    const hybrid = await find('坚持以习近平新时代中国特色社会主义思想为指导 推进法治政府建设', 'hybrid', {}, 10);
    const top = hybrid[0]!;
    expect(hybrid.some((r) => r.boilerplate > 0.3 && r.score > top.score)).toBe(false);
  });
});

describe('listing the files of a directory', () => {
  it('skips names starting with . or _ at every depth, files, folders and links alike, but reads a path named so', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-list-'));
    try {
      const tree = path.join(work, '_reports');
      for (const dir of ['sub/_drafts', '.git', '.hidden']) mkdirSync(path.join(tree, dir), { recursive: true });
      mkdirSync(path.join(work, 'outside'));
      for (const file of ['a.txt', 'sub/b.md', 'sub/_drafts/c.txt', '.git/d.txt', '.hidden/e.txt', '.f.txt', '_index.md', 'sub/_g.html']) {
        writeFileSync(path.join(tree, file), '法治');
      }
      // A link leading outside is refused with a reason, unless its own name says to skip it.
      symlinkSync(path.join(work, 'outside'), path.join(tree, '_outside'));
      const { files, failed } = await listReportFiles([tree, path.join(tree, 'sub/_drafts'), path.join(tree, '.f.txt')]);
      expect(files).toEqual(['a.txt', 'sub/b.md', 'sub/_drafts/c.txt', '.f.txt'].map((f) => path.join(tree, f)));
      expect(failed).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a directory named that yields no report file is a failure naming it and the formats looked for', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-list-'));
    try {
      const empty = path.join(work, 'empty');
      const drafts = path.join(work, 'drafts-only');
      mkdirSync(empty);
      mkdirSync(path.join(drafts, '_drafts'), { recursive: true });
      writeFileSync(path.join(drafts, '_drafts', 'a.txt'), '法治');
      writeFileSync(path.join(drafts, 'photo.png'), '');
      const reason = 'no report files (.txt, .md, .html, .htm, .shtml, .docx, .pdf) in it or its subfolders (names starting with . or _ are skipped)';
      expect(await listReportFiles([empty, drafts])).toEqual({
        files: [],
        failed: [
          { source: empty, stage: 'read', reason },
          { source: drafts, stage: 'read', reason },
        ],
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
