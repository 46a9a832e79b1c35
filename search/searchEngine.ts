// Query-time ranking: lexical (FTS5 bm25), dense (HNSW) or both fused by weighted normalised score, with
// filters applied inside each retrieval and boilerplate demoted, per passage or per report.
import { InputError } from '../pipeline/errors.ts';
import { SECTION_KINDS, type Jurisdiction, type SectionKind } from '../pipeline/types.ts';
import { demote } from './boilerplate.ts';
import type { PassageId, PassageRow, RegionExclusion, SearchFilter, Store } from './store.ts';
import type { LabelFilter, VectorIndex } from './vectorIndex.ts';

/** What search needs of the encoder (models/encoder.ts's Encoder satisfies it). */
export interface QueryEncoder {
  modelId: string;
  dim: number;
  /** Passages, and pasted paragraphs compared with passages. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Search queries (with the model's query prefix). */
  embedQueries(texts: string[]): Promise<Float32Array[]>;
}

export interface SearchContext {
  store: Store;
  /** Must have been made fresh for encoder.modelId (VectorIndex.ensureFresh). */
  index: VectorIndex;
  encoder: QueryEncoder;
  /** Tokens for the lexical index: pass pipeline/segment.ts's segmentForIndex. */
  segment: (text: string) => string[];
}

export type SearchMode = 'hybrid' | 'dense' | 'lexical';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'dense', 'lexical'];
export const MAX_QUERY_CHARS = 500;
export const MAX_K = 100;
export const MIN_YEAR = 1949;
export const MAX_YEAR = 2100;
/**
 * Share of the dense ranking in hybrid fusion. Plain reciprocal-rank fusion gives a weak dense
 * list as much say as an exact lexical match and lost 0.17 nDCG@10 against lexical alone on the
 * dev set (`npm run eval`), so the lists are fused by normalised score with this weight instead
 * (measured with fazhi-mini-zh@…952db8: 0.2 gives hybrid − lexical +0.024 dev / −0.000 auto,
 * 0.3 gives +0.020 / +0.004 — the weight that helps on both sets).
 */
export const DEFAULT_DENSE_WEIGHT = 0.3;
/** Best passages shown under each report when grouping by report. */
const PASSAGES_PER_REPORT = 3;

export interface SearchOptions {
  k: number;
  mode: SearchMode;
  filter?: SearchFilter;
  by?: 'passage' | 'report';
  /** Hybrid only: weight of the dense ranking against the lexical one, 0..1. */
  denseWeight?: number;
}

export interface PassageResult {
  /** Public passage id (see Store's PassageId): pass it to `similar` or Store.getPassage. */
  id: PassageId;
  docId: number;
  source: string;
  title: string;
  jurisdiction: Jurisdiction;
  year: number | null;
  section: SectionKind;
  headingPath: string[];
  text: string;
  /** Ranking score (fused, -bm25 or cosine by mode) after boilerplate demotion; higher is better. */
  score: number;
  boilerplate: number;
}

export interface ReportResult {
  docId: number;
  source: string;
  title: string;
  jurisdiction: Jurisdiction;
  year: number | null;
  /** The best passage's score. */
  score: number;
  /** The report's best-ranked passages, best first. */
  passages: PassageResult[];
}

export interface SimilarOptions {
  k: number;
  /** Leave out the source's own region: its county if known, else its city, else its province. */
  otherRegions?: boolean;
  filter?: SearchFilter;
  /** For text input, the region `otherRegions` leaves out; without it nothing is left out. */
  region?: Partial<Jurisdiction>;
}

/** A passage id may come as typed by a user (a string); it is checked here. */
export type SimilarSource = { passageId: PassageId | string } | { text: string };

interface Candidate {
  id: PassageId;
  score: number;
}

