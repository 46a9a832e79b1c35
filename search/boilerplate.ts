// Political boilerplate (坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神…)
// recurs nearly verbatim in every report and would otherwise crowd real practices out of the
// results. Each passage gets a score 0..1 for how much of it is such text; ranking demotes by it.
import type { PassageId, Store } from './store.ts';

/**
 * Formula phrases that mark boilerplate even in a corpus too small to show repetition across
 * documents. Kept to phrases that carry no information about what a government actually did.
 */
export const FORMULA_PHRASES: readonly string[] = [
  '以习近平新时代中国特色社会主义思想为指导',
  '习近平新时代中国特色社会主义思想',
  '习近平法治思想',
  '习近平总书记重要讲话',
  '重要指示批示精神',
  '党的二十大精神',
  '党的二十大和二十届二中全会精神',
  '党的十九大和十九届历次全会精神',
  '二十届三中全会精神',
  '四个意识',
  '四个自信',
  '两个维护',
  '两个确立',
  '坚强领导下',
  '中国式现代化',
  '提供有力法治保障',
  '提供坚强法治保障',
  '现将有关情况报告如下',
];

/** How strongly a fully boilerplate passage is demoted: its score is multiplied by 1 - this. */
export const BOILERPLATE_DEMOTION = 0.7;

/** A shingle must appear in this share of the distinct documents (and in at least 3) to count as shared. */
const SHARED_DOC_SHARE = 0.02;
const MIN_SHARED_DOCS = 3;
/** Eight characters: long enough that sharing one is not chance (a 4-char term like 行政执法 is). */
const SHINGLE_CHARS = 8;
/**
 * Only shingles whose hash is 0 modulo this are counted: an unbiased sample of each passage's
 * shingles that keeps the document-frequency table a quarter of the size on a large corpus.
 */
const SHINGLE_SAMPLING = 4;

export interface PassageText {
  id: PassageId;
  docId: number;
  /** Copies of one file under two names count as one document. */
  contentHash: string;
  text: string;
}

/**
 * Boilerplate score per passage: the larger of (a) the share of its 8-character shingles that
 * recur in other documents (near-verbatim formulae survive a changed region name or year,
 * which whole-sentence matching would not) and (b) the share of its characters covered by known
 * formula phrases. Passages scoring 0 are left out of the map.
 */
export function computeBoilerplate(passages: Iterable<PassageText>): Map<PassageId, number> {
  const documentFrequency = new Map<number, number>();
  const shinglesByPassage: (PassageShingles & { id: PassageId })[] = [];
  const countedDocs = new Set<string>();
  let docShingles = new Set<number>();
  let currentHash: string | null = null;
  const flushDocument = () => {
    if (currentHash !== null && !countedDocs.has(currentHash)) {
      countedDocs.add(currentHash);
      for (const shingle of docShingles) documentFrequency.set(shingle, (documentFrequency.get(shingle) ?? 0) + 1);
    }
    docShingles = new Set();
  };
  for (const passage of passages) {
    if (passage.contentHash !== currentHash) {
      flushDocument();
      currentHash = passage.contentHash;
    }
    const shingles = passageShingles(passage.text);
    for (const shingle of shingles.shingles) docShingles.add(shingle);
    shinglesByPassage.push({ id: passage.id, ...shingles });
  }
  flushDocument();

  const minDocs = minSharedDocs(countedDocs.size);
  const scores = new Map<PassageId, number>();
  for (const passage of shinglesByPassage) {
    const score = scorePassage(passage, (shingle) => (documentFrequency.get(shingle) ?? 0) >= minDocs);
    if (score > 0) scores.set(passage.id, score);
  }
  return scores;
}

/** Recomputes every passage's boilerplate score from the whole corpus (tests, and the reconciling sweep). */
export function updateBoilerplate(store: Store): { passages: number; boilerplate: number } {
  const scores = computeBoilerplate(store.iteratePassageTexts());
  store.setBoilerplate(scores);
  let boilerplate = 0;
  for (const score of scores.values()) if (score >= 0.5) boilerplate++;
  return { passages: store.counts().passages, boilerplate };
}

/**
 * Score changes a full recomputation would make to the stored scores: what the writer applies
 * after its sweep (run off the event loop), instead of rewriting every score.
 */
export function boilerplateChanges(store: Store): { changes: [PassageId, number][]; documents: number } {
  const stored = store.boilerplateScores();
  const fresh = computeBoilerplate(store.iteratePassageTexts());
  const changes: [PassageId, number][] = [];
  for (const [id, score] of fresh) if (stored.get(id) !== score) changes.push([id, score]);
  for (const id of stored.keys()) if (!fresh.has(id)) changes.push([id, 0]);
  return { changes, documents: store.distinctDocuments() };
}

