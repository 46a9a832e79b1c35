// Lexical search's shortcuts against the plain queries they stand for, on a random store with a
// skewed vocabulary (a few words in most passages, many in few): the pruned first pass over the
// rarer tokens (Store.bestMatches) must return exactly the plain FTS5 `t1 OR t2 …` bm25 top list,
// and the in-memory proximity boost exactly what FTS5 NEAR(a b, 3) per neighbouring pair gave;
// Store.lexicalScores gives any passage the score a search of unlimited depth would; and the
// law-weighted retrieval (searchEngine.ts weightedLexicalSearch) is the weighted top list of all matches.
import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SectionKind } from '../pipeline/types.ts';
import { STORE_FILE, Store, type SearchFilter } from '../search/store.ts';
import { weightedLexicalSearch } from '../search/searchEngine.ts';
import { makeReport, seededRandom, tempDataDir, vectorsFor } from './helpers/searchFixtures.ts';

const WORDS = [
  '行政', '执法', '政府', '法治', '工作', '监督', '复议', '审查', '规范', '制度', '公开', '服务', '社区', '培训', '调解',
  '诉讼', '备案', '裁量', '基准', '信用', '监管', '述法', '枫桥', '顾问', '律师', '证明', '承诺', '营商', '环境', '乡镇',
];
// The store's proximity settings (search/store.ts PROXIMITY_BOOST, PROXIMITY_WINDOW).
const BOOST = 0.5;
const WINDOW = 3;

let dir: string;
let store: Store;
let db: Database.Database;
const random = seededRandom(20261127);
/** Zipf-like: word i drawn with weight 1 / (i + 1)^1.3, so 行政 is in most passages and 乡镇 in few. */
const weights = WORDS.map((_, i) => 1 / Math.pow(i + 1, 1.3));
const total = weights.reduce((a, b) => a + b, 0);
function word(): string {
  let r = random() * total;
  for (let i = 0; i < WORDS.length; i++) if ((r -= weights[i]!) <= 0) return WORDS[i]!;
  return WORDS[WORDS.length - 1]!;
}

beforeAll(() => {
  dir = tempDataDir();
  store = Store.open(dir);
  for (let r = 0; r < 8; r++) {
    const passages = Array.from({ length: 60 }, () => ({
      section: (r % 2 ? '成效' : '不足') as SectionKind,
      words: Array.from({ length: 3 + Math.floor(random() * 40) }, word),
    }));
    const report = makeReport(`r${r}.txt`, { province: '山东省', city: '威海市', county: null, year: 2018 + r }, passages);
    // Some passages carry parts too, so the parts column's weight is in play.
    report.passages.forEach((p, i) => {
      if (i % 3 === 0) p.parts = Array.from({ length: 1 + Math.floor(random() * 5) }, word);
    });
    store.putReport(report, vectorsFor(report), 'test-bag-64');
  }
  db = new Database(path.join(dir, STORE_FILE), { readonly: true });
});

