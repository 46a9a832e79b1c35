// Query-time ranking: lexical (FTS5 bm25), dense (HNSW) or both, every score calibrated to a relevance in
// [0, 1] by fixed transforms (comparable across queries), with filters applied inside each retrieval and
// boilerplate demoted, per passage or per report.
import { SearchParamError } from './errors.ts';
import { DOCUMENT_KINDS, SECTION_KINDS, type DocumentKind, type Jurisdiction, type SectionKind } from '../pipeline/types.ts';
import { normalizeForLexical } from '../pipeline/segment.ts';
import { expandColloquial, type ColloquialEntry } from '../pipeline/expandColloquial.ts';
import { demote } from './boilerplate.ts';
import { embedQueryText, type QueryVectors } from './queryVector.ts';
import { pieceCoverage } from '../models/vectors.ts';
import type { LexicalHit, PassageFacts, PassageId, PassageQuery, PassageRow, RegionExclusion, SearchFilter, Store } from './store.ts';
import { cosine, type LabelFilter, type VectorIndex } from './vectorIndex.ts';
import { retrievalDepth, type RetrievalDepth } from './retrievalDepth.ts';
import type { ClauseMatch, DenseCalibration, DenseWeights } from '../models/encoder.ts';

/** What search needs of the encoder (models/encoder.ts's Encoder satisfies it). */
export interface QueryEncoder {
  modelId: string;
  dim: number;
  /** Passages. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Search queries and texts pasted into `similar` (with the model's query prefix). */
  embedQueries(texts: string[]): Promise<Float32Array[]>;
  /** How this model's query–passage cosines read as relevance (the model's fazhi.json). */
  calibration?: DenseCalibration;
  /** This model's share of hybrid fusion (the model's fazhi.json; default DEFAULT_DENSE_WEIGHTS). */
  denseWeights?: DenseWeights;
  /** Dense search's clause-level match (the model's fazhi.json; none: the cosine alone). */
  clauseMatch?: ClauseMatch;
  /** The fewest passages dense retrieval reads (the model's fazhi.json; see retrievalDepth). */
  denseDepth?: number;
}

/**
 * For models without a fitted calibration (a pulled hub model): cosine 0 counts as chance and 0.5 as
 * a typical answer — roughly right for contrastively trained sentence encoders, never fitted.
 */
const UNFITTED_DENSE: DenseCalibration = { floor: 0, median: 0.5 };

/**
 * bm25 → relevance, read as the share of the query's bm25 bound (Store.lexicalScoreBound) a passage
 * reaches, so that it means the same in a small and a large index (raw bm25 grows with the corpus:
 * idf = ln(N / n)). The median best mined answer (heading → a passage under it without the heading
 * verbatim; models/train/fitCalibration.ts, 82 headings of 12 national reports in the reduced eval
 * index) reaches this share and reads as 0.5.
 */
export const LEXICAL_MEDIAN_SHARE = 0.1572;

/**
 * Below this relevance a hybrid or lexical match is noise: judged-relevant passages in the first 10
 * of the full eval index (dev + dev2, bge-small-zh-v1.5) scored at least 0.197 in hybrid (243 of
 * them, p5 0.338) and 0.146 in lexical mode (201, p5 0.302); emoji and random characters score ≤ 0.05
 * (test/relevance.test.ts). Confirmed on the sets written blind since (dev3, dev4; 2d27426): their
 * judged passages in the first 10 scored at least 0.250 in hybrid (173) and 0.196 in lexical mode
 * (141), and none of their 74 queries reads as weak. Dense mode is not judged by it: its
 * clause-match calibration puts some short measure names at 0 where dense still ranks the answer
 * first (2 of the 43 measure queries).
 */
export const NOISE_LEVEL = 0.1;

/** Whether even the best of a query's ranked matches is noise (see NOISE_LEVEL); never said of dense mode. */
export function nothingMatchesWell(mode: SearchMode, matches: readonly { score: number }[]): boolean {
  return mode !== 'dense' && matches.length > 0 && matches[0]!.score < NOISE_LEVEL;
}

/** 0 up to 0, 0.5 at `half`, towards 1 beyond: increasing, so calibration never reorders a list (rank breaks ties at 0 by raw score). */
function saturate(x: number, half: number): number {
  return x <= 0 ? 0 : 1 - Math.pow(2, -x / half);
}

/** `bound`: Store.lexicalScoreBound of the query's tokens. */
export function lexicalRelevance(bm25: number, bound: number): number {
  return bound > 0 ? saturate(bm25 / bound, LEXICAL_MEDIAN_SHARE) : 0;
}

export function denseRelevance(cosine: number, c: DenseCalibration = UNFITTED_DENSE): number {
  return saturate(cosine - c.floor, c.median - c.floor);
}

export interface SearchContext {
  store: Store;
  /** Must have been made fresh for encoder.modelId (VectorIndex.ensureFresh). */
  index: VectorIndex;
  encoder: QueryEncoder;
  /** Lexical query tokens: pass pipeline/segment.ts's segmentForQuery. */
  segment: (text: string) => string[];
  /** Users' words → the reports' words, for queryTerms: pipeline/expandColloquial.ts's loadThesaurus. */
  thesaurus: readonly ColloquialEntry[];
}

