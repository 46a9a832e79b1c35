// Graded-relevance metrics over passage rankings. Relevance is judged by (report, substring)
// rather than by passage id so a judgement survives any change in passage splitting.
import path from 'node:path';

export type Grade = 1 | 2;

export interface Judgement {
  /** Basename of the source report. */
  doc: string;
  /** A distinctive substring of the relevant passage. */
  contains: string;
  grade: Grade;
}

export interface RankedPassage {
  source: string;
  text: string;
}

export interface QueryScores {
  ndcg: number;
  recall: number;
  mrr: number;
}

/** Whitespace and full/half-width variants must not decide relevance: the pipeline may normalise either. */
export function normalizeForMatch(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '');
}

export interface Judged {
  /** Gain (grade, 0 if irrelevant) at each rank. */
  gains: number[];
  /** How many judgements some passage in the ranking satisfies. */
  found: number;
}

/**
 * A passage takes the best grade among the judgements it satisfies and uses all of them up, so a
 * duplicate or overlapping passage further down earns nothing.
 */
export function judge(ranked: RankedPassage[], relevant: Judgement[]): Judged {
  const open = relevant.map((j) => ({ doc: j.doc, needle: normalizeForMatch(j.contains), grade: j.grade, used: false }));
  const gains = ranked.map((p) => {
    const doc = path.basename(p.source);
    const text = normalizeForMatch(p.text);
    let gain = 0;
    for (const j of open) {
      if (!j.used && j.doc === doc && text.includes(j.needle)) {
        j.used = true;
        gain = Math.max(gain, j.grade);
      }
    }
    return gain;
  });
  return { gains, found: open.filter((j) => j.used).length };
}

function dcg(grades: number[], k: number): number {
  return grades.slice(0, k).reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0);
}

export function ndcgAt(gains: number[], relevant: Judgement[], k: number): number {
  const ideal = dcg(relevant.map((j) => j.grade).sort((a, b) => b - a), k);
  return ideal === 0 ? 0 : dcg(gains, k) / ideal;
}

/** Reciprocal rank of the first relevant passage (grade ≥ 1) within the top k. */
export function mrrAt(gains: number[], k: number): number {
  const i = gains.slice(0, k).findIndex((g) => g > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

export function scoreQuery(ranked: RankedPassage[], relevant: Judgement[], k: number): QueryScores {
  const { gains, found } = judge(ranked.slice(0, k), relevant);
  return {
    ndcg: ndcgAt(gains, relevant, k),
    recall: relevant.length === 0 ? 0 : found / relevant.length,
    mrr: mrrAt(gains, k),
  };
}

export function meanScores(scores: QueryScores[]): QueryScores {
  const n = scores.length || 1;
  const sum = (f: (s: QueryScores) => number): number => scores.reduce((a, s) => a + f(s), 0) / n;
  return { ndcg: sum((s) => s.ndcg), recall: sum((s) => s.recall), mrr: sum((s) => s.mrr) };
}

/** Small deterministic PRNG (mulberry32): the same p-value on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Two-sided paired randomization (sign-flip) test on per-query scores: the probability that
 * swapping the two systems' scores at random gives a mean difference at least as large as the
 * observed one. Small p ⇒ the difference is not query-sampling noise.
 */
export function pairedRandomizationP(a: number[], b: number[], iterations = 10_000, seed = 1): number {
  if (a.length !== b.length) throw new Error('paired test needs equally many scores');
  const diffs = a.map((x, i) => x - b[i]!);
  const observed = Math.abs(diffs.reduce((s, d) => s + d, 0));
  if (observed === 0) return 1;
  const rand = prng(seed);
  let atLeast = 0;
  for (let it = 0; it < iterations; it++) {
    let sum = 0;
    for (const d of diffs) sum += rand() < 0.5 ? d : -d;
    if (Math.abs(sum) >= observed - 1e-12) atLeast++;
  }
  return (atLeast + 1) / (iterations + 1);
}