/**
 * What one document contributes to the corpus-wide document frequencies, and how to score its
 * passages from them: the store keeps the frequencies per document (adding and removing a
 * document's shingles in its own commit), so a commit scores only its own passages.
 */
export interface DocumentShingles {
  /** The document's distinct sampled shingles, ascending. */
  shingles: Uint32Array;
  /** Scores of its passages, in order, given the frequencies of its shingles (this document counted). */
  score(documentFrequency: ReadonlyMap<number, number>, documents: number): number[];
}

export function documentShingles(texts: readonly string[]): DocumentShingles {
  const passages = texts.map(passageShingles);
  const distinct = new Set<number>();
  for (const passage of passages) for (const shingle of passage.shingles) distinct.add(shingle);
  return {
    shingles: Uint32Array.from([...distinct].sort((a, b) => a - b)),
    score: (documentFrequency, documents) => {
      const minDocs = minSharedDocs(documents);
      return passages.map((passage) => scorePassage(passage, (shingle) => (documentFrequency.get(shingle) ?? 0) >= minDocs));
    },
  };
}

/**
 * Whether the writer should reconcile every stored score with a full recomputation: a
 * document's commit scores only its own passages, while the threshold (a share of the document
 * count) and other documents' shingles crossing it move slowly as documents come and go. Once
 * the count has changed by SHARED_DOC_SHARE since the last sweep the threshold may have moved.
 */
export function boilerplateSweepDue(documentsNow: number, documentsAtLastSweep: number | null): boolean {
  if (documentsAtLastSweep === null) return documentsNow > 0;
  return Math.abs(documentsNow - documentsAtLastSweep) >= Math.max(1, Math.ceil(documentsAtLastSweep * SHARED_DOC_SHARE));
}

interface PassageShingles {
  shingles: number[];
  chars: number;
  formulaChars: number;
}

function passageShingles(text: string): PassageShingles {
  const normal = normalise(text);
  return { shingles: sampledShingles(normal), chars: normal.length, formulaChars: formulaCoverage(normal) };
}

function minSharedDocs(documents: number): number {
  return Math.max(MIN_SHARED_DOCS, Math.ceil(documents * SHARED_DOC_SHARE));
}

function scorePassage({ shingles, chars, formulaChars }: PassageShingles, isShared: (shingle: number) => boolean): number {
  if (chars === 0) return 0;
  let shared = 0;
  for (const shingle of shingles) if (isShared(shingle)) shared++;
  const sharedShare = shingles.length > 0 ? shared / shingles.length : 0;
  return Math.round(Math.min(1, Math.max(sharedShare, formulaChars / chars)) * 1000) / 1000;
}

/** Ranking score after demotion; also correct for negative scores (pushes them further down). */
export function demote(score: number, boilerplate: number): number {
  const factor = 1 - BOILERPLATE_DEMOTION * Math.min(Math.max(boilerplate, 0), 1);
  return score >= 0 ? score * factor : score / factor;
}

/**
 * Keeps letters and digits only (so full- and half-width punctuation variants compare equal),
 * folds digits (2022年/2023年 variants of one formula) and restores the leader's name where a
 * published copy masked it as *** (sample report 001 does; it masks place names the same way,
 * hence the lookahead).
 */
function normalise(text: string): string {
  return text
    .replace(/[*＊×]{2,}(?=法治思想|新时代|总书记|同志)/gu, '习近平')
    .replace(/[^\p{L}\p{N}]+/gu, '')
    .replace(/\p{Nd}/gu, '0');
}

function sampledShingles(normal: string): number[] {
  const shingles: number[] = [];
  for (let at = 0; at + SHINGLE_CHARS <= normal.length; at++) {
    const hash = fnv1a(normal, at, at + SHINGLE_CHARS);
    if (hash % SHINGLE_SAMPLING === 0) shingles.push(hash);
  }
  return shingles;
}

function fnv1a(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function formulaCoverage(normal: string): number {
  const covered = new Uint8Array(normal.length);
  for (const phrase of FORMULA_PHRASES) {
    for (let at = normal.indexOf(phrase); at !== -1; at = normal.indexOf(phrase, at + 1)) covered.fill(1, at, at + phrase.length);
  }
  let chars = 0;
  for (const flag of covered) chars += flag;
  return chars;
}