export type SearchMode = 'hybrid' | 'dense' | 'lexical';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'dense', 'lexical'];
export const MAX_QUERY_CHARS = 500;
/** `similar --text` takes a whole passage or section pasted from a report, not just a query. */
export const MAX_SIMILAR_TEXT_CHARS = 5000;
export const MAX_K = 100;
/** Far beyond what retrieval reads (at most 10 × MAX_K lexical plus as many dense matches): a later page is empty, not an error. */
export const MAX_OFFSET = 10_000;
export const MIN_YEAR = 1949;
export const MAX_YEAR = 2100;
/**
 * Dense share in hybrid fusion where dense beats chance and no lexical hit holds the query verbatim
 * (see fuseLists): `covered` where the best lexical hit covers the query well (relevance ≥
 * LEXICAL_COVERED: most of the query's bm25 bound reached — measure names, pasted practice
 * paragraphs), `uncovered` where it does not (plain-language questions, whose words the reports do
 * not use). How much dense deserves depends on the model, so a model's fazhi.json may name its own
 * (bge-small-zh-v1.5 with clause-mixed passages: 0.7 / 0.9, models/README.md); these are for models
 * that do not. Chosen on the dev and automatic sets with bge-small-zh-v1.5 embedding whole passages
 * (reduced haystack --national 12 --laws 20), hybrid − lexical nDCG@10 dev / auto: one weight for
 * all, with the verbatim gate: 0.3 +0.051 / +0.046, 0.5 +0.056 / +0.066, 0.6 +0.064 / +0.068, 0.7
 * +0.052 / +0.082 (the similar-practice group falls towards lexical above 0.5); 0.4 covered / 0.7
 * not +0.069 / +0.074, the same for thresholds 0.7–0.8 (0.65: +0.069 / +0.063). dev2 confirmed:
 * +0.102 (one weight 0.5: +0.097), no group below lexical. Since fusion completes both lists
 * (completeLists), re-chosen on the full eval index, nDCG@10 hybrid, covered weight (uncovered
 * 0.7): dev paraphrase / dev similar / auto 0.4 0.414 / 0.752 / 0.181, 0.5 0.414 / 0.747 / 0.184,
 * 0.6 0.414 / 0.745 / 0.189, 0.7 0.414 / 0.735 / 0.188 (dev measure 0.883 throughout; uncovered
 * 0.8 or 0.9 at 0.4: auto 0.181 / 0.177); dev2 confirmed at 0.6: similar 0.728, paraphrase 0.461
 * (0.4: 0.727 / 0.461). The bundled fazhi-mini-zh, whose dense leg is weaker, on the full index
 * hybrid dev / dev2 / auto: 0.632 / 0.552 / 0.172 with these, 0.608 / 0.532 / 0.162 with bge's 0.7 / 0.9.
 */
export const DEFAULT_DENSE_WEIGHTS: DenseWeights = { covered: 0.6, uncovered: 0.7 };
const LEXICAL_COVERED = 0.75;
/**
 * The lexical hits (a first page) checked for the query verbatim. Measure names (述法, 双随机、一公开)
 * are found verbatim by lexical search and dense only dilutes them: without the gate dev's measure
 * group fell below lexical (0.904 vs 0.911 at weight 0.3, 0.871 at 0.5). Ranking the hits that
 * hold the query verbatim first, by a fusion of both lists (dense share 0 / 0.5 / 0.7), instead of
 * the lexical order was measured and not taken: measure names hybrid nDCG@10 dev / dev2 / dev4
 * 0.889 / 0.847 / 0.860, 0.902 / 0.837 / 0.863, 0.894 / 0.842 / 0.865 against 0.882 / 0.856 / 0.860
 * (dev2 lexical 0.856).
 */
const VERBATIM_GATE_DEPTH = 10;
/** Longer queries are sentences or pasted paragraphs: a verbatim hit there is a copy, not a name. */
const VERBATIM_GATE_MAX_CHARS = 20;
/** Tokens in the lexical query of `similar` (see telltaleTokens). */
const SIMILAR_QUERY_TOKENS = 32;
/** Best passages shown under each report when grouping by report. */
const PASSAGES_PER_REPORT = 3;

/**
 * A later page: results skipped before the k returned (passages, or reports with `by: 'report'`).
 * Retrieval reads as deep as for k alone, so every page of a query pages through the same ranked
 * matches (their count is the `total` a result page shows, and its facets are counted over them).
 */
interface Paging {
  offset?: number;
}

export interface SearchOptions extends Paging {
  k: number;
  mode: SearchMode;
  filter?: SearchFilter;
  by?: 'passage' | 'report';
  /** Also look for the reports' words for what the query says in users' words (queryTerms); default true. */
  expand?: boolean;
  /** Hybrid only: a fixed share of the dense relevance added to the lexical one, 0..1 (default: by lexical coverage, see DEFAULT_DENSE_WEIGHTS). */
  denseWeight?: number;
}

export interface PassageResult {
  /** Public passage id (see Store's PassageId): pass it to `similar` or Store.getPassage. */
  id: PassageId;
  docId: number;
  source: string;
  title: string;
  kind: DocumentKind;
  jurisdiction: Jurisdiction;
  year: number | null;
  section: SectionKind;
  headingPath: string[];
  text: string;
  /**
   * Relevance in [0, 1], comparable across queries and modes (calibrated bm25, cosine or both), after
   * boilerplate demotion; higher is better. About 0.5 is a typical answer.
   */
  score: number;
  boilerplate: number;
}

/** A ranked passage before its text is loaded: what ordering, grouping by report and facet counts need. */
export type PassageMatch = PassageFacts & { score: number };

export interface ReportResult {
  docId: number;
  source: string;
  title: string;
  kind: DocumentKind;
  jurisdiction: Jurisdiction;
  year: number | null;
  /** The best passage's score. */
  score: number;
  /** The report's best-ranked passages, best first. */
  passages: PassageResult[];
}

export interface SimilarOptions extends Paging {
  k: number;
  /** Leave out the source's own region: its county if known, else its city, else its province. */
  otherRegions?: boolean;
  filter?: SearchFilter;
  /** For text input, the region `otherRegions` leaves out; without it nothing is left out. */
  region?: Partial<Jurisdiction>;
  /** Default hybrid: the source's words (lexical) and its meaning (dense), fused as in `search`. */
  mode?: SearchMode;
}

/** A passage id may come as typed by a user (a string); it is checked here. */
export type SimilarSource = { passageId: PassageId | string } | { text: string };

/** A passage with one retrieval's raw score (bm25 as −FTS5 rank, or the query cosine). */
type ScoredId = { id: PassageId; score: number };

/** A retrieved passage's raw scores: bm25 (as −FTS5 rank) and/or query cosine. */
interface Candidate {
  id: PassageId;
  bm25?: number;
  cosine?: number;
  /** Hybrid: the fused score, before the query's evidence scales it (see fuseLists). */
  fused?: number;
}

/** Raw scores (boilerplate-demoted) → relevance in [0, 1]. */
type Scorer = (bm25: number, cosine: number, fused: number) => number;

export function search(ctx: SearchContext, query: string, opts: SearchOptions & { by: 'report' }): Promise<ReportResult[]>;
export function search(ctx: SearchContext, query: string, opts: SearchOptions & { by?: 'passage' }): Promise<PassageResult[]>;
export function search(ctx: SearchContext, query: string, opts: SearchOptions): Promise<PassageResult[] | ReportResult[]>;
export async function search(ctx: SearchContext, query: string, opts: SearchOptions): Promise<PassageResult[] | ReportResult[]> {
  return (await searchWithMatches(ctx, query, opts)).results;
}

