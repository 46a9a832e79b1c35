// The facets' retrievals (server/facets.ts matchingIds) must find exactly the passages the search
// itself retrieved, or counts and clicks disagree: on a store larger than the retrieval depth, and
// for a query of several clauses, whose vector is more than one embedding (search/queryVector.ts).
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedReport, SectionKind } from '../pipeline/types.ts';
import { embedQueryOnce, matchingIds } from '../server/facets.ts';
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
    const ids = await matchingIds(ctx, terms, { k: 10, mode, filter: {} });
    expect(ids).toEqual(new Set(matches.map((m) => m.id)));
  });
});