export function search(ctx: SearchContext, query: string, opts: SearchOptions & { by: 'report' }): Promise<ReportResult[]>;
export function search(ctx: SearchContext, query: string, opts: SearchOptions & { by?: 'passage' }): Promise<PassageResult[]>;
export function search(ctx: SearchContext, query: string, opts: SearchOptions): Promise<PassageResult[] | ReportResult[]>;
export async function search(ctx: SearchContext, query: string, opts: SearchOptions): Promise<PassageResult[] | ReportResult[]> {
  const text = validateQuery(query);
  validateK(opts.k);
  if (!SEARCH_MODES.includes(opts.mode)) throw new InputError('--mode', `must be one of ${SEARCH_MODES.join(', ')}, not ${String(opts.mode)}`);
  const by = opts.by ?? 'passage';
  if (by !== 'passage' && by !== 'report') throw new InputError('--by', `must be passage or report, not ${String(by)}`);
  const filter = validateFilter(opts.filter ?? {});
  // Fetch deeper than k: fusion and demotion reorder, and grouping by report needs many passages.
  const depth = Math.max(100, 10 * opts.k);

  const lists: Candidate[][] = [];
  if (opts.mode !== 'dense') lists.push(ctx.store.lexicalSearch(ctx.segment(text), depth, { filter }));
  if (opts.mode !== 'lexical') {
    const [vector] = await ctx.encoder.embedQueries([text]);
    lists.push(denseSearch(ctx, vector!, depth, hasFilter(filter) ? ctx.store.passageIds({ filter }) : undefined));
  }
  const denseWeight = opts.denseWeight ?? DEFAULT_DENSE_WEIGHT;
  if (!(denseWeight >= 0 && denseWeight <= 1)) throw new InputError('denseWeight', `must be between 0 and 1, not ${denseWeight}`);
  const ranked = rank(ctx.store, opts.mode === 'hybrid' ? fuse(lists[0]!, lists[1]!, denseWeight) : lists[0]!);
  return by === 'report' ? groupByReport(ranked, opts.k) : ranked.slice(0, opts.k);
}

/**
 * Passages nearest in meaning to a stored passage or to a text, never the passage itself or
 * others of its report; with `otherRegions`, none from the source's own region either.
 */
export async function similar(ctx: SearchContext, source: SimilarSource, opts: SimilarOptions): Promise<PassageResult[]> {
  validateK(opts.k);
  const filter = validateFilter(opts.filter ?? {});
  let vector: Float32Array;
  let excludeDocId: number | undefined;
  let home: Partial<Jurisdiction> | undefined;
  if ('passageId' in source) {
    const passage = ctx.store.getPassage(parsePassageId(source.passageId));
    if (!passage) throw new InputError('passage', `no passage with id ${source.passageId}`);
    const stored = ctx.store.getVectors([passage.id], ctx.encoder.modelId).get(passage.id);
    if (!stored) throw new InputError('passage', `passage ${passage.id} has no vector for model ${ctx.encoder.modelId}; reindex first`);
    vector = stored;
    excludeDocId = passage.docId;
    home = passage.jurisdiction;
  } else {
    const [embedded] = await ctx.encoder.embed([validateQuery(source.text)]);
    vector = embedded!;
    home = opts.region;
  }
  const excludeRegion = opts.otherRegions && home ? regionOf(home) : undefined;
  const depth = Math.max(50, 5 * opts.k);
  let labelFilter: LabelFilter | undefined;
  if (hasFilter(filter)) {
    labelFilter = ctx.store.passageIds({ filter, excludeRegion, excludeDocId });
  } else if (excludeRegion || excludeDocId !== undefined) {
    const excluded = ctx.store.excludedPassageIds(excludeRegion, excludeDocId);
    labelFilter = (label) => !excluded.has(label);
  }
  return rank(ctx.store, denseSearch(ctx, vector, depth, labelFilter)).slice(0, opts.k);
}

function denseSearch(ctx: SearchContext, vector: Float32Array, depth: number, filter: LabelFilter | undefined): Candidate[] {
  if (ctx.index.modelId !== ctx.encoder.modelId) {
    throw new Error(`vector index holds model ${ctx.index.modelId ?? '(none)'}, the encoder is ${ctx.encoder.modelId}: call ensureFresh first`);
  }
  return ctx.index.search(vector, depth, filter);
}

/**
 * Convex combination of min-max normalised scores: the relative strength of a match survives
 * (a passage that alone holds the query's rare measure name keeps its lead over the dense
 * list's near-ties), which rank-only fusion throws away. A list's missing passages count as 0.
 */