/**
 * `search`, also returning every passage retrieved for the query (up to the retrieval depth),
 * best first: what a result page counts its filter facets over, not just the page itself; and
 * the words it looked for (queryTerms), for the page to mark them and name those it added.
 */
export async function searchWithMatches(
  ctx: SearchContext,
  query: string,
  opts: SearchOptions,
): Promise<{ results: PassageResult[] | ReportResult[]; matches: PassageMatch[]; truncated: boolean; terms: QueryTerms }> {
  const offset = validateOffset(opts.offset ?? 0);
  const by = validateBy(opts.by ?? 'passage');
  const { matches, truncated, terms } = await rankMatches(ctx, query, opts);
  return {
    results: by === 'report' ? groupByReport(ctx.store, matches, offset, opts.k) : loadMatches(ctx.store, matches.slice(offset, offset + opts.k)),
    matches,
    truncated,
    terms,
  };
}

/**
 * Every passage a search retrieves for the query (what searchWithMatches pages through), ranked,
 * without loading any text: for a caller that loads them all (the search CSV).
 */
export async function rankMatches(
  ctx: SearchContext,
  query: string,
  opts: Omit<SearchOptions, 'offset' | 'by'>,
): Promise<{ matches: PassageMatch[]; truncated: boolean; terms: QueryTerms }> {
  const text = validateQuery(query);
  validateK(opts.k);
  validateMode(opts.mode);
  const filter = validateFilter(opts.filter ?? {});
  const depth = retrievalDepth(opts.k, ctx.encoder);

  const denseWeight = opts.denseWeight;
  if (denseWeight !== undefined && !(denseWeight >= 0 && denseWeight <= 1)) throw new SearchParamError('out_of_range', 'denseWeight', `must be between 0 and 1, not ${denseWeight}`);

  const terms = queryTerms(ctx, text, opts.expand ?? true);
  const tokens = opts.mode === 'dense' ? [] : terms.tokens;
  const { matches, truncated } = await rankQuery(ctx, text, tokens, () => embedQueryText(ctx.encoder, terms.denseText), opts.mode, depth, { filter }, denseWeight);
  return { matches, truncated, terms };
}

/** What a search looks for: the query's words, and the reports' words for what it says in users' words. */
export interface QueryTerms {
  /** The reports' words added (pipeline/expandColloquial.ts); empty without `expand`. */
  expansion: string[];
  /** Lexical tokens: the query's, then the expansion's. */
  tokens: string[];
  /** The text dense search embeds: the query, then the expansion. */
  denseText: string;
}

/**
 * A plain-language question (穷人请不起律师怎么办) shares no word with the passages that answer it
 * (法律援助, 困难群众), so its search also looks for the reports' words for what it says, in both
 * lists: lexical search matches them, and the query vector moves towards the reports' register.
 * Measured on the full eval index (bge-small-zh-v1.5, nDCG@10 paraphrase lexical / dense / hybrid):
 * dev 0.230 / 0.549 / 0.549 → 0.510 / 0.695 / 0.730, dev2 0.240 / 0.531 / 0.506 → 0.430 / 0.645 /
 * 0.650; the expansion in the lexical list alone: hybrid 0.674 / 0.592. Both sets were written
 * before the thesaurus but read by whoever wrote it, so these gains overstate what unseen questions
 * get (README.md, "Retrieval quality"); measure names, similar practice (one of its 31 queries
 * expanded) and the automatic set (none) within 0.005.
 */
function queryTerms(ctx: Pick<SearchContext, 'segment' | 'thesaurus'>, text: string, expand: boolean): QueryTerms {
  const expansion = expand ? expandColloquial(text, ctx.thesaurus) : [];
  return {
    expansion,
    tokens: [...ctx.segment(text), ...expansion.flatMap((word) => ctx.segment(word))],
    denseText: expansion.length === 0 ? text : `${text} ${expansion.join(' ')}`,
  };
}

/**
 * Passages nearest in meaning to a stored passage or to a text, never the passage itself or
 * others of its report; with `otherRegions`, none from the source's own region either.
 */
export async function similar(ctx: SearchContext, source: SimilarSource, opts: SimilarOptions): Promise<PassageResult[]> {
  validateK(opts.k);
  const offset = validateOffset(opts.offset ?? 0);
  const mode = validateMode(opts.mode ?? 'hybrid');
  const filter = validateFilter(opts.filter ?? {});
  let text: string;
  let vector: () => Promise<QueryVectors>;
  let excludeDocId: number | undefined;
  let home: Partial<Jurisdiction> | undefined;
  if ('passageId' in source) {
    const passage = ctx.store.getPassage(parsePassageId(source.passageId));
    if (!passage) throw new SearchParamError('unknown_passage', 'passageId', `no passage with id ${source.passageId}`);
    const stored = ctx.store.getVectors([passage.id], ctx.encoder.modelId).get(passage.id);
    if (!stored) throw new SearchParamError('not_embedded', 'passageId', `passage ${passage.id} has no vector for model ${ctx.encoder.modelId}; reindex first`);
    text = passage.text;
    // Only a model with clauseMatch has pieces (a store written before them has no column for them).
    const pieces = (ctx.encoder.clauseMatch && ctx.store.getPieces([passage.id], ctx.encoder.modelId).get(passage.id)) || [stored];
    vector = () => Promise.resolve({ vector: stored, pieces });
    excludeDocId = passage.docId;
    home = passage.jurisdiction;
  } else {
    text = validateText(source.text);
    validateHome(opts);
    vector = () => embedQueryText(ctx.encoder, text);
    home = opts.region;
  }
  const excludeRegion = opts.otherRegions && home ? regionOf(home) : undefined;
  const tokens = mode === 'dense' ? [] : telltaleTokens(ctx.store, ctx.segment(text));
  const { matches } = await rankQuery(ctx, text, tokens, vector, mode, retrievalDepth(opts.k, ctx.encoder), { filter, excludeRegion, excludeDocId }, undefined);
  return loadMatches(ctx.store, matches.slice(offset, offset + opts.k));
}

/**
 * A pasted text's lexical query, as Lucene's MoreLikeThis makes one: its SIMILAR_QUERY_TOKENS most
 * telling tokens by frequency in the text × idf in the index (tokens no passage holds cannot
 * match). Each token of an FTS5 OR query costs a posting-list scan: with all of them, similar
 * --text took 1.2 s more than dense alone for 1,000 characters and 4 s for 5,000 (eval index).
 */
