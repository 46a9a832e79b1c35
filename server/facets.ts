// Filter facets of a search page, counted disjunctively: each dimension's counts come from the
// query's matches with the filters of the OTHER dimensions applied, so after choosing 河南省 the
// sidebar still lists the other provinces with their counts, and a user can switch or compare.
import type { PassageResult, QueryEncoder, SearchContext } from '../search/searchEngine.ts';
import type { SearchFilter } from '../search/store.ts';

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

function valueOf(m: PassageResult, name: FacetName): string | number | null {
  switch (name) {
    case 'province':
    case 'city':
    case 'county':
      return m.jurisdiction[name];
    case 'year':
      return m.year;
    case 'section':
      return m.section;
    case 'kind':
      return m.kind;
  }
}

/** Passage counts per value of one dimension over a set of matches. */
export function countValues(matches: readonly PassageResult[], name: FacetName): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of matches) {
    const value = valueOf(m, name);
    if (value !== null) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  }
  return counts;
}

/** The filter a facet counts under: `filter` without the keys the facet ignores. */
export function facetFilter(filter: SearchFilter, name: FacetName): SearchFilter {
  const kept: SearchFilter = { ...filter };
  for (const key of IGNORES[name]) delete kept[key];
  return kept;
}

/**
 * Facets for a page whose matches were retrieved under `filter`. A dimension with no filter of
 * its own counts over those matches; each other distinct relaxed filter costs one retrieval
 * (`retrieve`), made once however many dimensions share it. Unfiltered pages cost nothing extra.
 */
export async function disjunctiveFacets(
  filter: SearchFilter,
  matches: readonly PassageResult[],
  retrieve: (filter: SearchFilter) => Promise<readonly PassageResult[]>,
): Promise<Facets> {
  const retrievals = new Map<string, Promise<readonly PassageResult[]>>();
  const facets = {} as Facets;
  for (const name of FACET_NAMES) {
    const relaxed = facetFilter(filter, name);
    const ignoresNothing = IGNORES[name].every((key) => filter[key] === undefined);
    let base: readonly PassageResult[];
    if (ignoresNothing) {
      base = matches;
    } else {
      const key = JSON.stringify(relaxed, Object.keys(relaxed).sort());
      if (!retrievals.has(key)) retrievals.set(key, retrieve(relaxed));
      base = await retrievals.get(key)!;
    }
    facets[name] = countValues(base, name);
  }
  return facets;
}

/**
 * The encoder for one request's retrievals: the query is embedded once, however many relaxed
 * retrievals the facets make (an embedding costs more than a filtered lexical retrieval).
 */
export function embedQueryOnce(ctx: SearchContext): SearchContext {
  const encoder = ctx.encoder;
  let last: { key: string; vectors: Promise<Float32Array[]> } | undefined;
  const once: QueryEncoder = {
    modelId: encoder.modelId,
    dim: encoder.dim,
    calibration: encoder.calibration,
    embed: (texts) => encoder.embed(texts),
    embedQueries: (texts) => {
      const key = texts.join('\u0000');
      if (last?.key !== key) last = { key, vectors: encoder.embedQueries(texts) };
      return last.vectors;
    },
  };
  return { ...ctx, encoder: once };
}
