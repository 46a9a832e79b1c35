// Adding to a store that already holds a corpus (issue 10 item 1): how soon one new report is
// searchable — after `fazhi ingest` starts (embedded, process startup included) and after the
// queue writer takes its job — and the writer's event-loop delay during a batch. "Searchable"
// means a warm reader (as a server holds one) finds the report's passage by dense search: the
// reader replays the store's change log, so nothing has to rebuild or save the HNSW file first.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueEvents } from 'bullmq';
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { runBatch } from '../workers/batch.ts';
import { bullConnection } from '../workers/connection.ts';
import { WRITE_QUEUE } from '../workers/queues.ts';
import { startRedisServer } from '../test/helpers/redis.ts';
import { spawnWorker } from '../test/helpers/workerProcess.ts';
import { REPO_ROOT } from '../cli/config.ts';
import { canonicalSource, resolveRoot } from '../cli/identity.ts';

const SEEDS = path.join(REPO_ROOT, 'corpus');
const BIN = path.join(REPO_ROOT, 'bin/fazhi.js');
const FOUND_TIMEOUT_MS = 10 * 60_000;
const MARKER = '基准测试副本';
/** Reports in the batch whose writer event-loop delay is measured: 5 seeds × this. */
const LAG_BATCH_COPIES = 8;

/** A seed report made unique (its own bytes and title line), so it is a new document. */
function newReport(dir: string, seed: string, tag: string): string {
  const file = path.join(dir, `${tag}_${seed}`);
  writeFileSync(file, `${readFileSync(path.join(SEEDS, seed), 'utf8')}\n\n${MARKER}：${tag}，用于测量新报告多快可检索。\n`);
  return file;
}

/** A reader kept warm across the measurement, as `fazhi serve` keeps one. */
class WarmReader {
  private readonly store: Store;
  private readonly index: VectorIndex;

  constructor(
    readonly dataDir: string,
    private readonly modelId: string,
  ) {
    this.store = Store.openReadOnly(dataDir);
    this.index = new VectorIndex(dataDir);
    this.index.ensureFresh(this.store, modelId);
  }

  /**
   * Whether a dense search for the passage of `source` holding its unique copy marker finds it
   * (other passages of a seed copy have identical twins in the store).
   */
  finds(source: string): boolean {
    const doc = this.store.getDocumentBySource(source);
    if (!doc) return false;
    const passages = this.store.getPassages(this.store.passageIdsOf(doc.id));
    const id = (passages.find((p) => p.text.includes(MARKER)) ?? passages.at(-1))?.id;
    if (id === undefined) return false;
    const vector = this.store.getVectors([id!], this.modelId).get(id!);
    if (!vector) return false;
    this.index.ensureFresh(this.store, this.modelId);
    return this.index.search(vector, 10).some((hit) => hit.id === id);
  }

  /** Polls until the report is found; ms since `since`. */
  async waitFor(source: string, since: number): Promise<number> {
    const deadline = Date.now() + FOUND_TIMEOUT_MS;
    while (!this.finds(source)) {
      if (Date.now() > deadline) throw new Error(`${source} not searchable within ${FOUND_TIMEOUT_MS / 60_000} min`);
      await sleep(50);
    }
    return performance.now() - since;
  }

