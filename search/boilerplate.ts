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

/** A clause must appear in this share of the distinct documents (and in at least 3) to count as shared. */
const SHARED_DOC_SHARE = 0.02;
const MIN_SHARED_DOCS = 3;
/** Shorter clauses (一是, 同时) repeat everywhere without being formulae. */
const MIN_CLAUSE_CHARS = 6;

export interface PassageText {
  id: PassageId;
  docId: number;
  /** Copies of one file under two names count as one document. */
  contentHash: string;
  text: string;
}

/**
 * Boilerplate score per passage: the larger of (a) the share of its characters in clauses that
 * recur across different documents and (b) the share covered by known formula phrases.
 * Passages scoring 0 are left out of the map.
 */
export function computeBoilerplate(passages: Iterable<PassageText>): Map<PassageId, number> {
  const documentFrequency = new Map<string, number>();
  const clausesByPassage: { id: PassageId; clauses: string[]; chars: number; formulaChars: number }[] = [];
  const countedDocs = new Set<string>();
  let docClauses = new Set<string>();
  let currentHash: string | null = null;
  const flushDocument = () => {
    if (currentHash !== null && !countedDocs.has(currentHash)) {
      countedDocs.add(currentHash);
      for (const clause of docClauses) documentFrequency.set(clause, (documentFrequency.get(clause) ?? 0) + 1);
    }
    docClauses = new Set();
  };
  for (const passage of passages) {
    if (passage.contentHash !== currentHash) {
      flushDocument();
      currentHash = passage.contentHash;
    }
    const normal = normalise(passage.text);
    const clauses = splitClauses(normal);
    for (const clause of clauses) docClauses.add(clause);
    clausesByPassage.push({ id: passage.id, clauses, chars: normal.length, formulaChars: formulaCoverage(normal) });
  }
  flushDocument();

  const minDocs = Math.max(MIN_SHARED_DOCS, Math.ceil(countedDocs.size * SHARED_DOC_SHARE));
  const scores = new Map<PassageId, number>();
  for (const { id, clauses, chars, formulaChars } of clausesByPassage) {
    if (chars === 0) continue;
    let sharedChars = 0;
    for (const clause of clauses) if ((documentFrequency.get(clause) ?? 0) >= minDocs) sharedChars += clause.length;
    const score = Math.min(1, Math.max(sharedChars, formulaChars) / chars);
    if (score > 0) scores.set(id, Math.round(score * 1000) / 1000);
  }
  return scores;
}

/** Recomputes every passage's boilerplate score from the whole corpus; run after an ingest batch. */
export function updateBoilerplate(store: Store): { passages: number; boilerplate: number } {
  const scores = computeBoilerplate(store.iteratePassageTexts());
  store.setBoilerplate(scores);
  let boilerplate = 0;
  for (const score of scores.values()) if (score >= 0.5) boilerplate++;
  return { passages: store.counts().passages, boilerplate };
}

/** Ranking score after demotion; also correct for negative scores (pushes them further down). */
export function demote(score: number, boilerplate: number): number {
  const factor = 1 - BOILERPLATE_DEMOTION * Math.min(Math.max(boilerplate, 0), 1);
  return score >= 0 ? score * factor : score / factor;
}

/** Drops whitespace and folds digits, so 2022年/2023年 variants of one formula compare equal. */
function normalise(text: string): string {
  return text.replace(/\s+/gu, '').replace(/\p{Nd}/gu, '0');
}

function splitClauses(normal: string): string[] {
  return normal
    .split(/[，。；：！？,.;:!?（）()【】《》“”"‘’'「」\n]+/u)
    .filter((clause) => clause.length >= MIN_CLAUSE_CHARS);
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

/** Same as updateBoilerplate (the name workers/ adopted first; one of the two should go). */
export const refreshBoilerplate = updateBoilerplate;
