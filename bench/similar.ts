// `node --import tsx bench/similar.ts --data-dir DIR [--model M] [--rounds N]`: what `similar --text`
// costs per call, in process (no HTTP), by the length of the pasted text and the mode: dense embeds
// the text piece by piece; hybrid adds the lexical search over its most telling words. Texts are cut
// from the sample reports in corpus/, a different stretch each round.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openReader } from '../server/reader.ts';
import { MAX_SIMILAR_TEXT_CHARS, similar, type SearchMode } from '../search/searchEngine.ts';
import { percentile, table } from './stats.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    model: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
if (!values['data-dir']) throw new Error('--data-dir DIR: an indexed data directory (e.g. .tmp/eval/index/bge-small-zh-v1.5)');
const rounds = Number(values.rounds);
const corpusDir = path.join(import.meta.dirname, '..', 'corpus');
const reports = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(path.join(corpusDir, f), 'utf8'))
  .join('')
  .replace(/\s+/g, '');
const LENGTHS = [100, 300, 1000, MAX_SIMILAR_TEXT_CHARS];
if (reports.length < MAX_SIMILAR_TEXT_CHARS + rounds * 700) throw new Error(`${corpusDir}: too little text for ${rounds} rounds`);

const reader = await openReader({ dataDir: values['data-dir'], model: values.model });
const rows: (string | number)[][] = [];
for (const length of LENGTHS) {
  for (const mode of ['dense', 'hybrid'] as SearchMode[]) {
    const times: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      const text = reports.slice(round * 700, round * 700 + length);
      const started = performance.now();
      await similar(reader.current(), { text }, { k: 10, mode });
      if (round > 0) times.push(performance.now() - started); // round 0 warms up
    }
    times.sort((a, b) => a - b);
    rows.push([length, mode, percentile(times, 50).toFixed(0), times.at(-1)!.toFixed(0)]);
  }
}
const counts = reader.current().store.counts();
const modelId = reader.current().encoder.modelId;
reader.close();
console.log(
  [
    `similar --text cost, ${new Date().toISOString()}: ${counts.documents} documents, ${counts.passages} passages (${values['data-dir']}), ${modelId}`,
    `${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; k=10, ${rounds} texts of each length after a warm-up`,
    '',
    table(['text characters', 'mode', 'p50 ms', 'max ms'], rows),
  ].join('\n'),
);