function fuse(lexical: Candidate[], dense: Candidate[], denseWeight: number): Candidate[] {
  const fused = new Map<PassageId, number>();
  const add = (list: Candidate[], weight: number) => {
    if (list.length === 0) return;
    const scores = list.map((c) => c.score);
    const max = Math.max(...scores);
    const min = Math.min(...scores);
    // A list whose candidates all score alike ranks none above another: each counts in full.
    const norm = (score: number) => (max === min ? 1 : (score - min) / (max - min));
    for (const c of list) fused.set(c.id, (fused.get(c.id) ?? 0) + weight * norm(c.score));
  };
  // With one list empty the other decides alone, at full weight.
  add(lexical, dense.length === 0 ? 1 : 1 - denseWeight);
  add(dense, lexical.length === 0 ? 1 : denseWeight);
  return [...fused].map(([id, score]) => ({ id, score }));
}

/** Loads the candidates, applies boilerplate demotion and sorts best first. */
function rank(store: Store, candidates: Candidate[]): PassageResult[] {
  const rows = new Map(store.getPassages(candidates.map((candidate) => candidate.id)).map((row) => [row.id, row]));
  return candidates
    .flatMap((candidate) => {
      const row = rows.get(candidate.id);
      return row ? [toResult(row, demote(candidate.score, row.boilerplate))] : [];
    })
    .sort((a, b) => b.score - a.score || a.id - b.id);
}

function groupByReport(ranked: PassageResult[], k: number): ReportResult[] {
  const reports = new Map<number, ReportResult>();
  for (const hit of ranked) {
    let report = reports.get(hit.docId);
    if (!report) {
      if (reports.size === k) continue;
      report = { docId: hit.docId, source: hit.source, title: hit.title, jurisdiction: hit.jurisdiction, year: hit.year, score: hit.score, passages: [] };
      reports.set(hit.docId, report);
    }
    if (report.passages.length < PASSAGES_PER_REPORT) report.passages.push(hit);
  }
  return [...reports.values()];
}

function toResult(row: PassageRow, score: number): PassageResult {
  return {
    id: row.id,
    docId: row.docId,
    source: row.source,
    title: row.title,
    jurisdiction: row.jurisdiction,
    year: row.year,
    section: row.section,
    headingPath: row.headingPath,
    text: row.text,
    score,
    boilerplate: row.boilerplate,
  };
}

/** The most specific level known: county (within its city), else city, else province. */
function regionOf(jurisdiction: Partial<Jurisdiction>): RegionExclusion | undefined {
  const province = jurisdiction.province ?? null;
  const city = jurisdiction.city ?? null;
  if (jurisdiction.county) return { level: 'county', province, city, county: jurisdiction.county };
  if (city) return { level: 'city', province, city };
  if (province) return { level: 'province', province };
  return undefined;
}

function parsePassageId(id: PassageId | string): PassageId {
  const value = typeof id === 'number' ? id : /^\s*\d+\s*$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError('passage', `${String(id)} is not a passage id (a positive integer)`);
  return value;
}

/** Trimmed query, or an InputError naming `query`; the CLI calls it before loading the model. */
export function validateQuery(query: string): string {
  const text = query.trim();
  if (text.length === 0) throw new InputError('query', 'is empty');
  if (text.length > MAX_QUERY_CHARS) throw new InputError('query', `is ${text.length} characters; at most ${MAX_QUERY_CHARS}`);
  return text;
}

function validateK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InputError('--k', `must be an integer from 1 to ${MAX_K}, not ${k}`);
}

function validateFilter(filter: SearchFilter): SearchFilter {
  for (const flag of ['year', 'from', 'to'] as const) {
    const year = filter[flag];
    if (year !== undefined && (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR)) {
      throw new InputError(`--${flag}`, `must be a year from ${MIN_YEAR} to ${MAX_YEAR}, not ${year}`);
    }
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new InputError('--from', `${filter.from} is after --to ${filter.to}`);
  }
  if (filter.section !== undefined && !SECTION_KINDS.includes(filter.section)) {
    throw new InputError('--section', `must be one of ${SECTION_KINDS.join(', ')}, not ${String(filter.section)}`);
  }
  for (const flag of ['province', 'city', 'county'] as const) {
    if (filter[flag] !== undefined && filter[flag]!.trim() === '') throw new InputError(`--${flag}`, 'is empty');
  }
  return filter;
}

function hasFilter(filter: SearchFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}