  close(): void {
    this.store.close();
  }
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; ms: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, ms: performance.now() - start }));
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Rows for the bench table, measured on the store in `dataDir` (left holding the added reports). */
export async function incrementalMeasures(dataDir: string, modelDir: string, modelId: string): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-bench-incr-'));
  const seeds = readdirSync(SEEDS).filter((f) => f.endsWith('.txt')).sort();
  const tag = `b${Date.now()}`;
  const before = Store.openReadOnly(dataDir);
  const passages = before.counts().passages;
  before.close();
  const reader = new WarmReader(dataDir, modelId);
  try {
    // Embedded: the clock starts as the `fazhi ingest` process is spawned.
    const file = newReport(work, seeds[0]!, `${tag}e`);
    const start = performance.now();
    const ingest = run(['ingest', file, '--data-dir', dataDir, '--model', modelDir]);
    // Stored under its canonical path: relative to the root `fazhi ingest` defaults to.
    const found = await reader.waitFor(canonicalSource(file, resolveRoot(undefined, dataDir)), start);
    const done = await ingest;
    if (done.code !== 0) throw new Error(`fazhi ingest exited ${done.code}: ${done.stderr}`);
    rows.push([`one new report searchable after \`fazhi ingest\` starts (store of ${passages} passages; startup included)`, s(found)]);
    rows.push(['  `fazhi ingest` process, start → exit', s(done.ms)]);
    const cold = await run(['search', '法治政府建设', '--data-dir', dataDir, '--model', modelDir, '--k', '5']);
    rows.push(['  a cold `fazhi search` process on that store, start → exit', s(cold.ms)]);

    rows.push(...(await queueMeasures(dataDir, modelDir, reader, work, seeds, tag)));
  } finally {
    reader.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

async function queueMeasures(dataDir: string, modelDir: string, reader: WarmReader, work: string, seeds: string[], tag: string): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const redis = await startRedisServer();
  const startedAt = performance.now();
  // The writer in a process of its own, as a large deployment runs it: parsing (jieba) and
  // embedding in the same process would put their work on the writer's event loop.
  const worker = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'write', '--data-dir', dataDir, '--model', modelDir], redis.url);
  const producer = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'parse,embed', '--data-dir', dataDir, '--model', modelDir], redis.url);
  const events = new QueueEvents(WRITE_QUEUE, { connection: bullConnection(redis.url) });
  try {
    await Promise.all([worker.ready, producer.ready, events.waitUntilReady()]);
    rows.push([`queue writer process start → ready`, s(performance.now() - startedAt)]);
    const taken = new Map<string, number>();
    events.on('active', ({ jobId }) => taken.set(jobId, performance.now()));

    // One report: the clock starts when the writer takes its write job.
    const file = newReport(work, seeds[1]!, `${tag}q`);
    const enqueued = performance.now();
    const batch = runBatch({ redisUrl: redis.url, dataDir, modelDir, files: [path.normalize(file)], onNotice: () => undefined });
    while (taken.size === 0) await sleep(5);
    const [takenAt] = [...taken.values()];
    const found = await reader.waitFor(path.normalize(file), takenAt!);
    await batch;
    rows.push(['one new report searchable after the queue writer takes its job', s(found)]);
    rows.push(['  … after it was enqueued (parse + embed + write)', s(takenAt! - enqueued + found)]);

    // A batch: the writer reports its event-loop delay once the burst is over.
    const files = seeds.flatMap((seed) => Array.from({ length: LAG_BATCH_COPIES }, (_, i) => path.normalize(newReport(work, seed, `${tag}l${i}`))));
    // The single report's burst is logged once the writer has been quiet: start after it.
    await writerLag(worker.stderr, 0, 1);
    const from = worker.stderr().length;
    const summary = await runBatch({ redisUrl: redis.url, dataDir, modelDir, files, onNotice: () => undefined });
    const lag = await writerLag(worker.stderr, from, files.length);
    rows.push([
      `writer event-loop delay during a batch of ${files.length} reports (${summary.passages} passages) p50 / p99 / max${lag.bursts > 1 ? ` (largest of ${lag.bursts} bursts)` : ''}`,
      `${lag.p50} ms / ${lag.p99} ms / ${lag.max} ms`,
    ]);
  } finally {
    await events.close();
    for (const w of [worker, producer]) w.child.kill('SIGTERM');
    await Promise.all([worker.exited, producer.exited]);
    await redis.stop();
  }
  return rows;
}

/**
 * The writer logs its delay after each burst of writes (a quiet period ends one): on a loaded
 * machine a batch reaches it as several bursts. Waits for the lines, logged after `from` in its
 * stderr, that cover `commits` commits, and reports the largest p50, p99 and max among them: the
 * batch's own p99 can be no larger than the largest p99 of the bursts it is made of.
 */
async function writerLag(stderr: () => string, from: number, commits: number): Promise<{ p50: string; p99: string; max: string; bursts: number }> {
  const pattern = /writer: (\d+) commit\(s\); event-loop delay p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms/g;
  const deadline = Date.now() + FOUND_TIMEOUT_MS;
  for (;;) {
    const bursts = [...stderr().slice(from).matchAll(pattern)];
    if (bursts.reduce((sum, m) => sum + Number(m[1]), 0) >= commits) {
      const largest = (group: number) => Math.max(...bursts.map((m) => Number(m[group]))).toFixed(1);
      return { p50: largest(2), p99: largest(3), max: largest(4), bursts: bursts.length };
    }
    if (Date.now() > deadline) throw new Error(`the writer did not report its event-loop delay:\n${stderr()}`);
    await sleep(200);
  }
}
