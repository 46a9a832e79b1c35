// The facets' retrievals (server/facets.ts matchingIds) must find exactly the passages the search
// itself retrieved, or counts and clicks disagree: on a store larger than the retrieval depth, and
// for a query of several clauses, whose vector is more than one embedding (search/queryVector.ts).
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedReport, SectionKind } from '../pipeline/types.ts';
import type { SearchFilter } from '../search/store.ts';
import { disjunctiveFacets, embedQueryOnce, FACET_NAMES, matchingIds } from '../server/facets.ts';
import { searchWithMatches, type SearchContext, type SearchMode } from '../search/searchEngine.ts';
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { makeEncoder, makeReport, makeSegmenter, seededRandom, tempDataDir, vectorsFor } from './helpers/searchFixtures.ts';

const WORDS = ['推行', '行政执法', '公示', '制度', '开展', '领导干部', '述法', '评议', '调解', '复议', '监督', '培训', '普法', '审查', '备案', '信用'];

let dataDir: string;
let store: Store;

beforeEach(() => {
  dataDir = tempDataDir();
  store = Store.open(dataDir);
});

afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function context(): SearchContext {
  const random = seededRandom(27);
  const reports: ParsedReport[] = Array.from({ length: 6 }, (_, r) =>
    makeReport(
      `r${r}.txt`,
      { province: r % 2 ? '山东省' : '河南省', city: null, county: null, year: 2020 + r },
      Array.from({ length: 60 }, (_, i) => ({
        section: (i % 2 ? '成效' : '不足') as SectionKind,
        words: [...Array.from({ length: 3 + Math.floor(random() * 6) }, () => WORDS[Math.floor(random() * WORDS.length)]!), `独${r}-${i}`],
      })),
    ),
  );
  for (const report of reports) store.putReport(report, vectorsFor(report), 'test-bag-64');
  const segment = makeSegmenter(reports);
  const index = new VectorIndex(dataDir, { warn: () => {} });
  index.sync(store, 'test-bag-64');
  return { store, index, encoder: makeEncoder(segment), segment, thesaurus: [] };
}

describe('matchingIds', () => {
  it.each(['dense', 'hybrid'] as SearchMode[])('%s: retrieves the passages the search retrieved, for a query of several clauses', async (mode) => {
    const ctx = embedQueryOnce(context());
    const query = '推行行政执法公示制度开展审查备案培训，领导干部';
    const { matches, terms } = await searchWithMatches(ctx, query, { k: 10, mode, filter: {} });
    // More passages than the retrieval reads, so which ones it reads depends on the query vector.
    expect(store.counts().passages).toBeGreaterThan(matches.length);
    const { ids, truncated } = await matchingIds(ctx, terms, { k: 10, mode, filter: {} });
    expect(ids).toEqual(new Set(matches.map((m) => m.id)));
    expect(truncated).toBe(true);
  });
});

describe('facet counts and clicks', () => {
  /** What a click on `value` lists: the search again with that dimension's filter set to it. */
  const clickTotal = async (ctx: SearchContext, query: string, mode: SearchMode, name: (typeof FACET_NAMES)[number], value: string) => {
    const filter: SearchFilter = name === 'year' ? { year: Number(value) } : name === 'section' ? { section: value as SectionKind } : { [name]: value };
    return (await searchWithMatches(ctx, query, { k: 10, mode, filter })).matches.length;
  };

  it.each([
    ['lexical', '独2-7 独4-9 独5-1', false],
    ['dense', '推行行政执法公示制度', true],
    ['hybrid', '推行行政执法公示制度', true],
  ] as [SearchMode, string, boolean][])('%s: a count is what its click lists, or is marked a lower bound where retrieval was truncated', async (mode, query, truncated) => {
    const ctx = embedQueryOnce(context());
    const { matches, truncated: own, terms } = await searchWithMatches(ctx, query, { k: 10, mode, filter: {} });
    expect(own).toBe(truncated);
    const { facets, atLeast } = await disjunctiveFacets(store, {}, { matches, truncated: own }, (relaxed) => matchingIds(ctx, terms, { k: 10, mode, filter: relaxed }));
    expect(atLeast).toEqual(truncated ? [...FACET_NAMES] : []);
    let larger = 0;
    for (const name of ['province', 'year', 'section'] as const) {
      for (const [value, count] of Object.entries(facets[name])) {
        const clicked = await clickTotal(ctx, query, mode, name, value);
        if (truncated) expect(clicked, `${name}=${value}`).toBeGreaterThanOrEqual(count);
        else expect(clicked, `${name}=${value}`).toBe(count);
        if (clicked > count) larger++;
      }
    }
    // Truncated retrieval is why counts are marked: clicks there do list more than their counts.
    if (truncated) expect(larger).toBeGreaterThan(0);
  });
});
