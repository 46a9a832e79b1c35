import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchParamError, type SearchParam } from '../search/errors.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import { computeBoilerplate, updateBoilerplate } from '../search/boilerplate.ts';
import { DEFAULT_DENSE_WEIGHTS, lexicalRelevance, search, similar, telltaleTokens, type PassageResult, type SearchContext, type SearchMode } from '../search/searchEngine.ts';
import Database from 'better-sqlite3';
import { STORE_FILE, Store, type SearchFilter } from '../search/store.ts';
import { INDEX_FILE, SIDECAR_FILE, VectorIndex, readIndexHealth } from '../search/vectorIndex.ts';
import {
  DIM,
  atCosine,
  bagVector,
  makeEncoder,
  makeReport,
  makeSegmenter,
  seededRandom,
  tempDataDir,
  unit,
  vectorsFor,
  withoutPieces,
  type FixtureRegion,
} from './helpers/searchFixtures.ts';

const BOILERPLATE = ['坚持以习近平新时代中国特色社会主义思想为指导', '，', '深入学习贯彻党的二十大精神', '，', '全面', '推进', '行政执法', '规范化'];
const HUANCUI: FixtureRegion = { province: '山东省', city: '威海市', county: '环翠区', year: 2023 };
const WEIHAI: FixtureRegion = { province: '山东省', city: '威海市', county: null, year: 2023 };
const YICHENG: FixtureRegion = { province: '山东省', city: '枣庄市', county: '峄城区', year: 2023 };
const SHANZHOU: FixtureRegion = { province: '河南省', city: '三门峡市', county: '陕州区', year: 2022 };
const HENAN: FixtureRegion = { province: '河南省', city: null, county: null, year: 2021 };

function corpus(): ParsedReport[] {
  return [
    makeReport('a/huancui.txt', HUANCUI, [
      { section: '成效', words: ['推行', '双随机一公开', '监管', '全覆盖', '市场主体', '检查'] },
      { section: '成效', words: ['落实', '领导干部', '述法', '制度', '年终', '考核'] },
      { section: '不足', words: ['行政', '执法', '规范化', '水平', '有待', '提高'] },
      { section: '安排', words: BOILERPLATE },
    ]),
    makeReport('a/weihai.txt', WEIHAI, [
      { section: '成效', words: ['双随机', '一公开', '抽查', '事项', '清单'] },
      { section: '成效', words: ['推行', '行政复议', '体制', '改革', '案件', '办理'] },
      { section: '安排', words: BOILERPLATE },
    ]),
    makeReport('b/yicheng.txt', YICHENG, [
      { section: '成效', words: ['开展', '领导干部', '述法', '评议', '全覆盖'] },
      { section: '成效', words: ['推行', '双随机一公开', '跨部门', '联合', '检查'] },
      { section: '职责', words: ['主要负责人', '履行', '推进法治建设第一责任人', '职责'] },
      { section: '安排', words: BOILERPLATE },
    ]),
    makeReport('c/shanzhou.txt', SHANZHOU, [
      { section: '成效', words: ['推行', '双随机一公开', '监管', '双随机一公开', '检查'] },
      { section: '不足', words: ['行政', '执法', '人员', '素质', '有待', '提高'] },
      { section: '其他', words: BOILERPLATE },
    ]),
    makeReport('c/henan.txt', HENAN, [
      { section: '成效', words: ['行政执法', '规范化', '建设', '执法', '案卷', '评查'] },
      { section: '安排', words: BOILERPLATE },
    ]),
  ];
}

/** The search layer names its own parameter (the CLI and the server translate it: search-errors.test.ts). */
async function expectParamError(action: () => Promise<unknown>, param: SearchParam): Promise<void> {
  const error = await action().then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SearchParamError);
  expect((error as SearchParamError).param).toBe(param);
}

let dataDir: string;
let store: Store;

beforeEach(() => {
  dataDir = tempDataDir();
  store = Store.open(dataDir);
});

afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Store', () => {
  it('is idempotent for an unchanged report and replaces a changed one completely', () => {
    const [report] = corpus();
    const first = store.putReport(report!, vectorsFor(report!), 'm1');
    expect(first).toMatchObject({ changed: true, removedIds: [] });
    expect(first.passageIds).toHaveLength(4);
    expect(store.hasCurrent(report!.source, report!.contentHash, 'm1')).toBe(true);
    expect(store.hasCurrent(report!.source, report!.contentHash, 'm2')).toBe(false);

    const again = store.putReport(report!, vectorsFor(report!), 'm1');
    expect(again).toEqual({ changed: false, docId: first.docId, passageIds: first.passageIds, removedIds: [] });
    expect(store.counts()).toEqual({ documents: 1, passages: 4, vectors: 4 });

    const changed = makeReport(report!.source, HUANCUI, [{ section: '成效', words: ['推行', '证明事项', '告知承诺制'] }]);
    const second = store.putReport(changed, vectorsFor(changed), 'm1');
    expect(second.changed).toBe(true);
    expect(second.removedIds).toEqual(first.passageIds);
    expect(store.counts()).toEqual({ documents: 1, passages: 1, vectors: 1 });
    for (const id of first.passageIds) expect(store.getPassage(id)).toBeNull();
    expect(store.getVectors(first.passageIds, 'm1').size).toBe(0);
    expect(store.lexicalSearch(['述法'], 10)).toEqual([]);
    expect(store.lexicalSearch(['告知承诺制'], 10).map((hit) => hit.id)).toEqual(second.passageIds);
    // Ids are never reused, so an id seen before can only mean the passage it named.
    expect(Math.min(...second.passageIds)).toBeGreaterThan(Math.max(...first.passageIds));

    // Same content, new model (a queue reindex): re-embedded in place, so the ids stay.
    expect(store.putReport(changed, vectorsFor(changed), 'm2')).toEqual({ changed: true, docId: second.docId, passageIds: second.passageIds, removedIds: [] });
    expect(store.modelsInUse()).toEqual([{ modelId: 'm2', dim: DIM, vectors: 1 }]);
    expect(store.getDocumentBySource(changed.source)!.modelId).toBe('m2');
  });

  it('updates a document parsed again by a newer parser, keeping its ids where its passages are the same, and keeps it against an older one', () => {
    const [report] = corpus();
    const first = store.putReport(report!, vectorsFor(report!), 'm1');
    expect(store.hasCurrent(report!.source, report!.contentHash, 'm1')).toBe(true);
    // The newer parser reads the same passages under another section and heading: updated in place.
    const newer = {
      ...report!,
      parser: report!.parser + 1,
      passages: report!.passages.map((p, i) => (i === 2 ? { ...p, section: '安排' as const, headingPath: ['三、下一步安排'] } : p)),
    };
    const second = store.putReport(newer, vectorsFor(newer), 'm1');
    expect(second).toEqual({ changed: true, docId: first.docId, passageIds: first.passageIds, removedIds: [] });
    expect(store.getPassage(first.passageIds[2]!)).toMatchObject({ section: '安排', headingPath: ['三、下一步安排'] });
    // A job an older worker parsed, committed late: the newer parse stays.
    expect(store.putReport(report!, vectorsFor(report!), 'm1')).toEqual({ changed: false, docId: first.docId, passageIds: first.passageIds, removedIds: [] });
    expect(store.getPassage(first.passageIds[2]!)).toMatchObject({ section: '安排' });
    // A yet newer parser that drops the first passage: the others keep their ids in their new places.
    const recut = { ...report!, parser: report!.parser + 2, passages: report!.passages.slice(1).map((p, ordinal) => ({ ...p, ordinal })) };
    const third = store.putReport(recut, vectorsFor(recut), 'm1');
    expect(third).toEqual({ changed: true, docId: first.docId, passageIds: first.passageIds.slice(1), removedIds: first.passageIds.slice(0, 1) });
    expect(store.passageIdsOf(first.docId)).toEqual(first.passageIds.slice(1));
    expect(store.getPassage(first.passageIds[0]!)).toBeNull();
    expect(store.counts()).toMatchObject({ documents: 1, passages: recut.passages.length, vectors: recut.passages.length });
  });

  it('an edited report keeps its id and the ids of the passages it still has; the others go, new ones get new ids', () => {
    const [report] = corpus();
    const first = store.putReport(report!, vectorsFor(report!), 'm1');
    const [p0, p1, p2, p3] = report!.passages;
    const added = makeReport(report!.source, HUANCUI, [
      { section: '成效', words: ['新增', '府院联动', '机制'] },
      { section: '成效', words: ['落实', '领导干部', '述法', '制度', '全面', '推开'] },
    ]).passages;
    const edited = { ...report!, contentHash: 'edited', passages: [added[0]!, p0!, added[1]!, p2!, p3!].map((p, ordinal) => ({ ...p, ordinal })) };
    const vectorsBefore = store.getVectors([p0, p2, p3].map((_, i) => first.passageIds[[0, 2, 3][i]!]!), 'm1');
    const second = store.putReport(edited, vectorsFor(edited), 'm1');
    expect(second.docId).toBe(first.docId);
    expect(second.removedIds).toEqual([first.passageIds[1]]);
    const [n0, k0, n1, k2, k3] = second.passageIds;
    expect([k0, k2, k3]).toEqual([first.passageIds[0], first.passageIds[2], first.passageIds[3]]);
    expect(Math.min(n0!, n1!)).toBeGreaterThan(Math.max(...first.passageIds));
    expect(store.passageIdsOf(first.docId)).toEqual(second.passageIds);
    expect(store.getPassage(first.passageIds[1]!)).toBeNull();
    expect(store.getVectors([k0!, k2!, k3!], 'm1')).toEqual(vectorsBefore);
    expect(store.getDocumentBySource(report!.source)).toMatchObject({ id: first.docId, contentHash: 'edited' });
    expect(store.lexicalSearch([p1!.tokens[0]!], 10).map((h) => h.id)).not.toContain(first.passageIds[1]);
    expect(store.lexicalSearch(['府院联动'], 10).map((h) => h.id)).toEqual([n0]);
    expect(store.lexicalSearch(['推开'], 10).map((h) => h.id)).toEqual([n1]);
    expect(store.counts()).toEqual({ documents: 1, passages: 5, vectors: 5 });
    // The lexical index holds exactly the rows' words (rank 1: checked against the passages table).
    const db = new Database(join(dataDir, STORE_FILE));
    try {
      db.prepare(`INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)`).run();
    } finally {
      db.close();
    }
  });

  it('keeps the old version of an edited report as the document of its alias, whose file still holds those bytes', () => {
    const [report] = corpus();
    const first = store.putReport(report!, vectorsFor(report!), 'm1');
    const copy = { ...report!, source: 'b/copy.txt' };
    expect(store.putReport(copy, vectorsFor(copy), 'm1')).toMatchObject({ aliasOf: first.docId });
    const edited = makeReport(report!.source, HUANCUI, [{ section: '成效', words: ['新增', '府院联动', '机制'] }]);
    const second = store.putReport(edited, vectorsFor(edited), 'm1');
    expect(second).toMatchObject({ changed: true, removedIds: [] });
    expect(second.docId).not.toBe(first.docId);
    // The copy's report, with its ids, and the edited one: both searchable, no alias left.
    expect(store.getDocumentBySource('b/copy.txt')).toMatchObject({ id: first.docId, contentHash: report!.contentHash });
    expect(store.passageIdsOf(first.docId)).toEqual(first.passageIds);
    expect(store.getDocumentBySource(report!.source)).toMatchObject({ id: second.docId, contentHash: edited.contentHash });
    expect(store.hasCurrent('b/copy.txt', report!.contentHash, 'm1')).toBe(true);
    expect(store.lexicalSearch(['市场主体'], 10).map((h) => h.id)).toEqual([first.passageIds[0]]);
    expect(store.lexicalSearch(['府院联动'], 10).map((h) => h.id)).toEqual(second.passageIds);
    expect(store.counts()).toEqual({ documents: 2, passages: first.passageIds.length + 1, vectors: first.passageIds.length + 1 });
  });

  it('keeps the old version with its alias also when the edited file becomes a copy of another report', () => {
    const [report, other] = corpus();
    const first = store.putReport(report!, vectorsFor(report!), 'm1');
    store.putReport({ ...report!, source: 'b/copy.txt' }, vectorsFor(report!), 'm1');
    const otherDoc = store.putReport(other!, vectorsFor(other!), 'm1');
    const asOther = { ...other!, source: report!.source };
    const generation = store.generation();
    expect(store.putReport(asOther, vectorsFor(asOther), 'm1')).toMatchObject({ aliasOf: otherDoc.docId, removedIds: [] });
    // Readers learn of the renamed document.
    expect(store.generation()).toBeGreaterThan(generation);
    expect(store.getDocumentBySource('b/copy.txt')).toMatchObject({ id: first.docId, contentHash: report!.contentHash });
    expect(store.hasCurrent(report!.source, other!.contentHash, 'm1')).toBe(true);
    expect(store.counts()).toMatchObject({ documents: 2, passages: first.passageIds.length + otherDoc.passageIds.length });
  });

  it('removes a report with its passages, vectors and lexical entries', () => {
    for (const report of corpus()) store.putReport(report, vectorsFor(report), 'm1');
    expect(store.removeBySource('a/huancui.txt')).toBe(true);
    expect(store.removeBySource('a/huancui.txt')).toBe(false);
    expect(store.counts()).toEqual({ documents: 4, passages: 12, vectors: 12 });
    expect(store.lexicalSearch(['市场主体'], 10)).toEqual([]);
    expect(store.documents().map((doc) => doc.source)).not.toContain('a/huancui.txt');
  });

  it('rolls back a failed write, leaving the previous version intact', () => {
    const [report] = corpus();
    const { passageIds } = store.putReport(report!, vectorsFor(report!), 'm1');
    const broken = makeReport(report!.source, HUANCUI, [
      { section: '成效', words: ['新', '内容'] },
      { section: '成效', words: ['重复', '序号'] },
    ]);
    broken.passages[1]!.ordinal = 0; // violates UNIQUE(doc_id, ordinal) after the old version was deleted
    expect(() => store.putReport(broken, vectorsFor(broken), 'm1')).toThrow(/UNIQUE/);
    expect(() => store.putReport(broken, withoutPieces([bagVector(['新'])]), 'm1')).toThrow(/2 passages but 1 vectors/);
    expect(store.counts()).toEqual({ documents: 1, passages: 4, vectors: 4 });
    expect(store.getPassage(passageIds[1]!)?.text).toBe('落实领导干部述法制度年终考核');
    expect(store.lexicalSearch(['述法'], 10).map((hit) => hit.id)).toEqual([passageIds[1]]);
  });

  it('keeps data across reopen and re-embeds passages under a new model', () => {
    for (const report of corpus()) store.putReport(report, vectorsFor(report), 'm1');
    store.close();
    store = Store.open(dataDir);
    expect(store.counts()).toEqual({ documents: 5, passages: 16, vectors: 16 });
    expect(store.countPassagesNeedingVectors('m2')).toBe(16);
    const batch = [...store.iteratePassagesNeedingVectors('m2')].map(({ id, text }) => ({ id, vector: bagVector([...text]), pieces: [] }));
    store.replaceVectors('m2', batch);
    expect(store.countPassagesNeedingVectors('m2')).toBe(0);
    expect(store.modelsInUse()).toEqual([{ modelId: 'm2', dim: DIM, vectors: 16 }]);
    expect(new Set(store.documents().map((doc) => doc.modelId))).toEqual(new Set(['m2']));
    expect(store.getMeta('model_id')).toBe('m2');
  });

  it("keeps each passage's pieces (int8, within 1% of each component's range) where the model makes them, and none where not", () => {
    const [report] = corpus();
    const random = seededRandom(3);
    const randomVector = () => unit(Float32Array.from({ length: DIM }, () => random() * 2 - 1));
    const vectors = report!.passages.map((_, i) => ({ vector: randomVector(), pieces: Array.from({ length: i }, randomVector) }));
    const { passageIds } = store.putReport(report!, vectors, 'pieces-model');
    const read = store.getPieces(passageIds, 'pieces-model');
    // The first passage has no pieces: nothing to read.
    expect([...read.keys()]).toEqual(passageIds.slice(1));
    passageIds.slice(1).forEach((id, i) => {
      const want = vectors[i + 1]!.pieces;
      const got = read.get(id)!;
      expect(got.length).toBe(want.length);
      got.forEach((piece, p) => {
        const range = Math.max(...want[p]!.map(Math.abs));
        piece.forEach((x, d) => expect(Math.abs(x - want[p]![d]!)).toBeLessThanOrEqual(range / 127 / 2 + 1e-6));
      });
    });
    expect(store.getPieces(passageIds, 'another-model').size).toBe(0);
    // A re-embedding replaces them (here: with a model without pieces).
    store.replaceVectors('plain-model', passageIds.map((id) => ({ id, vector: randomVector(), pieces: [] })));
    expect(store.getPieces(passageIds, 'plain-model').size).toBe(0);
  });

  it('reads a store written before pieces: a reader finds similar passages by id, the next writer adds the column', async () => {
    const reports = corpus();
    for (const report of reports) store.putReport(report, vectorsFor(report), 'test-bag-64');
    const [sourceId] = store.passageIdsOf(store.documents()[0]!.id);
    store.close();
    const db = new Database(join(dataDir, STORE_FILE));
    db.exec('ALTER TABLE vectors DROP COLUMN pieces');
    db.close();
    store = Store.openReadOnly(dataDir);
    const segment = makeSegmenter(reports);
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.ensureFresh(store, 'test-bag-64');
    const hits = await similar({ store, index, encoder: makeEncoder(segment), segment, thesaurus: [] }, { passageId: sourceId! }, { k: 5, mode: 'dense' });
    expect(hits.length).toBeGreaterThan(0);
    store.close();
    store = Store.open(dataDir);
    const [report] = corpus();
    const changed = { ...report!, contentHash: 'changed' };
    store.putReport(changed, changed.passages.map(() => ({ vector: bagVector(['新']), pieces: [bagVector(['新'])] })), 'pieces-model');
    expect(store.getPieces(store.passageIdsOf(store.documents().find((d) => d.source === changed.source)!.id), 'pieces-model').size).toBe(changed.passages.length);
  });

  it('matches whole jieba tokens in FTS5 and ranks by bm25', () => {
    const reports = corpus();
    const ids = reports.map((report) => store.putReport(report, vectorsFor(report), 'm1').passageIds);
    const hits = store.lexicalSearch(['双随机一公开'], 10).map((hit) => hit.id);
    // Shanzhou's passage has the token twice, so it ranks first; Weihai's 双随机 + 一公开 is not a match.
    expect(hits[0]).toBe(ids[3]![0]);
    expect(new Set(hits)).toEqual(new Set([ids[0]![0], ids[2]![1], ids[3]![0]]));
    expect(new Set(store.lexicalSearch(['述法'], 10).map((hit) => hit.id))).toEqual(new Set([ids[0]![1], ids[2]![0]]));
    expect(store.lexicalSearch(['双随机'], 10).map((hit) => hit.id)).toEqual([ids[1]![0]]);
    // Quotes and FTS5 syntax in a token are literal, not operators.
    expect(store.lexicalSearch(['"述法" OR', 'NEAR(', '*'], 10)).toEqual([]);
  });

  it('reads a lexical match as the same relevance in a small and a 40× larger index, though its bm25 grows', () => {
    const reports = corpus();
    for (const report of reports) store.putReport(report, vectorsFor(report), 'm1');
    const queries = [['述法'], ['领导干部', '述法'], ['行政', '执法', '有待', '提高']];
    const measure = () =>
      queries.map((tokens) => {
        const [best] = store.lexicalSearch(tokens, 1);
        return { bm25: best!.score, relevance: lexicalRelevance(best!.score, store.lexicalScoreBound(tokens)) };
      });
    const small = measure();
    const topics = ['城市', '绿化', '公园', '道路', '交通', '供水', '教育', '医疗', '养老', '体育'];
    for (let r = 0; r < 40; r++) {
      store.putReport(
        makeReport(`z/other-${r}.txt`, HENAN, Array.from({ length: 16 }, (_, i) => ({ section: '成效' as const, words: [topics[i % 10]!, topics[(i + r) % 10]!, '建设', `项目${r}`] }))),
        withoutPieces(Array.from({ length: 16 }, (_, i) => bagVector([topics[i % 10]!]))),
        'm1',
      );
    }
    const large = measure();
    for (const [i, tokens] of queries.entries()) {
      expect(large[i]!.bm25 / small[i]!.bm25, tokens.join(' ')).toBeGreaterThan(1.5);
      expect(Math.abs(large[i]!.relevance - small[i]!.relevance), tokens.join(' ')).toBeLessThan(0.05);
      expect(large[i]!.relevance, tokens.join(' ')).toBeGreaterThan(0.2);
    }
    // A query half made of words no passage holds reaches at most about half as far.
    expect(lexicalRelevance(store.lexicalSearch(['述法', '鬻彘'], 1)[0]!.score, store.lexicalScoreBound(['述法', '鬻彘']))).toBeLessThan(large[0]!.relevance);
  });
});

