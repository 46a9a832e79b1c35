// `npm run bench [-- --corpus DIR] [--queue]`: ingest throughput per stage, encoder speed,
// search latency per mode (model warm), HNSW recall@10 against exact search, sizes, peak RSS.
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listReportFiles, indexFiles } from '../search/indexer.ts';
import { Store } from '../search/store.ts';
import { VectorIndex, INDEX_FILE } from '../search/vectorIndex.ts';
import { search } from '../search/searchEngine.ts';
import { updateBoilerplate } from '../search/boilerplate.ts';
import { loadEncoder } from '../models/encoder.ts';
import { segmentForIndex } from '../pipeline/segment.ts';
import { percentile, table, mib } from './stats.ts';
import { REPO_ROOT, DEFAULT_MODEL, MODELS_DIR } from '../cli/config.ts';

const QUERIES = [
  '双随机、一公开', '述法', '三调联动', '枫桥经验', '合法性审查', '行政复议', '法律顾问', '公职律师',
  '行政处罚裁量基准', '证明事项告知承诺制', '领导干部带头讲法治', '同案不同罚', '矛盾纠纷多元化解',
  '规范性文件备案审查', '重大行政决策程序', '营商环境', '执法人员培训', '政务公开', '普法宣传进社区',
  '行政执法监督', '乡镇综合行政执法改革', '法治政府示范创建', '行政应诉负责人出庭', '信用监管',
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: path.join(REPO_ROOT, 'corpus') },
      model: { type: 'string', default: path.join(MODELS_DIR, DEFAULT_MODEL) },
      'data-dir': { type: 'string' },
      repeat: { type: 'string', default: '5' },
    },
  });
  const dataDir = values['data-dir'] ?? mkdtempSync(path.join(os.tmpdir(), 'fazhi-bench-'));
  const keep = values['data-dir'] !== undefined;
  const rows: (string | number)[][] = [];
  try {
    const encoder = await loadEncoder(values.model!);
    const store = Store.open(dataDir);
    const index = new VectorIndex(dataDir);

    const { files, failed } = await listReportFiles([values.corpus!]);
    let start = performance.now();
    const summary = await indexFiles({ store, encoder }, files);
    const ingestMs = performance.now() - start;
    start = performance.now();
    updateBoilerplate(store);
    const boilerplateMs = performance.now() - start;
    start = performance.now();
    index.ensureFresh(store, encoder.modelId);
    const indexMs = performance.now() - start;
    const counts = store.counts();
    const t = summary.timings;
    rows.push(['corpus', values.corpus!]);
    rows.push(['documents (ingested / failed)', `${counts.documents} / ${summary.failed.length + failed.length}`]);
    rows.push(['passages', counts.passages]);
    rows.push(['ingest wall time', `${(ingestMs / 1000).toFixed(1)} s`]);
    rows.push(['  read / parse+segment / embed / write', [t.read, t.parse, t.embed, t.write].map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' / ')]);
    rows.push(['  boilerplate scoring / HNSW build', `${(boilerplateMs / 1000).toFixed(1)} s / ${(indexMs / 1000).toFixed(1)} s`]);
    rows.push(['passages/s ingested (embedded mode, end to end)', (counts.passages / (ingestMs + boilerplateMs + indexMs)) * 1000]);
    rows.push(['passages/s embedded (encoder only)', (summary.passages / t.embed) * 1000]);

    const ctx = { store, index, encoder, segment: segmentForIndex };
    const repeat = Number(values.repeat);
    for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
      for (const q of QUERIES) await search(ctx, q, { k: 10, mode, by: 'passage', filter: {} }); // warm
      const times: number[] = [];
      for (let r = 0; r < repeat; r++) {
        for (const q of QUERIES) {
          const s = performance.now();
          await search(ctx, q, { k: 10, mode, by: 'passage', filter: {} });
          times.push(performance.now() - s);
        }
      }
      times.sort((a, b) => a - b);
      rows.push([`search ${mode} p50 / p95 (k=10, ${times.length} queries)`, `${percentile(times, 50).toFixed(1)} ms / ${percentile(times, 95).toFixed(1)} ms`]);
    }

    const queryVectors = await encoder.embed(QUERIES);
    const sampleIds = [...store.iterateVectors(encoder.modelId)].filter((_, i) => i % Math.max(1, Math.floor(counts.passages / 200)) === 0).slice(0, 200);
    const probes = [...queryVectors, ...sampleIds.map((v) => v.vector)];
    let hit = 0;
    let total = 0;
    for (const v of probes) {
      const exact = new Set(index.exactSearch(v, 10).map((n) => n.id));
      const approx = index.search(v, 10).map((n) => n.id);
      hit += approx.filter((id) => exact.has(id)).length;
      total += exact.size;
    }
    rows.push([`HNSW recall@10 vs exact (${probes.length} probes)`, hit / total]);
    rows.push(['store size on disk', mib(storeBytes(dataDir))]);
    rows.push(['index size on disk', mib(existsSync(path.join(dataDir, INDEX_FILE)) ? statSync(path.join(dataDir, INDEX_FILE)).size : 0)]);
    rows.push(['peak RSS', mib(process.resourceUsage().maxRSS * 1024)]);
    rows.push(['model', encoder.modelId]);
    store.close();
    console.log(table(['measure', 'value'], rows));
  } finally {
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

function storeBytes(dir: string): number {
  return ['fazhi.sqlite', 'fazhi.sqlite-wal']
    .map((name) => path.join(dir, name))
    .filter((p) => existsSync(p))
    .reduce((sum, p) => sum + statSync(p).size, 0);
}

await main();
