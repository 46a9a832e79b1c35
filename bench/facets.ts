// `node --import tsx bench/facets.ts --data-dir DIR [--model M] [--rounds N]`: what the
// disjunctive facets of GET /api/search cost per query, in process (no HTTP): the search alone
// (whose matches the facets of unfiltered dimensions are counted over) against the search plus
// server/facets.ts, for pages with no filter, one, two and five filter dimensions set. Filter
// values are taken from each query's own best hit, so every filtered page has matches.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openReader } from '../server/reader.ts';
import { disjunctiveFacets, embedQueryOnce, matchingIds } from '../server/facets.ts';
import { searchWithMatches, type SearchMode } from '../search/searchEngine.ts';
import type { SearchFilter } from '../search/store.ts';
import { QUERIES } from './queries.ts';
import { percentile, table } from './stats.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    model: { type: 'string' },
    mode: { type: 'string', default: 'hybrid' },
    rounds: { type: 'string', default: '3' },
  },
});
if (!values['data-dir']) throw new Error('--data-dir DIR: an indexed data directory (e.g. .tmp/eval/index/fazhi-mini-zh)');
const mode = values.mode as SearchMode;
const rounds = Number(values.rounds);
const K = 20; // the web app's page size

const reader = await openReader({ dataDir: values['data-dir'], model: values.model });
const scenarios: { name: string; filter: (best: SearchFilter) => SearchFilter }[] = [
  { name: 'no filter', filter: () => ({}) },
  { name: 'province', filter: (b) => ({ province: b.province }) },
  { name: 'province + kind', filter: (b) => ({ province: b.province, kind: b.kind }) },
  { name: 'province + city + year + section + kind', filter: (b) => b },
];

/** Each query's best unfiltered hit, as a filter on all its dimensions. */
const best = new Map<string, SearchFilter>();
for (const q of QUERIES) {
  const { matches } = await searchWithMatches(reader.current(), q, { k: K, mode });
  const top = matches[0]!;
  const filter: SearchFilter = { province: top.jurisdiction.province ?? undefined, city: top.jurisdiction.city ?? undefined, section: top.section, kind: top.kind };
  if (top.year !== null) filter.from = filter.to = top.year;
  best.set(q, JSON.parse(JSON.stringify(filter)) as SearchFilter);
}

const rows: (string | number)[][] = [];
for (const scenario of scenarios) {
  const plain: number[] = [];
  const faceted: number[] = [];
  const extra: number[] = [];
  let retrievals = 0;
  for (let round = 0; round <= rounds; round++) {
    for (const q of QUERIES) {
      const filter = JSON.parse(JSON.stringify(scenario.filter(best.get(q)!))) as SearchFilter;
      let t = performance.now();
      await searchWithMatches(embedQueryOnce(reader.current()), q, { k: K, mode, filter });
      const searchMs = performance.now() - t;
      t = performance.now();
      const ctx = embedQueryOnce(reader.current());
      const { matches } = await searchWithMatches(ctx, q, { k: K, mode, filter });
      let made = 0;
      await disjunctiveFacets(ctx.store, filter, matches, (relaxed) => {
        made++;
        return matchingIds(ctx, q, { k: K, mode, filter: relaxed });
      });
      const totalMs = performance.now() - t;
      if (round === 0) continue; // warm-up
      plain.push(searchMs);
      faceted.push(totalMs);
      extra.push(totalMs - searchMs);
      retrievals += made;
    }
  }
  for (const list of [plain, faceted, extra]) list.sort((a, b) => a - b);
  rows.push([
    scenario.name,
    (retrievals / plain.length).toFixed(1),
    `${percentile(plain, 50).toFixed(1)} / ${percentile(plain, 95).toFixed(1)}`,
    `${percentile(faceted, 50).toFixed(1)} / ${percentile(faceted, 95).toFixed(1)}`,
    `${percentile(extra, 50).toFixed(1)} / ${percentile(extra, 95).toFixed(1)}`,
  ]);
}
const counts = reader.current().store.counts();
reader.close();
console.log(
  [
    `facet cost, ${new Date().toISOString()}: ${counts.documents} documents, ${counts.passages} passages (${values['data-dir']})`,
    `${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; mode ${mode}, k=${K}, ${QUERIES.length} queries × ${rounds} rounds after a warm-up round`,
    '',
    table(['filters set', 'extra retrievals', 'search p50 / p95 ms', 'search + facets p50 / p95 ms', 'facets p50 / p95 ms'], rows),
  ].join('\n'),
);