describe('boilerplate', () => {
  it('scores text repeated across reports and formula phrases, not practices', () => {
    const reports = corpus();
    for (const report of reports) store.putReport(report, vectorsFor(report), 'm1');
    updateBoilerplate(store);
    const byText = new Map([...store.iteratePassageTexts()].map((p) => [p.text, store.getPassage(p.id)!.boilerplate]));
    expect(byText.get(BOILERPLATE.join(''))).toBeGreaterThan(0.9);
    expect(byText.get('行政执法规范化建设执法案卷评查')).toBe(0);
    expect(byText.get('推行双随机一公开监管全覆盖市场主体检查')).toBe(0);

    // Without other reports to compare with, the formula phrases alone still mark it.
    const alone = computeBoilerplate([{ id: 1, docId: 1, contentHash: 'h', text: '坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神' }]);
    expect(alone.get(1)).toBeGreaterThan(0.6);
    // Near-verbatim: the region name and year differ, the formula is still recognised as shared.
    const intros = ['环翠区', '峄城区', '陕州区', '文登区'].map((name, i) => ({
      id: i + 1,
      docId: i + 1,
      contentHash: name,
      text: `${2020 + i}年，${name}坚持以人民为中心，统筹推进依法行政各项决策部署落到实处，不断提升全区依法行政工作水平。`,
    }));
    const practice = { id: 9, docId: 1, contentHash: '环翠区', text: '推行信用加调解，建立全市首家商圈楼宇调解组织，组建流动调解室。' };
    const nearVerbatim = computeBoilerplate([...intros, practice]);
    for (const intro of intros) expect(nearVerbatim.get(intro.id)).toBeGreaterThan(0.6);
    expect(nearVerbatim.has(practice.id)).toBe(false);
    // A published copy masking the leader's name as *** is still a formula.
    const masked = computeBoilerplate([{ id: 1, docId: 1, contentHash: 'h', text: '深入学习贯彻***法治思想' }]);
    expect(masked.get(1)).toBeGreaterThan(0.5);
    // Copies of one file do not make its text "shared".
    const copies = computeBoilerplate(
      [1, 2, 3].map((docId) => ({ id: docId, docId, contentHash: 'same', text: '推行证明事项告知承诺制度全面落实' })),
    );
    expect(copies.size).toBe(0);
  });
});