afterAll(() => {
  db.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const quote = (t: string) => `"${t}"`;

/** The plain computation: bm25 top `limit` of the OR of all tokens, then NEAR per neighbouring pair. */
function reference(tokens: string[], limit: number, filter: SearchFilter): Map<number, number> {
  const match = tokens.map(quote).join(' OR ');
  const rows = (
    filter.year === undefined
      ? db.prepare(`SELECT rowid AS id, bm25(passages_fts, 1.0, 0.5) AS rank FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?`).all(match, limit)
      : db
          .prepare(
            `SELECT p.id, bm25(passages_fts, 1.0, 0.5) AS rank FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid JOIN documents d ON d.id = p.doc_id
             WHERE passages_fts MATCH ? AND d.year = ? ORDER BY rank LIMIT ?`,
          )
          .all(match, filter.year, limit)
  ) as { id: number; rank: number }[];
  const near = new Map<number, number>();
  if (tokens.length >= 2) {
    const ids = JSON.stringify(rows.map((r) => r.id));
    for (let i = 0; i + 1 < tokens.length; i++) {
      const expression = `tokens : NEAR(${quote(tokens[i]!)} ${quote(tokens[i + 1]!)}, ${WINDOW})`;
      const hit = db.prepare(`SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`).pluck().all(expression, ids) as number[];
      for (const id of hit) near.set(id, (near.get(id) ?? 0) + 1);
    }
  }
  const pairs = Math.max(1, tokens.length - 1);
  return new Map(rows.map((r) => [r.id, -r.rank * (1 + (tokens.length >= 2 ? (BOOST * (near.get(r.id) ?? 0)) / pairs : 0))]));
}

describe('lexical search returns what the plain FTS5 queries return', () => {
  it('for random queries mixing common and rare words, at several depths, with and without a filter', () => {
    let compared = 0;
    for (let q = 0; q < 60; q++) {
      const size = 2 + Math.floor(random() * 5);
      const tokens = [...new Set(Array.from({ length: size }, () => (random() < 0.5 ? WORDS[Math.floor(random() * 6)]! : word())))];
      for (const limit of [5, 20, 60]) {
        const filter: SearchFilter = q % 4 === 0 ? { year: 2018 + (q % 8) } : {};
        const expected = reference(tokens, limit, filter);
        const actual = store.lexicalSearch(tokens, limit, { filter });
        expect(new Set(actual.map((h) => h.id)), `${tokens.join(' ')} limit ${limit}`).toEqual(new Set(expected.keys()));
        for (const hit of actual) expect(hit.score, `${tokens.join(' ')} #${hit.id}`).toBeCloseTo(expected.get(hit.id)!, 9);
        // Best first.
        expect(actual.map((h) => h.score)).toEqual(actual.map((h) => h.score).sort((a, b) => b - a));
        compared += actual.length;
      }
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('scores given passages as a search deep enough to rank them all would (hybrid completing its lists)', () => {
    const allIds = db.prepare(`SELECT id FROM passages`).pluck().all() as number[];
    let scored = 0;
    for (let q = 0; q < 30; q++) {
      const tokens = [...new Set(Array.from({ length: 1 + Math.floor(random() * 4) }, word))];
      const full = reference(tokens, allIds.length, {});
      const ids = allIds.filter(() => random() < 0.2);
      const actual = new Map(store.lexicalScores(tokens, ids).map((h) => [h.id, h.score]));
      // Passages holding none of the tokens have no score.
      expect(new Set(actual.keys()), tokens.join(' ')).toEqual(new Set(ids.filter((id) => full.has(id))));
      for (const [id, score] of actual) expect(score, `${tokens.join(' ')} #${id}`).toBeCloseTo(full.get(id)!, 9);
      scored += actual.size;
    }
    expect(scored).toBeGreaterThan(500);
  });

  it('after writes, with the document frequencies they changed', () => {
    const queries = [['罕词', '信用'], ['罕词', '行政'], ['营商', '罕词', '执法']];
    const check = () => {
      for (const tokens of queries) {
        const expected = reference(tokens, 20, {});
        const actual = store.lexicalSearch(tokens, 20);
        expect(new Set(actual.map((h) => h.id)), tokens.join(' ')).toEqual(new Set(expected.keys()));
        for (const hit of actual) expect(hit.score).toBeCloseTo(expected.get(hit.id)!, 9);
      }
    };
    const region = { province: '山东省', city: '烟台市', county: null, year: 2024 };
    const rare = makeReport('rare.txt', region, Array.from({ length: 3 }, () => ({ section: '成效' as SectionKind, words: ['罕词', word(), word()] })));
    store.putReport(rare, vectorsFor(rare), 'test-bag-64');
    // 罕词 goes from a rare word to the most common …
    const more = makeReport('more.txt', region, Array.from({ length: 300 }, () => ({ section: '不足' as SectionKind, words: ['罕词', word(), word(), '罕词'] })));
    store.putReport(more, vectorsFor(more), 'test-bag-64');
    check();
    // … and back: still counted as common, its 3 passages would be left out of a first pass.
    expect(store.removeBySource('more.txt')).toBe(true);
    check();
    store.removeBySource('rare.txt');
    check();
  });

  // 4 reports' 240 passages are scored one by one when laws crowd the list, 36 reports' 2,160 retrieved by a join (searchEngine.ts otherKindsScores).
  it.each([4, 36])('weighs laws before cutting the list: the law-weighted best of all matches, at several depths (%i reports)', (reportCount) => {
    const lawDir = tempDataDir();
    const mixed = Store.open(lawDir);
    try {
      const region = { province: '河南省', city: null, county: null, year: 2021 };
      // Short law articles outscore long report passages on raw bm25 and fill a shallow list.
      for (let d = 0; d < 4; d++) {
        const law = makeReport(`law${d}.md`, region, Array.from({ length: 120 }, () => ({ section: '其他' as SectionKind, words: Array.from({ length: 2 + Math.floor(random() * 5) }, word) })));
        law.meta.kind = '法律法规';
        mixed.putReport(law, vectorsFor(law), 'test-bag-64');
      }
      for (let d = 0; d < reportCount; d++) {
        const report = makeReport(`r${d}.txt`, { ...region, year: 2019 + (d % 5) }, Array.from({ length: 60 }, () => ({ section: '成效' as SectionKind, words: Array.from({ length: 10 + Math.floor(random() * 30) }, word) })));
        mixed.putReport(report, vectorsFor(report), 'test-bag-64');
      }
      const facts = (id: number) => mixed.getPassageFacts([id])[0]!;
      let reportsLifted = 0;
      // One word a query: the proximity boost (two or more) is applied to what each retrieval read.
      for (const token of WORDS) {
        // Laws weigh 0.7, and past a law's best two articles each further one half the one before.
        const seen = new Map<number, number>();
        const all = mixed
          .lexicalSearch([token], 100_000)
          .sort((a, b) => b.score - a.score || a.id - b.id)
          .map((h) => {
            const { kind, docId } = facts(h.id);
            if (kind !== '法律法规') return { ...h, weighted: h.score };
            const n = (seen.get(docId) ?? 0) + 1;
            seen.set(docId, n);
            return { ...h, weighted: 0.7 * h.score * Math.pow(0.5, Math.max(0, n - 2)) };
          });
        const weightOf = new Map(all.map((h) => [h.id, h.weighted]));
        all.sort((a, b) => b.weighted - a.weighted);
        for (const limit of [5, 20, 60]) {
          const actual = weightedLexicalSearch(mixed, [token], limit, {});
          const expected = all.slice(0, limit);
          // Scores alike (ties at the cut may list other passages); the non-laws scored one by one
          // in JavaScript differ from FTS5's bm25 in the last bits.
          const weighted = actual.map((h) => weightOf.get(h.id)!);
          expect(weighted, `${token} limit ${limit}`).toHaveLength(expected.length);
          weighted.forEach((w, i) => expect(Math.abs(w - expected[i]!.weighted), `${token} limit ${limit} #${i}`).toBeLessThanOrEqual(1e-12 * expected[i]!.weighted));
          const rawFirst = new Set(mixed.lexicalSearch([token], limit).map((h) => h.id));
          reportsLifted += actual.filter((h) => !rawFirst.has(h.id)).length;
        }
      }
      // The raw list to the same depth would have missed them.
      expect(reportsLifted).toBeGreaterThan(100);
    } finally {
      mixed.close();
      rmSync(lawDir, { recursive: true, force: true });
    }
  });

  it("a law with more matching articles than the first read: another law's best articles still come in at their weight", () => {
    const lawDir = tempDataDir();
    const mixed = Store.open(lawDir);
    try {
      const region = { province: '河南省', city: null, county: null, year: 2024 };
      // Law A's 40 short articles name the topic twice and fill the first read; after its best two
      // they decay below law B's articles, which name it once and were not read.
      const lawA = makeReport('law/a.md', region, Array.from({ length: 40 }, (_, i) => ({ section: '其他' as SectionKind, words: ['第', `甲${i}`, '条', '法律援助', '法律援助'] })));
      const lawB = makeReport('law/b.md', region, Array.from({ length: 3 }, (_, i) => ({ section: '其他' as SectionKind, words: ['第', `乙${i}`, '条', '法律援助', '机构', '应当', '依法'] })));
      for (const law of [lawA, lawB]) law.meta.kind = '法律法规';
      const report = makeReport('r/x.txt', region, [{ section: '成效', words: ['开展', '法律援助', '活动', '受理', '案件', '办结', '挽回', '损失', '群众', '满意'] }]);
      for (const r of [lawA, lawB, report]) mixed.putReport(r, vectorsFor(r), 'test-bag-64');
      // The reference: every match weighed (laws 0.7, halved past a law's best two), best first.
      const seen = new Map<number, number>();
      const all = mixed
        .lexicalSearch(['法律援助'], 1000)
        .sort((a, b) => b.score - a.score || a.id - b.id)
        .map((h) => {
          const { kind, docId } = mixed.getPassageFacts([h.id])[0]!;
          if (kind !== '法律法规') return { id: h.id, weighted: h.score };
          const n = (seen.get(docId) ?? 0) + 1;
          seen.set(docId, n);
          return { id: h.id, weighted: 0.7 * h.score * Math.pow(0.5, Math.max(0, n - 2)) };
        })
        .sort((a, b) => b.weighted - a.weighted);
      const weightOf = new Map(all.map((h) => [h.id, h.weighted]));
      const lawBIds = new Set(mixed.lexicalSearch(['法律援助'], 1000).filter((h) => mixed.getPassage(h.id)!.source === 'law/b.md').map((h) => h.id));
      const lawsOnly = all.filter((h) => mixed.getPassageFacts([h.id])[0]!.kind === '法律法规');
      for (const limit of [5, 10]) {
        // Unfiltered, and with --kind 法律法规 (laws alone, weighed as laws).
        for (const [filter, expected] of [[{}, all], [{ kind: '法律法规' as const }, lawsOnly]] as const) {
          const actual = weightedLexicalSearch(mixed, ['法律援助'], limit, { filter });
          actual.forEach((h, i) => expect(Math.abs(weightOf.get(h.id)! - expected[i]!.weighted), `limit ${limit} #${i}`).toBeLessThanOrEqual(1e-12 * expected[i]!.weighted));
          // Law B's articles are among them, though the first read held only law A's.
          expect(actual.filter((h) => lawBIds.has(h.id)).length, `limit ${limit}`).toBeGreaterThan(0);
        }
      }
    } finally {
      mixed.close();
      rmSync(lawDir, { recursive: true, force: true });
    }
  });
});
