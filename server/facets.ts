// Filter facets of a search page, counted disjunctively: each dimension's counts come from the
// query's matches with the filters of the OTHER dimensions applied, so after choosing 河南省 the
// sidebar still lists the other provinces with their counts, and a user can switch or compare.
import { retrievalDepth } from '../search/retrievalDepth.ts';
import { admitted, weightedLexicalSearch, type PassageMatch, type QueryEncoder, type QueryTerms, type SearchContext, type SearchMode } from '../search/searchEngine.ts';
import { embedQueryText } from '../search/queryVector.ts';
import type { PassageFacts, PassageId, SearchFilter, Store } from '../search/store.ts';

export const FACET_NAMES = ['province', 'city', 'county', 'year', 'section', 'kind'] as const;
export type FacetName = (typeof FACET_NAMES)[number];
export type Facets = Record<FacetName, Record<string, number>>;

/**
 * The filter keys a facet leaves out when counting: its own, and for a region level the levels
 * below it too (a city lies inside one province, so other provinces counted with a city kept
 * would all be 0). Year counts ignore the year range as well as a single year.
 */
const IGNORES: Record<FacetName, readonly (keyof SearchFilter)[]> = {
  province: ['province', 'city', 'county'],
  city: ['city', 'county'],
  county: ['county'],
  year: ['year', 'from', 'to'],
  section: ['section'],
  kind: ['kind'],
};

/** A passage's value in one dimension. */
function facetValue(facts: PassageFacts, name: FacetName): string | number | null {
  return name === 'province' || name === 'city' || name === 'county' ? facts.jurisdiction[name] : facts[name];
}

/** How many items have each value (none: not counted). */
export function countValues<T>(items: readonly T[], value: (item: T) => string | number | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const v = value(item);
    if (v !== null) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  }
  return counts;
}

/** `filter` without the keys a facet ignores. */
function facetFilter(filter: SearchFilter, name: FacetName): SearchFilter {
  const kept: SearchFilter = { ...filter };
  for (const key of IGNORES[name]) delete kept[key];
  return kept;
}

/**
 * What each facet counts over: `own` (what the page's filter admits) where none of the keys the
 * facet ignores is set, else `retrieve` under the filter without them — made once per distinct
 * relaxed filter, however many facets share it.
 */
export function facetBases<N extends FacetName, T>(filter: SearchFilter, names: readonly N[], own: T, retrieve: (relaxed: SearchFilter) => T): Map<N, T> {
  const retrievals = new Map<string, T>();
  return new Map(
    names.map((name): [N, T] => {
      if (!IGNORES[name].some((key) => filter[key] !== undefined)) return [name, own];
      const relaxed = facetFilter(filter, name);
      const key = JSON.stringify(relaxed, Object.keys(relaxed).sort());
      if (!retrievals.has(key)) retrievals.set(key, retrieve(relaxed));
      return [name, retrievals.get(key)!];
    }),
  );
}

/**
 * Facets for a page whose matches were retrieved under `filter`. A dimension with no filter of
 * its own counts over those matches; each other distinct relaxed filter costs one retrieval
 * (`retrieve`), made once however many dimensions share it. Unfiltered pages cost no retrieval.
 */
export async function disjunctiveFacets(
  store: Store,
  filter: SearchFilter,
  own: { matches: readonly PassageMatch[]; truncated: boolean },
  retrieve: (filter: SearchFilter) => Promise<Retrieved>,
): Promise<{ facets: Facets; atLeast: FacetName[] }> {
  // Ids the store lacks (removed meanwhile) are left out.
  const factsOf = async (retrieved: Promise<Retrieved>): Promise<{ facts: readonly PassageFacts[]; truncated: boolean }> => {
    const { ids, truncated } = await retrieved;
    return { facts: store.getPassageFacts([...ids]), truncated };
  };
  // The page's own matches carry their facts: an unfiltered page reads nothing more.
  const ownBase: Promise<{ facts: readonly PassageFacts[]; truncated: boolean }> = Promise.resolve({ facts: own.matches, truncated: own.truncated });
  const bases = facetBases(filter, FACET_NAMES, ownBase, (relaxed) => factsOf(retrieve(relaxed)));
  const facets = {} as Facets;
  const atLeast: FacetName[] = [];
  for (const name of FACET_NAMES) {
    const { facts, truncated } = await bases.get(name)!;
    facets[name] = countValues(facts, (f) => facetValue(f, name));
    if (truncated) atLeast.push(name);
  }
  return { facets, atLeast };
}

/**
 * The passages a search retrieved, and whether a retrieval read as deep as it may (searchEngine.ts
 * rankQuery): then each count over them is a lower bound — a click on a value retrieves inside it
 * and finds more of its own (述法 on 16 reports: 山东省 counted 90, listed 100 once clicked).
 */
export interface Retrieved {
  ids: Iterable<PassageId>;
  truncated: boolean;
}

/**
 * The passages searchWithMatches would retrieve (and so count as matches) for the query under
 * `filter`, and whether it would call them truncated, without ranking them or loading their rows (that cost more than the retrievals on the
 * eval index): lexical and/or dense candidates to the same depth, the dense filter as the same
 * allow-list. Takes the search's own words (its `terms`: tokens, and the text dense embeds),
 * so the query is not segmented or expanded again; pass a context from embedQueryOnce, so it is
 * not embedded again either.
 */
export async function matchingIds(
  ctx: SearchContext,
  terms: Pick<QueryTerms, 'tokens' | 'denseText'>,
  opts: { k: number; mode: SearchMode; filter: SearchFilter },
): Promise<{ ids: Set<PassageId>; truncated: boolean }> {
  const depth = retrievalDepth(opts.k, ctx.encoder);
  const ids = new Set<PassageId>();
  let truncated = false;
  if (opts.mode !== 'dense') {
    const hits = weightedLexicalSearch(ctx.store, terms.tokens, depth.lexical, { filter: opts.filter });
    for (const hit of hits) ids.add(hit.id);
    truncated = hits.length >= depth.lexical;
  }
  if (opts.mode !== 'lexical') {
    const { vector } = await embedQueryText(ctx.encoder, terms.denseText);
    const hits = ctx.index.search(vector, depth.dense, admitted(ctx.store, { filter: opts.filter }));
    for (const hit of hits) ids.add(hit.id);
    truncated ||= hits.length >= depth.dense;
  }
  return { ids, truncated };
}

/**
 * The encoder for one request's retrievals: the query is embedded once, however many relaxed
 * retrievals the facets make (an embedding costs more than a filtered lexical retrieval). Every
 * batch is remembered, not just the last: a query of several clauses is embedded as two
 * (search/queryVector.ts).
 */
export function embedQueryOnce(ctx: SearchContext): SearchContext {
  const encoder = ctx.encoder;
  const embedded = new Map<string, Promise<Float32Array[]>>();
  // Everything else as the encoder has it (its model settings included), so no setting is dropped here.
  const once: QueryEncoder = {
    ...encoder,
    embedQueries: (texts) => {
      const key = texts.join('\u0000');
      let vectors = embedded.get(key);
      if (!vectors) embedded.set(key, (vectors = encoder.embedQueries(texts)));
      return vectors;
    },
  };
  return { ...ctx, encoder: once };
}