function context(reports: ParsedReport[], warnings: string[] = []): SearchContext {
  for (const report of reports) store.putReport(report, vectorsFor(report), 'test-bag-64');
  updateBoilerplate(store);
  const segment = makeSegmenter(reports.length > 0 ? reports : corpus());
  const index = new VectorIndex(dataDir, { warn: (message) => warnings.push(message) });
  index.sync(store, 'test-bag-64');
  return { store, index, encoder: makeEncoder(segment), segment, thesaurus: [] };
}

const MODES: SearchMode[] = ['hybrid', 'dense', 'lexical'];

describe('search', () => {
  it('applies every filter inside retrieval, in all three modes', async () => {
    const ctx = context(corpus());
    const filters: [SearchFilter, (hit: PassageResult) => boolean][] = [
      [{ province: '河南省' }, (hit) => hit.jurisdiction.province === '河南省'],
      [{ city: '威海市' }, (hit) => hit.jurisdiction.city === '威海市'],
      [{ county: '峄城区' }, (hit) => hit.jurisdiction.county === '峄城区'],
      [{ from: 2022, to: 2022 }, (hit) => hit.year === 2022],
      [{ from: 2022 }, (hit) => hit.year! >= 2022],
      [{ year: 2023, section: '成效' }, (hit) => hit.year === 2023 && hit.section === '成效'],
    ];
    for (const [filter, accepts] of filters) {
      const allowed = store.passageIds({ filter });
      expect(allowed.size).toBeGreaterThan(0);
      for (const mode of MODES) {
        const hits = await search(ctx, '推行双随机一公开检查', { k: 100, mode, filter });
        expect(hits.length, `${mode} ${JSON.stringify(filter)}`).toBeGreaterThan(0);
        expect(hits.every(accepts), `${mode} ${JSON.stringify(filter)}`).toBe(true);
        // Dense retrieval reaches every allowed passage: the filter never cut a truncated list.
        if (mode !== 'lexical') expect(new Set(hits.map((hit) => hit.id))).toEqual(allowed);
      }
    }
  });

  it('ranks a practice above boilerplate that matches the query as well', async () => {
    const ctx = context(corpus());
    for (const mode of MODES) {
      const hits = await search(ctx, '行政执法规范化', { k: 20, mode });
      expect(hits[0]!.text, mode).toBe('行政执法规范化建设执法案卷评查');
      const boilerplateRanks = hits.flatMap((hit, rank) => (hit.text === BOILERPLATE.join('') ? [rank] : []));
      expect(boilerplateRanks.length, mode).toBeGreaterThan(0);
      expect(Math.min(...boilerplateRanks), mode).toBeGreaterThan(0);
    }
  });

  it('reads how well lexical search covers a query from its hits as it ranks them, boilerplate demoted', async () => {
    const ctx = context(corpus());
    const scored = async (query: string, denseWeight?: number) => (await search(ctx, query, { k: 10, mode: 'hybrid', denseWeight })).map((hit) => [hit.id, hit.score]);
    // Only the boilerplate passage holds all these words: raw, it covers the query (dense's share would be
    // DEFAULT_DENSE_WEIGHTS.covered); demoted as lexical mode ranks it, it does not (.uncovered).
    const query = '全面推进学习贯彻二十大精神';
    const [best] = await search(ctx, query, { k: 1, mode: 'lexical' });
    expect(best!.text).toBe(BOILERPLATE.join(''));
    expect(await scored(query, DEFAULT_DENSE_WEIGHTS.covered)).not.toEqual(await scored(query, DEFAULT_DENSE_WEIGHTS.uncovered));
    expect(await scored(query)).toEqual(await scored(query, DEFAULT_DENSE_WEIGHTS.uncovered));
  });

  it('hybrid keeps the lexical order where a first-page hit holds the query verbatim, and mixes in dense where none does', async () => {
    const ctx = context(corpus());
    const ids = async (query: string, mode: SearchMode, denseWeight?: number) => (await search(ctx, query, { k: 10, mode, denseWeight })).map((hit) => hit.id);
    // 领导干部述法 is held verbatim: even with all the weight on dense hybrid ranks the lexical hits first, in their
    // order, although dense alone orders them otherwise; the passages only dense found follow.
    const verbatim = '领导干部述法';
    const lexical = await ids(verbatim, 'lexical');
    expect(lexical.length).toBeGreaterThan(0);
    expect((await ids(verbatim, 'dense')).slice(0, lexical.length)).not.toEqual(lexical);
    const hybrid = await ids(verbatim, 'hybrid', 1);
    expect(hybrid.slice(0, lexical.length)).toEqual(lexical);
    expect(hybrid.length).toBeGreaterThan(lexical.length);
    // No passage holds this query as a whole: dense reorders.
    const scattered = '检查双随机一公开监管';
    expect(await ids(scattered, 'hybrid', 1)).not.toEqual(await ids(scattered, 'lexical'));
    // Typed as separate terms, each held verbatim by some hit, it is a list of names: the lexical order stands.
    const terms = '推行 检查';
    const termsLexical = await ids(terms, 'lexical');
    expect((await ids(terms, 'dense')).slice(0, termsLexical.length)).not.toEqual(termsLexical);
    expect((await ids(terms, 'hybrid', 1)).slice(0, termsLexical.length)).toEqual(termsLexical);
    // With a term no first-page hit holds, dense mixes in.
    expect((await ids('推行 检查 抽检', 'hybrid', 1)).slice(0, termsLexical.length)).not.toEqual(termsLexical);
  });

  it('hybrid gives dense the lower weight where the best lexical hit covers the query, the higher where it does not', async () => {
    const ctx = context(corpus());
    const scored = async (query: string, denseWeight?: number) => (await search(ctx, query, { k: 10, mode: 'hybrid', denseWeight })).map((hit) => [hit.id, hit.score]);
    // Every word of this query stands in one passage (though not as one phrase).
    const covered = '行政执法有待提高';
    expect(await scored(covered)).toEqual(await scored(covered, DEFAULT_DENSE_WEIGHTS.covered));
    expect(await scored(covered)).not.toEqual(await scored(covered, DEFAULT_DENSE_WEIGHTS.uncovered));
    // No passage holds more than one of this query's words.
    const uncovered = '述法行政复议跨部门';
    expect(await scored(uncovered)).toEqual(await scored(uncovered, DEFAULT_DENSE_WEIGHTS.uncovered));
    expect(await scored(uncovered)).not.toEqual(await scored(uncovered, DEFAULT_DENSE_WEIGHTS.covered));
  });

  it("hybrid takes the model's own dense weights where its fazhi.json names them", async () => {
    const base = context(corpus());
    const ctx = { ...base, encoder: { ...base.encoder, denseWeights: { covered: 0.2, uncovered: 0.95 } } };
    const scored = async (c: SearchContext, query: string, denseWeight?: number) => (await search(c, query, { k: 10, mode: 'hybrid', denseWeight })).map((hit) => [hit.id, hit.score]);
    expect(await scored(ctx, '行政执法有待提高')).toEqual(await scored(base, '行政执法有待提高', 0.2));
    expect(await scored(ctx, '行政执法有待提高')).not.toEqual(await scored(base, '行政执法有待提高'));
    expect(await scored(ctx, '述法行政复议跨部门')).toEqual(await scored(base, '述法行政复议跨部门', 0.95));
    expect(await scored(ctx, '述法行政复议跨部门')).not.toEqual(await scored(base, '述法行政复议跨部门'));
  });

  it("hybrid scores each list's candidates in the other list too, beyond its retrieval depth", async () => {
    const region: FixtureRegion = { province: '山东省', city: '威海市', county: null, year: 2023 };
    const random = seededRandom(8);
    const queryVector = bagVector(['审查', '备案']);
    const reports: [ParsedReport, Float32Array[]][] = [];
    const add = (source: string, words: string[], vector: Float32Array) => reports.push([makeReport(source, region, [{ section: '成效', words }]), [vector]]);
    // Dense ranks these two first and alike (the query's own direction); only one holds a query word.
    const fillers = Array.from({ length: 30 }, (_, i) => `补${i}`);
    add('no-word.txt', fillers, queryVector);
    add('one-word.txt', ['审查', ...fillers], queryVector);
    // More passages than lexical search reads (its depth for a page of 10 is 100) outrank it by bm25; dense ranks them last.
    const away = (): Float32Array => unit(queryVector.map((x) => -x + 0.1 * (random() * 2 - 1)));
    for (let i = 0; i < 120; i++) add(`decoy-${i}.txt`, ['审查', `词${i}`, '备案'], away());
    // Passages about other things, so that the query words are not in nearly all of them (idf ≈ 0).
    for (let i = 0; i < 300; i++) add(`other-${i}.txt`, [`别${i}`, `事${i}`], away());
    for (const [report, vectors] of reports) store.putReport(report, withoutPieces(vectors), 'test-bag-64');
    const segment = makeSegmenter(reports.map(([report]) => report));
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.sync(store, 'test-bag-64');
    const ctx: SearchContext = { store, index, encoder: makeEncoder(segment), segment, thesaurus: [] };

    const lexicalIds = new Set(store.lexicalSearch(segment('审查备案'), 100).map((hit) => hit.id));
    const hybrid = await search(ctx, '审查备案', { k: 10, mode: 'hybrid' });
    expect(lexicalIds.has(hybrid[0]!.id)).toBe(false);
    // Its bm25 counts although it is not among lexical search's first 100: it ranks above the passage without the word.
    expect(hybrid.slice(0, 2).map((hit) => hit.source)).toEqual(['one-word.txt', 'no-word.txt']);
  });

  it("dense mode counts a passage's best-matching clause where the model has clauseMatch; hybrid and models without it keep the cosine", async () => {
    const random = seededRandom(5);
    const query = bagVector(['复议', '应诉']);
    // One clause of `several` is the query itself, its whole vector is further off than `close`'s.
    const several = makeReport('several.txt', HUANCUI, [{ section: '成效', words: ['规范', '复议', '应诉', '工作'] }]);
    const close = makeReport('close.txt', WEIHAI, [{ section: '成效', words: ['执法', '监督'] }]);
    const wholeOfSeveral = atCosine(query, 0.5, random);
    const wholeOfClose = atCosine(query, 0.6, random);
    store.putReport(several, [{ vector: wholeOfSeveral, pieces: [wholeOfSeveral, query] }], 'clause-64');
    const { passageIds: [closeId] } = store.putReport(close, [{ vector: wholeOfClose, pieces: [wholeOfClose] }], 'clause-64');
    const segment = makeSegmenter([several, close]);
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.sync(store, 'clause-64');
    const plain = makeEncoder(segment, 'clause-64');
    const withMatch = { ...plain, clauseMatch: { share: 0.25, calibration: { floor: 0, median: 0.5 } } };
    const ranked = async (encoder: typeof plain, mode: SearchMode) => (await search({ store, index, encoder, segment, thesaurus: [] }, '复议应诉', { k: 10, mode })).map((hit) => hit.source);
    // 0.75 × 0.5 + 0.25 × 1 = 0.625 against 0.75 × 0.6 + 0.25 × 0.6 = 0.6.
    expect(await ranked(withMatch, 'dense')).toEqual(['several.txt', 'close.txt']);
    expect(await ranked(plain, 'dense')).toEqual(['close.txt', 'several.txt']);
    const denseScores = (await search({ store, index, encoder: withMatch, segment, thesaurus: [] }, '复议应诉', { k: 10, mode: 'dense' })).map((hit) => hit.score);
    expect(denseScores[0]).toBeCloseTo(1 - Math.pow(2, -0.625 / 0.5), 2);
    const hybridWith = await search({ store, index, encoder: withMatch, segment, thesaurus: [] }, '复议应诉', { k: 10, mode: 'hybrid' });
    const hybridPlain = await search({ store, index, encoder: plain, segment, thesaurus: [] }, '复议应诉', { k: 10, mode: 'hybrid' });
    expect(hybridWith).toEqual(hybridPlain);
    // A stored passage as the source: its own pieces are the query's.
    const fromClose = await similar({ store, index, encoder: withMatch, segment, thesaurus: [] }, { passageId: closeId! }, { k: 10, mode: 'dense' });
    expect(fromClose.map((hit) => hit.source)).toEqual(['several.txt']);
  });

  it("reads as deep as the model's denseDepth: a report passage behind 120 laws is found once they are weighted down", async () => {
    const random = seededRandom(7);
    const query = bagVector(['复议', '应诉']);
    const law = makeReport('law/crowd.md', HENAN, Array.from({ length: 120 }, (_, i) => ({ section: '其他' as const, words: ['第', String(i + 1), '条'] })));
    law.meta.kind = '法律法规';
    const report = makeReport('r/deep.txt', HUANCUI, [{ section: '成效', words: ['行政', '争议', '化解'] }]);
    // Every law passage is nearer the query (0.9) than the report's (0.7), which wins once laws weigh 0.7.
    store.putReport(law, withoutPieces(law.passages.map(() => atCosine(query, 0.9, random))), 'depth-64');
    store.putReport(report, withoutPieces([atCosine(query, 0.7, random)]), 'depth-64');
    // The query's words are in no stored passage: lexical finds nothing, hybrid is dense alone.
    const segment = makeSegmenter([law, report, makeReport('q.txt', HUANCUI, [{ section: '成效', words: ['复议', '应诉'] }])]);
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.sync(store, 'depth-64');
    const shallow = makeEncoder(segment, 'depth-64');
    const deep = { ...shallow, denseDepth: 200 };
    for (const mode of ['dense', 'hybrid'] as const) {
      const top = async (encoder: typeof shallow) => (await search({ store, index, encoder, segment, thesaurus: [] }, '复议应诉', { k: 10, mode }))[0]!.source;
      expect(await top(shallow), mode).toBe('law/crowd.md');
      expect(await top(deep), mode).toBe('r/deep.txt');
    }
  });

  it('reads lexical matches as the law weight ranks them: report passages behind 350 better-scoring law articles come first, at any k', async () => {
    // A short article naming the measure outscores a report passage on raw bm25 (length
    // normalisation), not once laws weigh 0.7; 350 of them fill the first 3 × 100 read for k 10.
    const law = makeReport('law/fuyi.md', HENAN, Array.from({ length: 350 }, (_, i) => ({ section: '其他' as const, words: ['第', String(i + 1), '条', '行政复议'] })));
    law.meta.kind = '法律法规';
    const reports = [
      makeReport('r/weihai.txt', WEIHAI, [{ section: '成效', words: ['推行', '行政复议', '体制', '改革', '案件', '办理'] }]),
      makeReport('r/yicheng.txt', YICHENG, [{ section: '成效', words: ['规范', '行政复议', '案件', '审理', '流程', '公开'] }]),
    ];
    const ctx = context([law, ...reports]);
    for (const mode of ['lexical', 'hybrid'] as const) {
      const sources = async (k: number) => (await search(ctx, '行政复议', { k, mode })).map((hit) => hit.source);
      const five = await sources(5);
      expect(new Set(five.slice(0, 2)), mode).toEqual(new Set(['r/weihai.txt', 'r/yicheng.txt']));
      expect((await sources(20)).slice(0, 5), mode).toEqual(five);
    }
  });

  it('a law is one answer: past its best two articles, its further ones fall behind the report passages they outscored, in every mode', async () => {
    // Short articles naming the topic twice (法律援助法) outscore a report passage naming it once even at the law weight.
    const law = makeReport('law/yuanzhu.md', HENAN, Array.from({ length: 40 }, (_, i) => ({ section: '其他' as const, words: ['第', String(i + 1), '条', '法律援助', '机构', '法律援助'] })));
    law.meta.kind = '法律法规';
    const report = makeReport('r/yicheng.txt', YICHENG, [{ section: '成效', words: ['受理', '法律援助', '案件', '八百', '余件', '办结', '七百', '余件', '挽回', '损失', '三百', '万元'] }]);
    const ctx = context([law, report]);
    for (const mode of ['lexical', 'hybrid'] as const) {
      const hits = await search(ctx, '法律援助', { k: 10, mode });
      expect(hits.map((hit) => hit.source), mode).toEqual(['law/yuanzhu.md', 'law/yuanzhu.md', 'r/yicheng.txt', ...Array(7).fill('law/yuanzhu.md')]);
      const scores = hits.map((hit) => hit.score);
      expect(scores, mode).toEqual([...scores].sort((a, b) => b - a));
    }
  });

  it("hybrid keeps dense's order where nothing matches: no query word stored, every cosine below the model's chance floor", async () => {
    const random = seededRandom(11);
    const query = bagVector(['复议', '应诉']);
    // Stored farthest first, so that passage ids run against the cosine order.
    const cosines = [0.1, 0.2, 0.3];
    for (const [i, c] of cosines.entries()) {
      store.putReport(makeReport(`far-${i}.txt`, HUANCUI, [{ section: '成效', words: ['执法', `事${i}`] }]), withoutPieces([atCosine(query, c, random)]), 'floor-64');
    }
    const segment = makeSegmenter([makeReport('q.txt', HUANCUI, [{ section: '成效', words: ['复议', '应诉', '执法', '事0', '事1', '事2'] }])]);
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.sync(store, 'floor-64');
    const encoder = { ...makeEncoder(segment, 'floor-64'), calibration: { floor: 0.5, median: 0.7 } };
    const hits = await search({ store, index, encoder, segment, thesaurus: [] }, '复议应诉', { k: 10, mode: 'hybrid' });
    expect(hits.map((hit) => hit.score)).toEqual([0, 0, 0]);
    expect(hits.map((hit) => hit.source)).toEqual(['far-2.txt', 'far-1.txt', 'far-0.txt']);
  });

  it('hybrid lists what dense found where it steps aside: after the lexical hits, scored 0, in its order, so a count of them is what is listed', async () => {
    const random = seededRandom(12);
    const query = bagVector(['复议', '应诉']);
    // One passage holds a query word; two hold none; every cosine is below the model's chance floor.
    const stored: [string, string[], number][] = [
      ['word.txt', ['复议', '案件'], 0.1],
      ['near.txt', ['执法', '培训'], 0.3],
      ['far.txt', ['执法', '检查'], 0.2],
    ];
    for (const [source, words, c] of stored) store.putReport(makeReport(source, HUANCUI, [{ section: '成效', words }]), withoutPieces([atCosine(query, c, random)]), 'floor-64');
    const segment = makeSegmenter([makeReport('q.txt', HUANCUI, [{ section: '成效', words: ['复议', '应诉', '案件', '执法', '培训', '检查'] }])]);
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.sync(store, 'floor-64');
    const encoder = { ...makeEncoder(segment, 'floor-64'), calibration: { floor: 0.5, median: 0.7 } };
    const hits = await search({ store, index, encoder, segment, thesaurus: [] }, '复议应诉', { k: 10, mode: 'hybrid' });
    expect(hits.map((hit) => hit.source)).toEqual(['word.txt', 'near.txt', 'far.txt']);
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(hits.slice(1).map((hit) => hit.score)).toEqual([0, 0]);
  });

  it('ranks a report passage above a law passage that matches as well, in every mode; --kind still lists laws', async () => {
    const words = ['推行', '证明事项', '告知承诺制', '全面', '落实'];
    const law = makeReport('law/a.md', HENAN, [{ section: '其他', words }]);
    law.meta.kind = '法律法规';
    const report = makeReport('r/b.txt', HUANCUI, [{ section: '成效', words }]);
    const ctx = context([law, report]);
    for (const mode of MODES) {
      const hits = await search(ctx, '证明事项告知承诺制落实', { k: 10, mode });
      expect(hits.map((hit) => hit.source), mode).toEqual(['r/b.txt', 'law/a.md']);
      expect(hits[0]!.score, mode).toBeGreaterThan(hits[1]!.score);
      const laws = await search(ctx, '证明事项告知承诺制落实', { k: 10, mode, filter: { kind: '法律法规' } });
      expect(laws.map((hit) => hit.source), mode).toEqual(['law/a.md']);
    }
  });

  it('groups by report: one row per report, best passages first, report score = best passage', async () => {
    const ctx = context(corpus());
    const reports = await search(ctx, '推行双随机一公开检查', { k: 3, mode: 'hybrid', by: 'report' });
    expect(reports).toHaveLength(3);
    expect(new Set(reports.map((report) => report.docId)).size).toBe(3);
    for (const report of reports) {
      expect(report.passages.length).toBeGreaterThan(0);
      expect(report.passages.length).toBeLessThanOrEqual(3);
      expect(report.score).toBe(report.passages[0]!.score);
      expect(report.passages.every((hit) => hit.docId === report.docId && hit.source === report.source)).toBe(true);
      const scores = report.passages.map((hit) => hit.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    expect(reports.map((report) => report.score)).toEqual(reports.map((report) => report.score).sort((a, b) => b - a));
    expect(reports[0]!.source).toBe('c/shanzhou.txt');
  });

  it('finds similar passages elsewhere, never the source or its report, and can leave out its region', async () => {
    const ctx = context(corpus());
    const huancui = store.getDocumentBySource('a/huancui.txt')!;
    const source = store.passageIdsOf(huancui.id)[0]!;
    const near = await similar(ctx, { passageId: source }, { k: 20 });
    expect(near.length).toBeGreaterThan(0);
    expect(near.some((hit) => hit.docId === huancui.id)).toBe(false);
    expect(near.some((hit) => hit.jurisdiction.city === '威海市')).toBe(true);

    const elsewhere = await similar(ctx, { passageId: String(source) }, { k: 20, otherRegions: true });
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(elsewhere.some((hit) => hit.jurisdiction.county === '环翠区')).toBe(false);
    expect(elsewhere[0]!.text).toBe('推行双随机一公开监管双随机一公开检查');

    // A city-level source leaves out its whole city, county reports included.
    const weihai = store.getDocumentBySource('a/weihai.txt')!;
    const cityWide = await similar(ctx, { passageId: store.passageIdsOf(weihai.id)[0]! }, { k: 20, otherRegions: true });
    expect(cityWide.length).toBeGreaterThan(0);
    expect(cityWide.some((hit) => hit.jurisdiction.city === '威海市')).toBe(false);

    const inHenan = await similar(ctx, { passageId: source }, { k: 20, filter: { province: '河南省' } });
    expect(inHenan.length).toBeGreaterThan(0);
    expect(inHenan.every((hit) => hit.jurisdiction.province === '河南省')).toBe(true);

    const text = '推行双随机一公开监管全覆盖市场主体检查';
    expect((await similar(ctx, { text }, { k: 5 }))[0]!.id).toBe(source);
    const fromText = await similar(ctx, { text }, { k: 20, otherRegions: true, region: { province: '山东省', city: '威海市' } });
    expect(fromText.length).toBeGreaterThan(0);
    expect(fromText.some((hit) => hit.jurisdiction.city === '威海市')).toBe(false);
  });

  it('compares a pasted text by its words and its meaning (hybrid by default), or by either alone', async () => {
    const ctx = context(corpus());
    const henan = store.getDocumentBySource('c/henan.txt')!;
    const target = store.passageIdsOf(henan.id)[0]!;
    const text = '执法案卷评查';
    for (const mode of ['lexical', 'hybrid', 'dense'] as const) {
      expect((await similar(ctx, { text }, { k: 3, mode }))[0]!.id, mode).toBe(target);
    }
    expect((await similar(ctx, { text }, { k: 3 })).map((hit) => hit.id)).toEqual((await similar(ctx, { text }, { k: 3, mode: 'hybrid' })).map((hit) => hit.id));
    // A stored passage's words count too: lexical similarity finds its peers, never its own report.
    const huancui = store.getDocumentBySource('a/huancui.txt')!;
    const byWords = await similar(ctx, { passageId: store.passageIdsOf(huancui.id)[0]! }, { k: 5, mode: 'lexical' });
    expect(byWords[0]!.text).toBe('推行双随机一公开监管双随机一公开检查');
    expect(byWords.some((hit) => hit.docId === huancui.id)).toBe(false);
    await expectParamError(() => similar(ctx, { text }, { k: 3, mode: 'fuzzy' as never }), 'mode');
  });

  it("makes a long text's lexical query of its most telling words: frequent in it, rare in the index", () => {
    context(corpus());
    const vocabulary = [...new Set(corpus().flatMap((report) => report.passages.flatMap((passage) => passage.tokens)))];
    expect(vocabulary.length).toBeGreaterThan(32);
    const tokens = [...vocabulary, '案卷', '案卷', '案卷', ...Array<string>(5).fill('索引里没有的词')];
    const kept = telltaleTokens(store, tokens);
    expect(kept).toHaveLength(32);
    expect(kept[0]).toBe('案卷');
    expect(kept).not.toContain('索引里没有的词');
    // Words said once: none kept is more common in the index than one left out.
    const idf = new Map(vocabulary.map((token, i) => [token, store.tokenIdfs(vocabulary)[i]!]));
    const keptOnce = kept.filter((token) => token !== '案卷').map((token) => idf.get(token)!);
    const dropped = vocabulary.filter((token) => !kept.includes(token)).map((token) => idf.get(token)!);
    expect(Math.min(...keptOnce)).toBeGreaterThanOrEqual(Math.max(...dropped));
    expect(Math.min(...keptOnce)).toBeGreaterThan(Math.min(...dropped));
    // A short text keeps every word.
    expect(telltaleTokens(store, ['述法', '评议', '述法'])).toEqual(['述法', '评议']);
  });

  it('answers an empty store with no results in every mode', async () => {
    const ctx = context([]);
    for (const mode of MODES) {
      expect(await search(ctx, '述法', { k: 10, mode })).toEqual([]);
      expect(await search(ctx, '述法', { k: 10, mode, filter: { province: '山东省' }, by: 'report' })).toEqual([]);
    }
    expect(await similar(ctx, { text: '述法' }, { k: 10 })).toEqual([]);
  });

  it('rejects bad input naming the argument', async () => {
    const ctx = context(corpus());
    const ok = { k: 10, mode: 'hybrid' as const };
    await expectParamError(() => search(ctx, '   ', ok), 'query');
    await expectParamError(() => search(ctx, '法'.repeat(501), ok), 'query');
    for (const k of [0, 101, 2.5]) await expectParamError(() => search(ctx, '述法', { ...ok, k }), 'k');
    await expectParamError(() => search(ctx, '述法', { ...ok, filter: { year: 1900 } }), 'year');
    await expectParamError(() => search(ctx, '述法', { ...ok, filter: { to: 2101 } }), 'to');
    await expectParamError(() => search(ctx, '述法', { ...ok, filter: { from: 2024, to: 2020 } }), 'from');
    await expectParamError(() => search(ctx, '述法', { ...ok, filter: { section: '成绩' as never } }), 'section');
    await expectParamError(() => search(ctx, '述法', { ...ok, mode: 'fuzzy' as never }), 'mode');
    await expectParamError(() => similar(ctx, { passageId: 'abc' }, { k: 5 }), 'passageId');
    await expectParamError(() => similar(ctx, { passageId: 999_999 }, { k: 5 }), 'passageId');
    // A text to compare is the search layer's `text` (the CLI's --text), up to 5,000 characters.
    await expectParamError(() => similar(ctx, { text: '' }, { k: 5 }), 'text');
    await expectParamError(() => similar(ctx, { text: '法'.repeat(5001) }, { k: 5 }), 'text');
    // A query of stopwords only has no lexical tokens: no results, not an error.
    expect(await search(ctx, '的了', { ...ok, mode: 'lexical' })).toEqual([]);
  });
});

describe('VectorIndex', () => {
  it('reaches recall@10 ≥ 0.98 against exact search, with and without a filter', { timeout: 30_000 }, () => {
    const random = seededRandom(7);
    const randomVector = () => unit(Float32Array.from({ length: DIM }, () => random() * 2 - 1));
    for (let r = 0; r < 50; r++) {
      const report = makeReport(`random/${r}.txt`, { ...HENAN, year: 2000 + (r % 20) }, Array.from({ length: 100 }, (_, i) => ({ section: '其他' as const, words: [`词${i}`] })));
      store.putReport(report, withoutPieces(report.passages.map(randomVector)), 'random-64');
    }
    const index = new VectorIndex(dataDir, { warn: () => {} });
    index.ensureFresh(store, 'random-64');
    expect(index.size).toBe(5000);

    const oneReport = new Set(store.passageIds({ filter: { year: 2007 } }));
    const even = (label: number) => label % 2 === 0;
    let found = 0;
    let foundFiltered = 0;
    let tightFound = 0;
    const queries = 100;
    for (let q = 0; q < queries; q++) {
      const query = randomVector();
      const exact = new Set(index.exactSearch(query, 10).map((hit) => hit.id));
      found += index.search(query, 10).filter((hit) => exact.has(hit.id)).length;
      const exactFiltered = new Set(index.exactSearch(query, 10, even).map((hit) => hit.id));
      const filtered = index.search(query, 10, even);
      expect(filtered.every((hit) => even(hit.id))).toBe(true);
      foundFiltered += filtered.filter((hit) => exactFiltered.has(hit.id)).length;
      if (q % 10 === 0) {
        // A tight allow-list is searched exactly; a tight predicate still finds its true neighbours.
        expect(index.search(query, 10, oneReport)).toEqual(index.exactSearch(query, 10, oneReport));
        const rare = (label: number) => label % 97 === 0;
        const exactRare = index.exactSearch(query, 10, rare).map((hit) => hit.id);
        tightFound += index.search(query, 10, rare).filter((hit) => exactRare.includes(hit.id)).length;
      }
    }
    expect(found / (queries * 10)).toBeGreaterThanOrEqual(0.98);
    expect(foundFiltered / (queries * 10)).toBeGreaterThanOrEqual(0.98);
    expect(tightFound / 100).toBeGreaterThanOrEqual(0.98);
  });

  it('rebuilds in memory, with the reason, when the file is missing, truncated, unreadable or of another model', () => {
    const reports = corpus();
    const warnings: string[] = [];
    const ctx = context(reports.slice(0, 4), warnings);
    const query = bagVector(['推行', '双随机一公开', '检查']);
    const expectCorrect = (index: VectorIndex) => {
      const approximate = index.search(query, 5);
      const exact = index.exactSearch(query, 5);
      expect(approximate.map((hit) => hit.score)).toEqual(exact.map((hit) => expect.closeTo(hit.score, 5)));
      expect(approximate[0]!.id).toBe(exact[0]!.id);
      expect(approximate[0]!.id).toBe(store.lexicalSearch(['双随机一公开'], 1)[0]!.id);
    };
    const reopen = (modelId = 'test-bag-64') => {
      const index = new VectorIndex(dataDir, { warn: (message) => warnings.push(message) });
      return { index, result: index.ensureFresh(store, modelId) };
    };
    // The first build of a new data dir is not worded as a lost file.
    expect(warnings).toEqual([expect.stringMatching(/hnsw\.bin: building it from the store \(14 vectors\)$/)]);
    expectCorrect(ctx.index);

    let opened = reopen();
    expect(opened.result).toEqual({ rebuilt: false, reason: null });
    expect(readIndexHealth(dataDir, store)).toMatchObject({ present: true, fresh: true, modelId: 'test-bag-64', count: 14, generation: store.generation() });
    expectCorrect(opened.index);

    // A reader rebuilds in memory and writes nothing: the file stays missing.
    rmSync(join(dataDir, INDEX_FILE));
    opened = reopen();
    expect(opened.result.reason).toBe('missing');
    expect(warnings.at(-1)).toMatch(/hnsw\.bin: missing; rebuilding from the store \(14 vectors\)$/);
    expectCorrect(opened.index);
    expect(existsSync(join(dataDir, INDEX_FILE))).toBe(false);
    ctx.index.sync(store, 'test-bag-64');

    const indexPath = join(dataDir, INDEX_FILE);
    truncateSync(indexPath, Math.floor(readFileSync(indexPath).length / 2));
    // Status says what brings it back: no writer saves a file it did not change.
    expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: false, reason: expect.stringMatching(/truncated.*until `fazhi reindex` saves it again/) });
    opened = reopen();
    expect(opened.result.reason).toMatch(/truncated/);
    expectCorrect(opened.index);

    // Truncated with a sidecar claiming that size: hnswlib's own check catches it.
    truncateSync(indexPath, Math.floor(readFileSync(indexPath).length / 2));
    const sidecarPath = join(dataDir, SIDECAR_FILE);
    const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as { fileBytes: number };
    writeFileSync(sidecarPath, JSON.stringify({ ...sidecar, fileBytes: readFileSync(indexPath).length }));
    opened = reopen();
    expect(opened.result.reason).toMatch(/unreadable/);
    expectCorrect(opened.index);
    // A sidecar that is not JSON is unreadable, not missing.
    writeFileSync(sidecarPath, 'garbage');
    expect(readIndexHealth(dataDir, store)).toMatchObject({ present: false, reason: expect.stringMatching(/^sidecar unreadable.*`fazhi reindex`/) });
    writeFileSync(sidecarPath, JSON.stringify({ ...sidecar, fileBytes: readFileSync(indexPath).length }));

    store.replaceVectors('other-model', [...store.iterateVectors('test-bag-64')].map((item) => ({ ...item, pieces: [] })));
    opened = reopen('other-model');
    expect(opened.result.reason).toBe('built for model test-bag-64, not other-model');
    expect(opened.index.modelId).toBe('other-model');
    expectCorrect(opened.index);
    expect(warnings.filter((message) => message.includes('rebuilding from the store'))).toHaveLength(4);
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it("replays the store's change log onto a saved file instead of rebuilding", () => {
    const reports = corpus();
    const warnings: string[] = [];
    const ctx = context(reports.slice(0, 4), warnings);
    const savedAt = store.generation();
    expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: true, generation: savedAt });

    // A new report and a changed one, committed after the file was saved.
    store.putReport(reports[4]!, vectorsFor(reports[4]!), 'test-bag-64');
    const changed = makeReport('a/huancui.txt', HUANCUI, [{ section: '成效', words: ['推行', '双随机一公开', '信用', '分级', '分类', '监管'] }]);
    const put = store.putReport(changed, vectorsFor(changed), 'test-bag-64');
    expect(store.generation()).toBe(savedAt + 2);
    expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: false, reason: expect.stringMatching(/behind the store/) });

    const reader = new VectorIndex(dataDir, { warn: (message) => warnings.push(message) });
    expect(reader.ensureFresh(store, 'test-bag-64')).toEqual({ rebuilt: false, reason: null });
    expect(reader.generation).toBe(store.generation());
    expect(reader.size).toBe(store.countVectors('test-bag-64'));
    const hits = reader.search(bagVector(['双随机一公开', '信用', '分级']), 20).map((hit) => hit.id);
    expect(hits[0]).toBe(put.passageIds[0]);
    expect(hits.some((id) => put.removedIds.includes(id))).toBe(false);
    expect(hits).toHaveLength(store.countVectors('test-bag-64'));
    // The reader saved nothing.
    expect(readIndexHealth(dataDir, store).generation).toBe(savedAt);

    // After a removal the writer saves the caught-up file and the store forgets the log it reflects.
    store.removeBySource(changed.source);
    expect(ctx.index.sync(store, 'test-bag-64')).toMatchObject({ rebuilt: false, saved: true });
    // The index counts its live points itself as it replays (the store is not asked to count).
    expect(ctx.index.size).toBe(store.countVectors('test-bag-64'));
    expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: true, generation: store.generation() });
    expect(store.vectorChangesSince(savedAt, 'test-bag-64')).toBeNull();
    // The long-lived reader is older than the pruned log: it reloads the newer file, no rebuild.
    expect(reader.ensureFresh(store, 'test-bag-64')).toEqual({ rebuilt: false, reason: null });
    expect(reader.generation).toBe(store.generation());
    expect(reader.search(bagVector(['双随机一公开', '信用', '分级']), 20).map((hit) => hit.id)).not.toContain(put.passageIds[0]);
    // Only the data dir's first build: every later open replayed the log.
    expect(warnings).toEqual([expect.stringMatching(/building it from the store/)]);
  });
});