export function telltaleTokens(store: Store, tokens: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  const distinct = [...counts.keys()];
  if (distinct.length <= SIMILAR_QUERY_TOKENS) return distinct;
  const idfs = store.tokenIdfs(distinct);
  return distinct
    .map((token, i) => ({ token, weight: counts.get(token)! * idfs[i]! }))
    .filter((t) => t.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .slice(0, SIMILAR_QUERY_TOKENS)
    .map((t) => t.token);
}

/**
 * The ranking every search and similar runs: lexical over `tokens`, dense over the text's vector
 * (made only when needed) or both fused, each retrieval restricted to the passages `query` admits.
 * `truncated`: a retrieval read as deep as it may, so passages it did not read could match too — a
 * count over the matches is a lower bound, and a filter, which retrieves inside itself, can find
 * more of its own (dense retrieval always does where the store holds more passages than its depth).
 */
async function rankQuery(
  ctx: SearchContext,
  text: string,
  tokens: readonly string[],
  vector: () => Promise<QueryVectors>,
  mode: SearchMode,
  depth: RetrievalDepth,
  query: PassageQuery,
  denseWeight: number | undefined,
): Promise<{ matches: PassageMatch[]; truncated: boolean }> {
  const lexical = mode === 'dense' ? [] : weightedLexicalSearch(ctx.store, tokens, depth.lexical, query);
  const bound = lexical.length === 0 ? 0 : ctx.store.lexicalScoreBound(tokens);
  const lexicalTruncated = lexical.length >= depth.lexical;
  if (mode === 'lexical') return { matches: rank(ctx.store, lexical.map((h) => ({ id: h.id, bm25: h.score })), (bm25) => lexicalRelevance(bm25, bound)), truncated: lexicalTruncated };
  const queryVectors = await vector();
  const dense = denseSearch(ctx, queryVectors.vector, depth.dense, admitted(ctx.store, query));
  const truncated = lexicalTruncated || dense.length >= depth.dense;
  if (mode === 'dense') {
    const { hits, calibration } = matchClauses(ctx, queryVectors, dense);
    return { matches: rank(ctx.store, hits.map((h) => ({ id: h.id, cosine: h.score })), (_, score) => denseRelevance(score, calibration)), truncated };
  }
  return { matches: rankFused(ctx, text, { tokens, hits: lexical, bound }, { vector: queryVectors.vector, hits: dense }, denseWeight), truncated };
}

/**
 * Dense mode: where the model has a clauseMatch, each passage the vector index found is scored
 * (1 − share) × its cosine + share × how well its pieces cover the query's (pieceCoverage: each
 * query clause, and the query whole, by its best-matching passage clause), read as relevance by
 * the clauseMatch's own calibration. A single vector follows a passage's dominant clause; a
 * query's one clause can be the passage's fourth. Measured on the full eval index (bge-small-zh-v1.5,
 * dense nDCG@10, measure / paraphrase / similar practice): cosine alone dev 0.663 / 0.502 / 0.682,
 * dev2 0.719 / 0.461 / 0.713, auto 0.186; share 0.25 dev 0.789 / 0.526 / 0.743, dev2 0.778 / 0.515 /
 * 0.710, auto 0.178; share 0.5 dev 0.805 / 0.502 / 0.768, dev2 0.777 / 0.496 / 0.681, auto 0.150.
 * Hybrid keeps the cosine: with the same scores in its dense list (both lists' candidates) hybrid
 * dev paraphrase / similar rose 0.516 / 0.764 → 0.542 / 0.779 but auto fell 0.198 → 0.176 (0.186
 * with the match only where lexical does not cover the query) — other years' passages stating the
 * topic sentence outrank the one judged answer, which is indexed without it.
 */
function matchClauses(ctx: SearchContext, query: QueryVectors, hits: ScoredId[]): { hits: ScoredId[]; calibration: DenseCalibration | undefined } {
  const match = ctx.encoder.clauseMatch;
  if (!match) return { hits, calibration: ctx.encoder.calibration };
  const pieces = ctx.store.getPieces(hits.map((h) => h.id), ctx.encoder.modelId);
  return {
    hits: hits.map((h) => {
      const own = pieces.get(h.id);
      return own ? { id: h.id, score: (1 - match.share) * h.score + match.share * pieceCoverage(query.pieces, own) } : h;
    }),
    calibration: match.calibration,
  };
}

/** The HNSW label filter for the passages a query admits (undefined: all). */
export function admitted(store: Store, query: PassageQuery): LabelFilter | undefined {
  if (hasFilter(query.filter ?? {})) return store.passageIds(query);
  if (!query.excludeRegion && query.excludeDocId === undefined) return undefined;
  const excluded = store.excludedPassageIds(query.excludeRegion, query.excludeDocId);
  return (label) => !excluded.has(label);
}

function denseSearch(ctx: SearchContext, vector: Float32Array, depth: number, filter: LabelFilter | undefined): ScoredId[] {
  if (ctx.index.modelId !== ctx.encoder.modelId) {
    throw new Error(`vector index holds model ${ctx.index.modelId ?? '(none)'}, the encoder is ${ctx.encoder.modelId}: call ensureFresh first`);
  }
  return ctx.index.search(vector, depth, filter);
}

/**
 * Letters and digits of the spelling lexical matching sees (width, case, lone digits as numerals:
 * 行政执法3项制度 is 行政执法三项制度), so 双随机一公开 matches “双随机、一公开”.
 */
function matchKey(text: string): string {
  return normalizeForLexical(text).replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * Whether the first lexical hits hold the whole (short) query verbatim, punctuation and width
 * aside — each of its terms where it is several, space-separated (书面述法 会议述法), in one hit or
 * another: then the query names things the reports use, and hybrid keeps the lexical order.
 */
function holdsVerbatim(store: Store, query: string, lexical: LexicalHit[]): boolean {
  const terms = query.split(/\s+/u).map(matchKey).filter((term) => term.length > 0);
  const length = terms.reduce((sum, term) => sum + term.length, 0);
  if (length > VERBATIM_GATE_MAX_CHARS || terms.some((term) => term.length < 2) || terms.length === 0 || lexical.length === 0) return false;
  const texts = store.getPassages(lexical.slice(0, VERBATIM_GATE_DEPTH).map((h) => h.id)).map((row) => matchKey(row.text));
  return terms.every((term) => texts.some((text) => text.includes(term)));
}

/**
 * Hybrid: the lists are fused by min-max normalised score (the relative strength of a match
 * survives, which rank-only fusion throws away; each list scored the other's candidates too,
 * completeLists, unless the verbatim order stands), but with
 * fixed-calibration confidences, so that neither the mix nor the shown score is per-query relative:
 * - where a first-page lexical hit holds the query verbatim (holdsVerbatim), the lexical order stands
 *   and the passages only dense found follow it;
 * - dense gets its weight (`denseWeight`, else by how well the best lexical hit covers the query:
 *   the model's denseWeights or DEFAULT_DENSE_WEIGHTS; the best hit as lexical mode ranks it, boilerplate
 *   demoted, since template text holding the query's words does not show that the reports' practices
 *   use them — on the full eval index it moved one query, automatic a109, whose best hit was 2 %
 *   boilerplate and sat at the threshold: hybrid nDCG@10 0 → 0.289) only where its best hit beats chance
 *   (denseRelevance of its best cosine > 0); at chance level it steps aside and the lexical order stands (scaling the weight
 *   by that confidence instead lost most of the gain: dev +0.013, auto +0.024 at weight 0.5);
 * - the shown score is the fused score times the query's evidence (returned beside the candidates),
 *   the better calibrated relevance of the best lexical and the best dense hit, so the top hit of an
 *   emoji-only query is not 1.0.
 * A learned combiner did not beat these hand-set weights: pairwise logistic regression over both
 * min-max scores, both calibrated relevances and their products with the coverage flag, fitted on
 * 800 topic-sentence queries mined like the automatic set but from the national records it does not
 * use (their own index, those sentences held out), gave hybrid nDCG@10 on the full eval index dev
 * paraphrase / similar 0.519 / 0.780, dev2 0.483 / 0.745, auto 0.195, against 0.516 / 0.764,
 * 0.491 / 0.761, 0.198 (without the products: 0.518 / 0.768, 0.493 / 0.754, 0.193) — not even on
 * the automatic set's own kind of query. Nor did other fixed fusions, hybrid nDCG@10 on the full
 * eval index dev / dev2 / auto against 0.727 / 0.684 / 0.198 (bge): the weighted sum of the two
 * calibrated relevances instead of min-max scores 0.720 / 0.679 / 0.192; dense min-max scaled from
 * the calibration floor 0.722 / 0.674 / 0.192; reciprocal-rank fusion (k 60) 0.702 / 0.681 / 0.197;
 * the dense weight moving from uncovered to covered with the lexical relevance, not at a threshold,
 * 0.727 / 0.671 / 0.189; z-scores (each list's mean and deviation, a missing score at its lowest)
 * instead of min-max, dense weights covered / uncovered 0.7 / 0.9: 0.729 / 0.680 / 0.194, 0.6 / 0.8:
 * 0.736 / 0.675 / 0.190, 0.8 / 0.95: 0.732 / 0.678 / 0.192. Nor did lifting lexical search's best
 * hit, where fusion ranks it lower, to a fixed place (against 0.725 / 0.685 / 0.197 on the index of
 * 575f7ea): to the first 0.701 / 0.644 / 0.190, the third 0.725 / 0.682 / 0.199, the third only
 * where its relevance is ≥ 0.5 0.727 / 0.684 / 0.199, the fifth 0.725 / 0.683 / 0.198.
 */
function fuseLists(
  lexical: LexicalHit[],
  lexicalBound: number,
  dense: ScoredId[],
  denseWeight: number | undefined,
  model: Pick<QueryEncoder, 'calibration' | 'denseWeights'>,
  verbatim: boolean,
  rankedBestBm25: number,
): { evidence: number; candidates: Candidate[] } {
  const { calibration } = model;
  const weights = model.denseWeights ?? DEFAULT_DENSE_WEIGHTS;
  const bestBm25 = Math.max(0, ...lexical.map((h) => h.score));
  const bestCosine = Math.max(-1, ...dense.map((h) => h.score));
  const denseConfidence = denseRelevance(bestCosine, calibration);
  const evidence = Math.max(lexicalRelevance(bestBm25, lexicalBound), denseConfidence);
  const covered = lexicalRelevance(rankedBestBm25, lexicalBound) >= LEXICAL_COVERED;
  const mixed = denseWeight ?? (covered ? weights.covered : weights.uncovered);
  const weight = lexical.length === 0 ? 1 : dense.length === 0 || denseConfidence === 0 ? 0 : mixed;
  const normalised = (list: ScoredId[], floor = Infinity): Map<PassageId, number> => {
    const scores = list.map((c) => c.score);
    const max = Math.max(...scores);
    const min = Math.min(...scores, floor);
    // A list whose candidates all score alike ranks none above another: each counts in full.
    return new Map(list.map((c) => [c.id, max === min ? 1 : (c.score - min) / (max - min)]));
  };
  const fused = new Map<PassageId, number>();
  if (verbatim && weight > 0 && bestBm25 > 0) {
    // The lexical order (scores in proportion to bm25, so that boilerplate demotion reorders them
    // exactly as in lexical mode: a shifted scale did not, dev measure 0.792 → 0.786 on the full
    // haystack), then the passages only dense found, in its order, below the last lexical hit.
    const floor = Math.min(...lexical.map((h) => h.score)) / bestBm25;
    for (const h of lexical) fused.set(h.id, h.score / bestBm25);
    for (const [id, v] of normalised(dense)) if (!fused.has(id)) fused.set(id, 0.99 * floor * v);
  } else {
    const add = (list: ScoredId[], w: number, floor?: number) => {
      if (list.length === 0 || w === 0) return;
      for (const [id, v] of normalised(list, floor)) fused.set(id, (fused.get(id) ?? 0) + w * v);
    };
    // A passage holding no query word has bm25 0: where dense brought such passages, the lexical
    // scale starts at 0, not at the weakest word match (which would count as no match at all).
    const lexicalIds = new Set(lexical.map((h) => h.id));
    add(lexical, 1 - weight, dense.some((h) => !lexicalIds.has(h.id)) ? 0 : undefined);
    add(dense, weight);
  }
  const candidates: Candidate[] = [...fused].map(([id, score]) => ({ id, fused: score }));
  // Where dense steps aside it still lists what it found, scored 0, after every lexical hit, in its
  // own order: the passages a search counts (total, facets) are then those it lists, and a filter
  // whose passages are all far from the query (枣庄市: 31 counted, 1 listed once clicked) lists the
  // passages its count promised.
  if (weight === 0) for (const h of dense) if (!fused.has(h.id)) candidates.push({ id: h.id, fused: 0, cosine: h.score });
  return { evidence, candidates };
}

/**
 * Laws and regulations weigh this much against reports: users look for what regions did, and a law
 * on the same topic states the duty rather than the practice (issue 8: laws outranked the report
 * passages). Applied to bm25 and cosine before fusion, in every mode; `--kind 法律法规` still lists
 * laws alone. Chosen on dev + auto on the full eval index (21,480 of its 32,006 passages are laws),
 * nDCG@10 hybrid (lexical) dev / auto: 1.0 0.562 (0.505) / 0.165 (0.128); 0.85 0.640 (0.564) / 0.168
 * (0.133); 0.7 0.654 (0.592) / 0.171 (0.133). Applied after fusion instead it let hybrid fall below
 * lexical on measure names (min-max fusion then mixes unweighted lists). Weighing every other
 * kind (work and congress reports, 其他) below the 法治政府建设年度报告 too was measured and not
 * taken: hybrid nDCG@10 dev / dev2 / dev4 / auto at 0.9 (laws 0.63) 0.845 / 0.835 / 0.841 / 0.182,
 * at 0.8 (laws 0.56) 0.851 / 0.849 / 0.849 / 0.165, against 0.790 / 0.748 / 0.752 / 0.198. The
 * hand-written sets judge only the five sample reports and the automatic set only national records,
 * so each set rewards one direction of such a prior and none can say whether users gain.
 */
const LAW_WEIGHT = 0.7;
/**
 * A law is one answer however many of its articles match: past its best LAW_ARTICLES_AT_FULL_WEIGHT
 * articles, each further article of the same law weighs LAW_ARTICLE_DECAY times the one before.
 * A law named after the query (法律援助法, 人民调解法: the name in nearly every article, articles
 * short) otherwise filled the first pages with its articles, ahead of every report passage: with
 * 42 laws beside the five sample reports, the first report passage for 法律援助 ranked below 100
 * in hybrid and lexical mode, 人民调解 at 91, 行政处罚 at 41 (dense mode found them first); with the
 * decay 9, 7, 3. Reports are not decayed: each passage of a report is a practice of its own. Full
 * eval index (random laws, few named after a query), nDCG@10 hybrid (lexical) dev / dev2 / dev4 /
 * auto: 0.788 (0.697) / 0.740 (0.620) / 0.753 (0.688) / 0.194 (0.148) before, 0.787 (0.703) / 0.740
 * (0.626) / 0.753 (0.690) / 0.194 (0.148) with it, no group lower. Leaving a law's title out of its
 * articles' context column instead (a title match gave every article of the law a full match) was
 * measured and not taken: it lowered lexical measure names (dev 0.882 → 0.867, dev4 0.842 → 0.824)
 * and barely moved these queries.
 */
const LAW_ARTICLES_AT_FULL_WEIGHT = 2;
const LAW_ARTICLE_DECAY = 0.5;

/**
 * Each law passage's multiplier for being its law's n-th best (see LAW_ARTICLE_DECAY), given the
 * passages best first; other passages are not in the map.
 */
function lawArticleDecay(ranked: readonly { id: PassageId; docId: number; kind: DocumentKind }[]): Map<PassageId, number> {
  const seen = new Map<number, number>();
  const decay = new Map<PassageId, number>();
  for (const p of ranked) {
    if (p.kind !== '法律法规') continue;
    const n = seen.get(p.docId) ?? 0;
    seen.set(p.docId, n + 1);
    decay.set(p.id, Math.pow(LAW_ARTICLE_DECAY, Math.max(0, n + 1 - LAW_ARTICLES_AT_FULL_WEIGHT)));
  }
  return decay;
}
/**
 * weightedLexicalSearch reads at most this many times deeper than its first read for laws whose
 * decayed articles filled it: one law of 20,000 matching articles read to the end took 8 reads and
 * 274 ms for a list of 100 (7 ms for one read). Beyond it another law's best article may be missed.
 */
const MAX_LAW_REREADS = 8;
/** How much deeper than asked weightedLexicalSearch reads first (see there). */
const LAW_OVERREAD = 3;
/** Passages otherKindsScores scores one by one rather than retrieve (see there). */
const SCORE_EACH_UP_TO = 2000;

function kindWeighted(score: number, kind: DocumentKind): number {
  if (kind !== '法律法规') return score;
  return score >= 0 ? score * LAW_WEIGHT : score / LAW_WEIGHT;
}

/**
 * Lexical retrieval's `limit` best passages as the law weight ranks them, not as raw bm25 does.
 * A law article repeating a measure's name is short and scores high, so laws filled the list while
 * report passages that outscore them once weighted were never read: with three laws stored beside
 * the five sample reports, 行政复议 at k 10 (100 read) listed only law articles, at k 20 (200 read)
 * reports first. Weighting lowers laws only, so a passage not read can enter the list only if its
 * raw bm25 beats the list's last weighted score; only then are the other kinds' passages read
 * (otherKindsScores) and merged. The first retrieval reads LAW_OVERREAD times deeper, so that the
 * second is rarely needed; where one law's decayed articles (LAW_ARTICLE_DECAY) fill the first
 * read, it reads twice as deep until no unread law article could enter (at most MAX_LAW_REREADS
 * times deeper). Eval index (32k passages, two thirds laws), 257 eval queries, 100 wanted, CPU
 * per query: raw bm25 alone 5.2 ms; 1× 14.5 ms (second retrieval for 239), 2× 9.6 ms (79), 3×
 * 8.6 ms (33), 4× 9.2 ms (14); read 1× deep, 7 queries' first ten differed from this ranking.
 */
export function weightedLexicalSearch(store: Store, tokens: readonly string[], limit: number, query: PassageQuery): LexicalHit[] {
  // Other kinds alone are weighed alike: their raw order is the weighted one.
  if (query.filter?.kind !== undefined && query.filter.kind !== '法律法规') return store.lexicalSearch(tokens, limit, query);
  for (let deep = limit * LAW_OVERREAD; ; deep *= 2) {
    const hits = store.lexicalSearch(tokens, deep, query);
    const facts = new Map(store.getPassageFacts(hits.map((h) => h.id)).map((row) => [row.id, row]));
    // Every passage of a law scoring above one read was read too, so its rank within its law is exact.
    const byRaw = [...hits].sort((a, b) => b.score - a.score || a.id - b.id).flatMap((h) => facts.get(h.id) ?? []);
    const decay = lawArticleDecay(byRaw);
    const weight = (h: LexicalHit) => (decay.has(h.id) ? kindWeighted(h.score, '法律法规') * decay.get(h.id)! : h.score);
    const best = (list: LexicalHit[]) => list.sort((a, b) => weight(b) - weight(a)).slice(0, limit);
    const listed = best([...hits]);
    if (hits.length < deep || decay.size === 0) return listed;
    const lastWeighted = weight(listed.at(-1)!);
    const lowestRead = hits.reduce((low, h) => Math.min(low, h.score), Infinity);
    // A law article not read weighs at most LAW_WEIGHT × the lowest score read; where decayed
    // articles of one law pushed the list's last below that, another law's best may be unread.
    if (lastWeighted < kindWeighted(lowestRead, '法律法规') && deep < limit * LAW_OVERREAD * MAX_LAW_REREADS) continue;
    if (lastWeighted >= lowestRead) return listed;
    const read = new Set(hits.map((h) => h.id));
    const others = otherKindsScores(store, tokens, limit, query).filter((h) => !read.has(h.id) && h.score > lastWeighted);
    return best([...listed, ...others]);
  }
}

/**
 * The best bm25 of the passages that are not laws, two ways by what costs less: where they are few
 * (a law library with some reports), each one scored (Store.lexicalScores); else a retrieval that
 * joins each match to its document. Full lawrefbook and the five reports (245,896 passages, 1,381
 * not laws), 24 bench queries, CPU per query: the join 26.0 ms, scoring each 7.5 ms (5.0 since
 * Store.lexicalScores reads only the rows holding a query term); on the eval index (9.5k not
 * laws) the join 3.5 ms.
 */
function otherKindsScores(store: Store, tokens: readonly string[], limit: number, query: PassageQuery): LexicalHit[] {
  const others = { ...query, excludeKind: '法律法规' as const };
  const ids = store.passageIds(others, SCORE_EACH_UP_TO + 1);
  return ids.size <= SCORE_EACH_UP_TO ? store.lexicalScores(tokens, [...ids]).slice(0, limit) : store.lexicalSearch(tokens, limit, others);
}

/** Hybrid: both lists completed (see completeLists) and kind-weighted (see LAW_WEIGHT), then fused and ranked. */
function rankFused(
  ctx: SearchContext,
  query: string,
  lexicalQuery: { tokens: readonly string[]; hits: LexicalHit[]; bound: number },
  denseQuery: { vector: Float32Array; hits: ScoredId[] },
  denseWeight: number | undefined,
): PassageMatch[] {
  const { store } = ctx;
  const facts = new Map(store.getPassageFacts([...new Set([...lexicalQuery.hits, ...denseQuery.hits].map((h) => h.id))]).map((row) => [row.id, row]));
  const weighted = <T extends ScoredId>(list: T[]): T[] =>
    list
      .flatMap((h) => {
        const row = facts.get(h.id);
        return row ? [{ ...h, score: kindWeighted(h.score, row.kind) }] : [];
      })
      .sort((a, b) => b.score - a.score);
  const verbatim = holdsVerbatim(store, query, weighted(lexicalQuery.hits));
  // The verbatim order ranks dense-only passages by dense alone (see fuseLists): nothing to complete.
  const lists = verbatim ? { lexical: lexicalQuery.hits, dense: denseQuery.hits } : completeLists(ctx, lexicalQuery, denseQuery);
  const lexical = weighted(lists.lexical);
  const dense = weighted(lists.dense);
  const { evidence, candidates } = fuseLists(lexical, lexicalQuery.bound, dense, denseWeight, ctx.encoder, verbatim, bestRankedBm25(lexical, facts));
  // The evidence scales the shown score only: where it is 0 (no query word stored, dense at chance)
  // every score is 0 and the fused order, dense's, still ranks (it fell back to passage ids).
  return rank(store, candidates, (_b, _c, score) => evidence * score, facts);
}

/** The best bm25 of kind-weighted lexical hits as lexical mode ranks them: boilerplate-demoted too. */
function bestRankedBm25(lexical: LexicalHit[], facts: Map<PassageId, PassageFacts>): number {
  return Math.max(0, ...lexical.map((h) => demote(h.score, facts.get(h.id)?.boilerplate ?? 0)));
}

/**
 * Each list with its scores for the other's candidates too: bm25 for the passages only dense
 * found (none where they hold no query word), the cosine of the stored vector for those only
 * lexical search found. Fused with a missing score counting as the list's lowest, a passage
 * both rank just below their first 100 lost to one that only one of them ranks high. Measured (full
 * eval index, bge-small-zh-v1.5, nDCG@10 hybrid, dev / dev2 / auto, before → after, both at
 * covered dense weight 0.4): paraphrase 0.395 / 0.465 / – → 0.414 / 0.461, similar practice 0.732 / 0.705
 * → 0.752 / 0.727, auto 0.186 → 0.181 (0.189 at 0.6, see DEFAULT_DENSE_WEIGHTS).
 */
function completeLists(
  ctx: SearchContext,
  lexicalQuery: { tokens: readonly string[]; hits: LexicalHit[] },
  denseQuery: { vector: Float32Array; hits: ScoredId[] },
): { lexical: LexicalHit[]; dense: ScoredId[] } {
  const lexical = lexicalQuery.hits;
  const dense = denseQuery.hits;
  if (lexical.length === 0 || dense.length === 0) return { lexical, dense };
  const inLexical = new Set(lexical.map((h) => h.id));
  const inDense = new Set(dense.map((h) => h.id));
  const lexicalMore = ctx.store.lexicalScores(
    lexicalQuery.tokens,
    dense.filter((h) => !inLexical.has(h.id)).map((h) => h.id),
  );
  const vectors = ctx.store.getVectors(lexical.filter((h) => !inDense.has(h.id)).map((h) => h.id), ctx.encoder.modelId);
  const denseMore = [...vectors].map(([id, stored]) => ({ id, score: cosine(denseQuery.vector, stored) }));
  return { lexical: [...lexical, ...lexicalMore], dense: [...dense, ...denseMore] };
}

/**
 * Scores the candidates (given their facts, or reading them) with their raw scores kind-weighted
 * and boilerplate-demoted first (so lexical and dense order passages exactly as the weighted bm25
 * and cosine do); best first, ties (e.g. all at 0 below the dense floor) broken by the raw scores.
 * Reads no text: `load` fetches it for the page shown.
 */
function rank(store: Store, candidates: Candidate[], score: Scorer, known?: Map<PassageId, PassageFacts>): PassageMatch[] {
  const facts = known ?? new Map(store.getPassageFacts(candidates.map((candidate) => candidate.id)).map((row) => [row.id, row]));
  const ranked = candidates
    .flatMap((c) => {
      const row = facts.get(c.id);
      if (!row) return [];
      // Fused scores were kind-weighted before fusion (rankFused).
      const bm25 = demote(kindWeighted(c.bm25 ?? 0, row.kind), row.boilerplate);
      const cosine = demote(kindWeighted(c.cosine ?? 0, row.kind), row.boilerplate);
      const fused = demote(c.fused ?? 0, row.boilerplate);
      return [{ match: { ...row, score: score(bm25, cosine, fused) }, raw: bm25 + cosine + fused }];
    })
    .sort((a, b) => b.match.score - a.match.score || b.raw - a.raw || a.match.id - b.match.id)
    .map((c) => c.match);
  const decay = lawArticleDecay(ranked);
  if (decay.size === 0) return ranked;
  // A stable sort: ties keep the order above.
  return ranked.map((m) => ({ ...m, score: m.score * (decay.get(m.id) ?? 1) })).sort((a, b) => b.score - a.score);
}

/** The matches as results, in order, with their text (a passage removed meanwhile is left out). */
export function loadMatches(store: Store, matches: readonly PassageMatch[]): PassageResult[] {
  const rows = new Map(store.getPassages(matches.map((m) => m.id)).map((row) => [row.id, row]));
  return matches.flatMap((m) => {
    const row = rows.get(m.id);
    return row ? [toResult(row, m.score)] : [];
  });
}

/** Reports `offset` + 1 … `offset` + k by their best passage, each with its best passages. */
function groupByReport(store: Store, ranked: readonly PassageMatch[], offset: number, k: number): ReportResult[] {
  const all = new Map<number, PassageMatch[]>();
  for (const hit of ranked) {
    let group = all.get(hit.docId);
    if (!group) {
      if (all.size === offset + k) continue;
      group = [];
      all.set(hit.docId, group);
    }
    if (group.length < PASSAGES_PER_REPORT) group.push(hit);
  }
  const groups = [...all.values()].slice(offset);
  const loaded = new Map(loadMatches(store, groups.flat()).map((result) => [result.id, result]));
  return groups.flatMap((group) => {
    const passages = group.flatMap((m) => loaded.get(m.id) ?? []);
    const best = passages[0];
    if (!best) return [];
    return [{ docId: best.docId, source: best.source, title: best.title, kind: best.kind, jurisdiction: best.jurisdiction, year: best.year, score: best.score, passages }];
  });
}

function toResult(row: PassageRow, score: number): PassageResult {
  return {
    id: row.id,
    docId: row.docId,
    source: row.source,
    title: row.title,
    kind: row.kind,
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
  if (!Number.isSafeInteger(value) || value < 1) throw new SearchParamError('not_a_passage_id', 'passageId', `${String(id)} is not a passage id (a positive integer)`);
  return value;
}

/*
 * The checks of the search functions' own parameters, exported so that the CLI runs them before
 * loading the model; each throws a SearchParamError.
 */

/** The trimmed query of `search`. */
export function validateQuery(query: string): string {
  return checkedText('query', query, MAX_QUERY_CHARS);
}

/** The trimmed text of `similar` by text. */
export function validateText(text: string): string {
  return checkedText('text', text, MAX_SIMILAR_TEXT_CHARS);
}

function checkedText(param: 'query' | 'text', value: string, max: number): string {
  const text = value.trim();
  if (text.length === 0) throw new SearchParamError('empty', param, 'is empty');
  // Characters as code points, as the API's schema (Ajv) counts them: 𠀀 is one, not its two UTF-16 units.
  const chars = [...text].length;
  if (chars > max) throw new SearchParamError('too_long', param, `is ${chars} characters; at most ${max}`);
  return text;
}

export function validateK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new SearchParamError('out_of_range', 'k', `must be an integer from 1 to ${MAX_K}, not ${k}`);
  return k;
}

export function validateOffset(offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) throw new SearchParamError('out_of_range', 'offset', `must be an integer from 0 to ${MAX_OFFSET}, not ${offset}`);
  return offset;
}

export function validateMode(mode: string): SearchMode {
  const found = SEARCH_MODES.find((m) => m === mode);
  if (!found) throw new SearchParamError('not_allowed', 'mode', `must be one of ${SEARCH_MODES.join(', ')}, not ${String(mode)}`);
  return found;
}

export function validateBy(by: string): 'passage' | 'report' {
  if (by !== 'passage' && by !== 'report') throw new SearchParamError('not_allowed', 'by', `must be passage or report, not ${String(by)}`);
  return by;
}

/** `similar` by text with other regions left out needs the region the text is from. */
export function validateHome(opts: Pick<SimilarOptions, 'otherRegions' | 'region'>): void {
  if (opts.otherRegions && !(opts.region && regionOf(opts.region))) {
    throw new SearchParamError('region_required', 'region', 'a text has no region of its own: name its home region (province, city or county) to leave out');
  }
}

export function validateYear(param: 'year' | 'from' | 'to', year: number): number {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new SearchParamError('out_of_range', param, `must be a year from ${MIN_YEAR} to ${MAX_YEAR}, not ${year}`);
  }
  return year;
}

export function validateFilter(filter: SearchFilter): SearchFilter {
  for (const param of ['year', 'from', 'to'] as const) if (filter[param] !== undefined) validateYear(param, filter[param]);
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new SearchParamError('conflicting', 'from', `${filter.from} is after the range's end, ${filter.to}`);
  }
  if (filter.section !== undefined && !SECTION_KINDS.includes(filter.section)) {
    throw new SearchParamError('not_allowed', 'section', `must be one of ${SECTION_KINDS.join(', ')}, not ${String(filter.section)}`);
  }
  if (filter.kind !== undefined && !DOCUMENT_KINDS.includes(filter.kind)) {
    throw new SearchParamError('not_allowed', 'kind', `must be one of ${DOCUMENT_KINDS.join(', ')}, not ${String(filter.kind)}`);
  }
  for (const param of ['province', 'city', 'county'] as const) {
    if (filter[param] !== undefined && filter[param]!.trim() === '') throw new SearchParamError('empty', param, 'is empty');
  }
  return filter;
}

/** Whether any filter field is set (an empty filter restricts nothing). */
export function hasFilter(filter: SearchFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}
