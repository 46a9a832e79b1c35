// Fits the fixed score calibration of search/searchEngine.ts (`Calibration`) from pairs mined from an
// indexed corpus — never from the dev queries:
//   node --import tsx models/train/fitCalibration.ts --data-dir .tmp/eval/index/bge-small-zh-v1.5 \
//     --model bge-small-zh-v1.5 --sources 'national/(gwr|cpc)-\d\d[1-46-9]\.txt$'
// A mined pair is a section heading (ordinal stripped) → a passage under it that does not contain the
// heading verbatim (so lexical search gets no free match). Random pairs are the same headings
// against a fixed random sample of all passages. Prints the calibration JSON and the distributions.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEncoder } from '../encoder.ts';
import { resolveModelDir } from '../../cli/config.ts';
import { segmentForQuery } from '../../pipeline/segment.ts';
import { Store } from '../../search/store.ts';
import { embedQueryText } from '../../search/queryVector.ts';
import { dot, pieceCoverage } from '../vectors.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    model: { type: 'string' },
    sources: { type: 'string' },
    queries: { type: 'string', default: '300' },
    random: { type: 'string', default: '3000' },
  },
});
if (!values['data-dir'] || !values.sources) throw new Error('usage: --data-dir DIR --sources REGEX [--model NAME] [--queries N] [--random N]');
const dataDir = path.resolve(values['data-dir']);
const sources = new RegExp(values.sources);

/** Deterministic shuffle (mulberry32), so a refit on the same index gives the same numbers. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const ORDINAL = /^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）、.．]|[一二三四五六七八九十]+是|第[一二三四五六七八九十百\d]+[章节条部分]\s*)/;
const compact = (s: string) => s.replace(/[^\p{L}\p{N}]/gu, '');

const store = Store.openReadOnly(dataDir);
const modelDir = resolveModelDir(values.model, dataDir);
const encoder = await loadEncoder(modelDir);

const docs = store.documents().filter((d) => sources.test(d.source));
interface Pair {
  query: string;
  positive: number;
}
const byHeading = new Map<string, Pair[]>();
for (const doc of docs) {
  for (const p of store.getPassages(store.passageIdsOf(doc.id))) {
    const heading = p.headingPath.at(-1);
    if (!heading) continue;
    const query = heading.replace(ORDINAL, '').replace(/[。；;]$/, '').trim();
    if (compact(query).length < 6 || compact(query).length > 40) continue;
    if (compact(p.text).includes(compact(query))) continue;
    const key = `${doc.id}\t${query}`;
    byHeading.set(key, [...(byHeading.get(key) ?? []), { query, positive: p.id }]);
  }
}
const groups = shuffled([...byHeading.values()], 7).slice(0, Number(values.queries));
const allIds = store.documents().flatMap((d) => store.passageIdsOf(d.id));
const randomIds = shuffled(allIds, 11).slice(0, Number(values.random));
const randomStored = store.getVectors(randomIds, encoder.modelId);
const randomVectors = [...randomStored.values()];
const match = encoder.clauseMatch;
const randomPieces = match ? store.getPieces([...randomStored.keys()], encoder.modelId) : new Map<number, Float32Array[]>();
if (groups.length === 0 || randomVectors.length === 0) throw new Error(`nothing mined from ${docs.length} documents matching ${sources}`);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
};
// Per heading: the best answer's score (the passage under it that matches best) and the score a
// random passage reaches by chance (99.9th percentile over the random sample).
const bestCos: number[] = [];
const chanceCos: number[] = [];
const randomCos: number[] = [];
const randomMatch: number[] = [];
const bestBm25: number[] = [];
const bestShare: number[] = [];
for (const group of groups) {
  const query = group[0]!.query;
  const [q] = await encoder.embedQueries([query]);
  const vectors = store.getVectors(group.map((g) => g.positive), encoder.modelId);
  bestCos.push(Math.max(...[...vectors.values()].map((v) => dot(q!, v))));
  const cosines = randomVectors.map((v) => dot(q!, v));
  randomCos.push(...cosines);
  chanceCos.push(quantile(cosines, 0.999));
  if (match) {
    // Dense mode's score where the model has a clauseMatch (search/searchEngine.ts matchClauses), with the query as search embeds it.
    const q = await embedQueryText(encoder, query);
    for (const [id, v] of randomStored) randomMatch.push((1 - match.share) * dot(q.vector, v) + match.share * pieceCoverage(q.pieces, randomPieces.get(id) ?? [v]));
  }
  const tokens = segmentForQuery(query);
  const hits = new Map(store.lexicalSearch(tokens, 100_000).map((h) => [h.id, h.score]));
  const best = Math.max(...group.map((g) => hits.get(g.positive) ?? 0));
  bestBm25.push(best);
  const bound = store.lexicalScoreBound(tokens);
  bestShare.push(bound > 0 ? best / bound : 0);
}
store.close();

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const summary = (xs: number[]) => Object.fromEntries([0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999].map((q) => [`p${q * 100}`, r4(quantile(xs, q))]));
process.stderr.write(
  `${groups.length} headings from ${docs.length} documents; ${randomVectors.length} random passages\n` +
    JSON.stringify({ bestAnswerCos: summary(bestCos), chanceCos: summary(chanceCos), randomCos: summary(randomCos), bestAnswerBm25: summary(bestBm25), bestAnswerShare: summary(bestShare) }, null, 1) +
    '\n',
);
// dense: over all query × random passage pairs, the 90th percentile is the floor (a best hit below
// it is noise) and the 99th maps to 0.5 (chosen on dev + auto over p99/p99.9 and per-query p99.9
// floors, which switched dense off for most paraphrase queries). Heading → passage
// answers are too loose to anchor cosines (in a report about everything, a random passage reaches
// them by chance as often: bestAnswerCos vs chanceCos below), so they anchor bm25 only: the median
// best answer's share of the query's bm25 bound (Store.lexicalScoreBound) maps to 0.5.
process.stdout.write(
  JSON.stringify({
    modelId: encoder.modelId,
    dense: { floor: r4(quantile(randomCos, 0.9)), median: r4(quantile(randomCos, 0.99)) },
    // The same percentiles of dense mode's clause-match score: the model's clauseMatch.calibration.
    ...(match ? { clauseMatch: { share: match.share, calibration: { floor: r4(quantile(randomMatch, 0.9)), median: r4(quantile(randomMatch, 0.99)) } } } : {}),
    lexical: { medianShare: r4(quantile(bestShare, 0.5)) },
  }) + '\n',
);
