// Lexical matching of measure names in every form, over the real sample reports with the real
// segmenter and SQLite FTS5 (vectors are irrelevant to lexical search and are stand-ins here).
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import { segmentContext, segmentForQuery } from '../pipeline/segment.ts';
import { updateBoilerplate } from '../search/boilerplate.ts';
import { search, type SearchContext } from '../search/searchEngine.ts';
import { STORE_FILE, Store, StoreSchemaError } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { makeEncoder, makeReport, tempDataDir, vectorsFor } from './helpers/searchFixtures.ts';

const CORPUS = path.join(import.meta.dirname, '..', 'corpus');

let dataDir: string;
let store: Store;
let ctx: SearchContext;

beforeAll(() => {
  dataDir = tempDataDir();
  store = Store.open(dataDir);
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.txt'))) {
    const report = parseReport(path.join(CORPUS, file), readFileSync(path.join(CORPUS, file)));
    store.putReport(report, vectorsFor(report), 'test-bag-64');
  }
  updateBoilerplate(store);
  const index = new VectorIndex(dataDir);
  index.ensureFresh(store, 'test-bag-64');
  ctx = { store, index, encoder: makeEncoder(segmentForQuery), segment: segmentForQuery, thesaurus: [] };
});

afterAll(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function topTexts(query: string, k = 3): Promise<string[]> {
  return (await search(ctx, query, { k, mode: 'lexical' })).map((hit) => hit.text.normalize('NFKC').replace(/\s+/g, ''));
}

describe('measure names in every form (lexical search over the sample reports)', () => {
  it('the short form 双随机 and the spellings without the enumeration comma find the passage holding “双随机、一公开”', async () => {
    for (const query of ['双随机', '双随机一公开', '双随机,一公开', '双随机 一公开', '“双随机、一公开”', '双随机·一公开']) {
      const [first] = await topTexts(query);
      expect(first, query).toContain('“双随机、一公开”信用监管');
    }
  });

  it('finds the quoted, punctuated, full-width and numbered spellings from the typed variants', async () => {
    const cases: [string, string][] = [
      ['免罚轻罚清单', '首次“免罚、轻罚”清单制度'],
      ['ＡＩ＋人工客服', 'AI+人工互促共融'],
      ['3问2送1促', '“三问两送一促”机制'],
      ['县乡2级执法监督体系', '健全县乡两级执法监督体系'],
      ['最多跑1次', '“最多跑一次”工作见成效'],
      ['八五普法', '开展“八五”普法中期评估'],
      ['巡察 复议 执法监督', '“巡察+复议+执法监督”案卷评查'],
    ];
    for (const [query, expected] of cases) {
      const top = await topTexts(query);
      expect(top.some((t) => t.includes(expected)), `${query} → ${expected}\n${top.join('\n')}`).toBe(true);
    }
  });

  it('a name typed with digits finds all reports that spell it out (行政执法3项制度)', async () => {
    const hits = await search(ctx, '行政执法3项制度', { k: 5, mode: 'lexical' });
    const sources = new Set(hits.filter((h) => h.text.includes('三项制度')).map((h) => path.basename(h.source)));
    expect([...sources].sort()).toEqual(['001_9888fa626719769d.txt', '003_49b691710f879f5c.txt']);
  });
});

describe('proximity', () => {
  it('ranks a passage where the query words stand together above a shorter one where they are scattered', async () => {
    const dir = tempDataDir();
    const s = Store.open(dir);
    try {
      const region = { province: '山东省', city: '威海市', county: null, year: 2023 };
      const together = makeReport('together.txt', region, [
        { section: '不足', words: ['复议', '办案', '人员', '数量', '不足', '差距', '明显', '较大'] },
      ]);
      const scattered = makeReport('scattered.txt', region, [{ section: '成效', words: ['复议', '案件', '增长', '培训', '能力', '提升', '办案'] }]);
      for (const r of [together, scattered]) s.putReport(r, vectorsFor(r), 'test-bag-64');
      // Same term frequencies; bm25 alone prefers the shorter passage, only proximity lifts the longer one.
      const hits = s.lexicalSearch(['复议', '办案'], 10);
      expect(s.getPassages(hits.map((h) => h.id)).map((p) => p.source)).toEqual(['together.txt', 'scattered.txt']);
      expect(s.lexicalSearch(['复议'], 10).map((h) => s.getPassage(h.id)!.source)[0]).toBe('scattered.txt');
    } finally {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store schema upgrade from 2', () => {
  it('adds the title and heading column to a schema-2 store without touching its passages or vectors', () => {
    const dir = storeWrittenBy(SCHEMA_2);
    try {
      // Readers never write: they name the command that upgrades it.
      expect(() => Store.openReadOnly(dir)).toThrow(StoreSchemaError);
      expect(() => Store.openReadOnly(dir)).toThrow(/schema version 2, this program expects 3: written by an earlier version; run `fazhi reindex`/);
      const s = Store.open(dir);
      try {
        expect(s.getMeta('schema_version')).toBe('3');
        expect(s.lexicalSearch(segmentForQuery('双随机'), 10).map((h) => h.id)).toEqual([1]);
        expect(s.lexicalSearch(segmentForQuery('简政放权'), 10).map((h) => h.id)).toEqual([1]);
        expect(s.getPassage(1)!.text).toBe('推行“双随机、一公开”信用监管，覆盖抽查事项100项。');
        // A passage added after the upgrade is found by its context too (parseReport fills it; the fixture does not).
        const made = makeReport('new.txt', { province: '河南省', city: '三门峡市', county: '陕州区', year: 2022 }, [{ section: '成效', words: ['推行', '案卷', '评查'] }]);
        const r = { ...made, passages: made.passages.map((p) => ({ ...p, context: segmentContext(made.meta.title, p.headingPath) })) };
        s.putReport(r, vectorsFor(r), 'test-bag-64');
        expect(s.getPassages(s.lexicalSearch(segmentForQuery('陕州区'), 10).map((h) => h.id)).map((p) => p.source)).toEqual(['new.txt']);
      } finally {
        s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A data dir holding a store as an earlier release wrote it (`schema`: its tables and rows). */
function storeWrittenBy(schema: string): string {
  const dir = tempDataDir();
  const db = new Database(path.join(dir, STORE_FILE));
  db.exec(schema);
  db.close();
  return dir;
}

// The schema-2 store as the previous release wrote it: two FTS columns, document kind.
const SCHEMA_2 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '2');
CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL,
  title TEXT NOT NULL, province TEXT, city TEXT, county TEXT, code TEXT, year INTEGER, published_at TEXT, issuer TEXT,
  doc_number TEXT, encoding TEXT NOT NULL, model_id TEXT NOT NULL, ingested_at TEXT NOT NULL, kind TEXT NOT NULL DEFAULT '其他');
CREATE TABLE passages (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL, section TEXT NOT NULL, heading_path TEXT NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL,
  hash TEXT NOT NULL, boilerplate REAL NOT NULL DEFAULT 0, parts TEXT NOT NULL DEFAULT '', UNIQUE (doc_id, ordinal));
CREATE TABLE vectors (passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE, model_id TEXT NOT NULL,
  dim INTEGER NOT NULL, data BLOB NOT NULL);
CREATE VIRTUAL TABLE passages_fts USING fts5(tokens, parts, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, tokens, parts) VALUES (new.id, new.tokens, new.parts);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, tokens, parts) VALUES ('delete', old.id, old.tokens, old.parts);
END;
INSERT INTO documents VALUES (1, 'r.txt', 'h', '威海市2023年法治政府建设情况报告', '山东省', '威海市', NULL, NULL, 2023, NULL, NULL, NULL, 'utf-8', 'm', '2024-01-01', '法治政府建设年度报告');
INSERT INTO passages VALUES (1, 1, 0, '成效', '["一、深化简政放权"]', '推行“双随机、一公开”信用监管，覆盖抽查事项100项。', '推行 双随机一公开 信用 监管 信用监管', 'x', 0, '双随机 随机 公开');
`;

// The schema-1 store as the previous release wrote it: one FTS column of search-mode tokens,
// no document kind.
const SCHEMA_1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL,
  title TEXT NOT NULL, province TEXT, city TEXT, county TEXT, code TEXT, year INTEGER, published_at TEXT, issuer TEXT,
  doc_number TEXT, encoding TEXT NOT NULL, model_id TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE TABLE passages (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL, section TEXT NOT NULL, heading_path TEXT NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL,
  hash TEXT NOT NULL, boilerplate REAL NOT NULL DEFAULT 0, UNIQUE (doc_id, ordinal));
CREATE TABLE vectors (passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE, model_id TEXT NOT NULL,
  dim INTEGER NOT NULL, data BLOB NOT NULL);
CREATE VIRTUAL TABLE passages_fts USING fts5(tokens, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, tokens) VALUES (new.id, new.tokens);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
END;
INSERT INTO documents VALUES (1, 'r.txt', 'h', '威海市2023年法治政府建设情况报告', '山东省', '威海市', NULL, NULL, 2023, NULL, NULL, NULL, 'utf-8', 'm', '2024-01-01');
INSERT INTO passages VALUES (1, 1, 0, '成效', '["一、深化简政放权"]', '推行“双随机、一公开”信用监管，覆盖抽查事项100项。', '推行 双随机一公开 信用 监管 信用监管', 'x', 0);
INSERT INTO passages VALUES (2, 1, 1, '不足', '[]', '法治政府建设还存在基层执法力量不足的问题。', '法治 政府 法治政府 基层 执法 力量', 'y', 0);
`;

describe('store schema upgrade', () => {
  it('upgrades a schema-1 store in place: passages re-segmented for the new lexical index, documents classified, titles and headings indexed', () => {
    const dir = storeWrittenBy(SCHEMA_1);
    try {
      const s = Store.open(dir);
      try {
        expect(s.getMeta('schema_version')).toBe('3');
        expect(s.documents()[0]!.kind).toBe('法治政府建设年度报告');
        // 双随机 is a part of the whole name: only the re-segmented index has it.
        expect(s.lexicalSearch(segmentForQuery('双随机'), 10).map((h) => h.id)).toEqual([1]);
        expect(s.lexicalSearch(segmentForQuery('执法力量'), 10).map((h) => h.id)).toEqual([2]);
        expect(s.passageIds({ filter: { kind: '法律法规' } }).size).toBe(0);
        expect(s.passageIds({ filter: { kind: '法治政府建设年度报告' } }).size).toBe(2);
        // Words only its heading (简政放权) or the title (威海) holds find a passage.
        expect(s.lexicalSearch(segmentForQuery('简政放权'), 10).map((h) => h.id)).toEqual([1]);
        expect(s.lexicalSearch(segmentForQuery('威海'), 10).map((h) => h.id).sort()).toEqual([1, 2]);
      } finally {
        s.close();
      }
      // Opening again finds schema 3 and changes nothing.
      const again = Store.open(dir);
      expect(again.lexicalSearch(segmentForQuery('双随机'), 10).map((h) => h.id)).toEqual([1]);
      expect(again.lexicalSearch(segmentForQuery('简政放权'), 10).map((h) => h.id)).toEqual([1]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
