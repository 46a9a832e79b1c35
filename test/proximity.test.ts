// In-memory proximity (search/proximity.ts) against what it replaces: FTS5 NEAR on the coarse
// `tokens` column, checked both on hand-made cases and against SQLite itself.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ftsTerms, nearPairCount } from '../search/proximity.ts';

const WINDOW = 3;

/** FTS5's own answer: does `tokens : NEAR("a" "b", window)` match this text? */
function fts5Near(text: string, a: string, b: string, window: number): boolean {
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(tokens, tokenize='unicode61 remove_diacritics 0')`);
    db.prepare(`INSERT INTO t(rowid, tokens) VALUES (1, ?)`).run(text);
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
    return db.prepare(`SELECT count(*) FROM t WHERE t MATCH ?`).pluck().get(`tokens : NEAR(${quote(a)} ${quote(b)}, ${window})`) === 1;
  } finally {
    db.close();
  }
}

function pairNear(text: string, a: string, b: string, window = WINDOW): boolean {
  return nearPairCount(ftsTerms(text), [ftsTerms(a), ftsTerms(b)], window) === 1;
}

describe('proximity of query words in a passage (FTS5 NEAR semantics)', () => {
  it('a pair with at most `window` tokens between them counts, in either order; one further apart does not', () => {
    expect(pairNear('复议 办案 人员', '复议', '办案')).toBe(true);
    expect(pairNear('复议 a b c 办案', '复议', '办案')).toBe(true);
    expect(pairNear('办案 a b c 复议', '复议', '办案')).toBe(true);
    expect(pairNear('复议 a b c d 办案', '复议', '办案')).toBe(false);
    expect(pairNear('办案 a b c d 复议', '复议', '办案')).toBe(false);
    expect(pairNear('复议 案件', '复议', '办案')).toBe(false);
  });

  it('any occurrence may pair: a far first occurrence does not hide a near later one', () => {
    expect(pairNear('复议 a b c d e f 办案 g 复议', '复议', '办案')).toBe(true);
    expect(pairNear('办案 a b c d e f 复议 g h 办案', '复议', '办案')).toBe(true);
  });

  it('counts the neighbouring pairs of the query that stand near, not other pairs', () => {
    const phrases = ['行政', '复议', '办案', '人员'].map(ftsTerms);
    expect(nearPairCount(ftsTerms('行政 复议 x x x x x 办案 人员'), phrases, WINDOW)).toBe(2);
    expect(nearPairCount(ftsTerms('行政 复议 办案 人员'), phrases, WINDOW)).toBe(3);
    // 行政 and 人员 stand together, but they are not neighbours in the query.
    expect(nearPairCount(ftsTerms('行政 人员 x x x x x 复议 x x x x x 办案'), phrases, WINDOW)).toBe(0);
  });

  it('agrees with SQLite FTS5 NEAR on multi-term words, punctuation and case', () => {
    const cases: [string, string, string][] = [
      ['推行 双随机一公开 信用 监管', '双随机一公开', '监管'],
      ['AI+人工 互促 共融 客服', 'ai+人工', '客服'],
      ['AI+人工 x y z 客服', 'AI+人工', '客服'],
      ['AI+人工 x y z w 客服', 'AI+人工', '客服'],
      ['12.5% 的 增长 率', '12.5%', '率'],
      ['12.5% a b c d 率', '12.5%', '率'],
      ['“三问两送一促” 机制 建立', '三问两送一促', '建立'],
      ['Ａ ｂ 行政 c d e f 复议', '行政', '复议'],
      ['复议 复议 办案', '复议', '办案'],
    ];
    for (const [text, a, b] of cases) {
      for (const window of [0, 1, 3, 6]) expect(pairNear(text, a, b, window), `${text} | ${a} ${b} | ${window}`).toBe(fts5Near(text, a, b, window));
    }
  });
});
