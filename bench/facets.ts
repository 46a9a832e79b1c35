// `node --import tsx bench/facets.ts --data-dir DIR [--model M] [--rounds N]`: what the
// disjunctive facets of GET /api/search cost per query, in process (no HTTP): the search, then
// server/facets.ts on its matches (wall and CPU time), for pages with no filter, one, two and
// five filter dimensions set. Filter
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
const ms = (list: number[]) => `${percentile(list, 50).toFixed(1)} / ${percentile(list, 95).toFixed(1)}`;
for (const scenario of scenarios) {
  const search: number[] = [];
  const facets: number[] = [];
  const facetsCpu: number[] = [];
  let retrievals = 0;
  for (let round = 0; round <= rounds; round++) {
    for (const q of QUERIES) {
      const filter = JSON.parse(JSON.stringify(scenario.filter(best.get(q)!))) as SearchFilter;
      const ctx = embedQueryOnce(reader.current());
      const started = performance.now();
      const { matches, truncated, terms } = await searchWithMatches(ctx, q, { k: K, mode, filter });
      const searched = performance.now();
      // CPU time of this thread's work (the query is already embedded): less disturbed by other load than wall time.
      const cpu = process.cpuUsage();
      let made = 0;
      await disjunctiveFacets(ctx.store, filter, { matches, truncated }, (relaxed) => {
        made++;
        return matchingIds(ctx, terms, { k: K, mode, filter: relaxed });
      });
      const used = process.cpuUsage(cpu);
      if (round === 0) continue; // warm-up
      search.push(searched - started);
      facets.push(performance.now() - searched);
      facetsCpu.push((used.user + used.system) / 1000);
      retrievals += made;
    }
  }
  for (const list of [search, facets, facetsCpu]) list.sort((a, b) => a - b);
  rows.push([scenario.name, (retrievals / search.length).toFixed(1), ms(search), ms(facets), ms(facetsCpu)]);
}
const counts = reader.current().store.counts();
reader.close();
console.log(
  [
    `facet cost, ${new Date().toISOString()}: ${counts.documents} documents, ${counts.passages} passages (${values['data-dir']})`,
    `${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; mode ${mode}, k=${K}, ${QUERIES.length} queries × ${rounds} rounds after a warm-up round`,
    '',
    table(['filters set', 'extra retrievals / query', 'search p50 / p95 ms', 'facets p50 / p95 ms', 'facets CPU p50 / p95 ms'], rows),
  ].join('\n'),
);
