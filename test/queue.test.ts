// Queue mode against a real redis-server, the real pipeline, model and SQLite store: workers run
// in this process (the crash test in queue-crash.test.ts runs them in a child it kills).
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import { hashBytes } from '../pipeline/contentHash.ts';
import { indexFiles, type IngestSummary } from '../search/ingest.ts';
import { Store } from '../search/store.ts';
import { processBatch, queueStatus, runBatch, type BatchInput } from '../workers/batch.ts';
import { fileIdOf, ROLES } from '../workers/queues.ts';
import { startWorkers, type WorkerHandle } from '../workers/startWorkers.ts';
import { CORPUS_FILES } from './helpers/cli.ts';
import { QUEUE_MODEL_DIR as MODEL_DIR, useQueueInProcess } from './helpers/queueInProcess.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { integrityCounts, snapshotStore } from './helpers/storeSnapshot.ts';

const CORPUS = CORPUS_FILES;
const read = (sources: string[]): BatchInput[] => sources.map((source) => ({ source, bytes: readFileSync(source) }));

describe.skipIf(!redisServerAvailable())('queue mode', () => {
  const bed = useQueueInProcess('queue');
  const { tempDir } = bed;

  async function withWorkers<T>(dataDir: string, fn: (h: WorkerHandle) => Promise<T>): Promise<T> {
    const handle = bed.start(ROLES, dataDir);
    try {
      await handle.ready;
      return await fn(handle);
    } finally {
      await handle.close();
    }
  }

  it('stores the same documents and passages as the embedded path; repeats add nothing', async () => {
    const embedded = tempDir('embedded');
    const store = Store.open(embedded);
    let embeddedSummary: IngestSummary | undefined;
    try {
      embeddedSummary = await indexFiles({ store, encoder: bed.encoder }, CORPUS);
    } finally {
      store.close();
    }
    const queued = tempDir('queued');
    await withWorkers(queued, async () => {
      const seen: { done: number; total: number }[] = [];
      const first = await processBatch(bed.client, read(CORPUS), { modelId: bed.encoder.modelId, onProgress: (p) => seen.push(p) });
      expect(first.failed).toEqual([]);
      expect(first.added).toBe(5);
      // One summary type in both modes, counted by the same code (search/ingest.ts countDone).
      const tally = ({ added, replaced, unchanged, aliased, passages, failed }: IngestSummary) => ({ added, replaced, unchanged, aliased, passages, failed });
      expect(tally(first)).toEqual(tally(embeddedSummary!));
      expect(seen.at(-1)).toMatchObject({ done: 5, failed: 0, total: 5, sealed: true });

      const got = snapshotStore(queued);
      expect(got).toEqual(snapshotStore(embedded));
      const counts = integrityCounts(queued);
      expect(first.passages).toBe(counts.passages);
      expect(counts).toMatchObject({ documents: 5, vectors: counts.passages, fts: counts.passages, orphanPassages: 0, orphanVectors: 0, duplicateOrdinals: 0 });

      // Same batch again at once: settled from the outcome the writer just recorded.
      const again = await processBatch(bed.client, read(CORPUS), { modelId: bed.encoder.modelId });
      expect(again).toMatchObject({ added: 0, replaced: 0, unchanged: 5, failed: [] });

      // A duplicate that arrives after that outcome is forgotten goes through every stage; the
      // writer finds the version current and writes nothing.
      const outcomes = await bed.client.redis.keys('fazhi:file:*:outcome');
      expect(outcomes).toHaveLength(5);
      await bed.client.redis.del(...outcomes);
      const late = await processBatch(bed.client, read(CORPUS), { modelId: bed.encoder.modelId });
      expect(late).toMatchObject({ added: 0, replaced: 0, unchanged: 5, failed: [] });
      expect(late.timings.embed).toBeGreaterThan(0);
      expect(snapshotStore(queued)).toEqual(got);
      expect(integrityCounts(queued)).toEqual(counts);
    });
  });

  it('queues a file whose subscribe ran in Redis but whose reply was lost (the resend sees it as already in the batch)', async () => {
    const dataDir = tempDir('lost-reply');
    const batchId = 'lost-reply-batch';
    // Leave Redis exactly as a subscribe whose reply never reached the producer leaves it.
    const source = CORPUS[0]!;
    const contentHash = hashBytes(readFileSync(source));
    const ref = { fileId: fileIdOf(source, contentHash, bed.encoder.modelId), source, contentHash, modelId: bed.encoder.modelId };
    expect((await bed.client.state.subscribe(batchId, ref)).status).toBe('pending');
    await withWorkers(dataDir, async () => {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(() => resolve('stalled'), 60_000);
      });
      const result = await Promise.race([processBatch(bed.client, read(CORPUS), { modelId: bed.encoder.modelId, batchId }), stalled]).finally(() => clearTimeout(timer));
      expect(result, 'the batch never finished: the file was not queued').not.toBe('stalled');
      expect(result).toMatchObject({ added: 5, failed: [] });
      expect(snapshotStore(dataDir).map((d) => d.source).sort()).toEqual([...CORPUS].sort());
    });
  });

  it('replaces a changed file and skips unchanged ones before they reach Redis (runBatch, as the CLI calls it)', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const a = path.join(work, 'a.txt');
    const b = path.join(work, 'b.txt');
    copyFileSync(CORPUS[0]!, a);
    copyFileSync(CORPUS[4]!, b);
    await withWorkers(dataDir, async () => {
      const first = await runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, files: [a, b] });
      expect(first).toMatchObject({ added: 2, replaced: 0, unchanged: 0, failed: [] });

      copyFileSync(CORPUS[2]!, a);
      const progress: number[] = [];
      const second = await runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, files: [a, b], onProgress: (p) => progress.push(p.done) });
      expect(second).toMatchObject({ added: 0, replaced: 1, unchanged: 1, failed: [] });
      expect(progress.at(-1)).toBe(2);

      const docs = snapshotStore(dataDir);
      const newA = readFileSync(a);
      const expected = parseReport(a, newA);
      const docA = docs.find((d) => d.source === a)!;
      expect(docA.contentHash).toBe(hashBytes(newA));
      expect(docA.passages.map((p) => p.hash)).toEqual(expected.passages.map((p) => p.hash));
      const counts = integrityCounts(dataDir);
      expect(counts.documents).toBe(2);
      expect(counts.passages).toBe(docs.reduce((n, d) => n + d.passages.length, 0));
      expect(counts).toMatchObject({ vectors: counts.passages, fts: counts.passages, orphanPassages: 0, orphanVectors: 0, duplicateOrdinals: 0 });
    });
  });

  it('reports each bad file with its reason while the rest complete, and lists worker failures for status', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const good = path.join(work, 'good.txt');
    const binary = path.join(work, 'binary.txt');
    const empty = path.join(work, 'empty.txt');
    copyFileSync(CORPUS[1]!, good);
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    writeFileSync(empty, '');
    const missing = path.join(work, 'missing.txt');
    await withWorkers(dataDir, async () => {
      const result = await runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, files: [good, binary, empty, missing] });
      expect(result.added).toBe(1);
      const reasons = Object.fromEntries(result.failed.map((f) => [f.source, f.reason]));
      expect(Object.keys(reasons).sort()).toEqual([binary, empty, missing].sort());
      expect(reasons[binary]).toMatch(/binary/);
      expect(reasons[empty]).toMatch(/empty/);
      expect(reasons[missing]).toBe('no such file or directory');

      const status = await queueStatus(bed.redis.url);
      if ('error' in status) throw new Error(status.error);
      // An empty file is refused before it reaches Redis; the binary one fails in a parse worker.
      expect(result.failed.find((f) => f.source === empty)).toBeDefined();
      expect(status.failures.map((f) => [f.source, f.stage])).toEqual([[binary, 'parse']]);
      expect(status.failures.find((f) => f.source === binary)!.reason).toBe(reasons[binary]);
      expect(status.workers).toEqual({ 'fazhi-parse': 1, 'fazhi-embed': 1, 'fazhi-write': 1 });
      expect(snapshotStore(dataDir).map((d) => d.source)).toEqual([good]);
    });
  });

  it('runs one writer at a time, for one data directory: a second waits and takes over when the first stops', async () => {
    const dataDir = tempDir('data');
    const opts = { redisUrl: bed.redis.url, roles: ['write'] as const, dataDir, writerLockTtlMs: 600, log: () => undefined };
    const first = startWorkers(opts);
    await first.ready;
    const holder = await bed.client.redis.get('fazhi:writer-lock');
    const second = startWorkers(opts);
    let secondReady = false;
    second.ready.then(() => (secondReady = true));
    try {
      await sleep(1500);
      expect(secondReady).toBe(false);
      expect(await bed.client.redis.get('fazhi:writer-lock')).toBe(holder);
      await first.close();
      await second.ready;
      const next = await bed.client.redis.get('fazhi:writer-lock');
      expect(next).not.toBe(holder);
      expect(next).toMatch(new RegExp(`:${process.pid}:`));
      // A writer with another data directory would split the corpus: refused, not queued.
      await second.close();
      const elsewhere = startWorkers({ ...opts, dataDir: tempDir('elsewhere') });
      await expect(elsewhere.ready).rejects.toThrow(/another data directory/);
      await elsewhere.close();
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('stops a writer at once when another process has taken its lock', async () => {
    const fatal: Error[] = [];
    const writer = startWorkers({ redisUrl: bed.redis.url, roles: ['write'], dataDir: tempDir('data'), writerLockTtlMs: 600, log: () => undefined, onFatal: (err) => fatal.push(err) });
    try {
      await writer.ready;
      await bed.client.redis.set('fazhi:writer-lock', 'intruder');
      for (let i = 0; i < 40 && fatal.length === 0; i++) await sleep(50);
      expect(fatal.map((e) => e.message)).toEqual(['writer: another process holds the writer lock now (intruder)']);
    } finally {
      await writer.close();
    }
    expect(await bed.client.redis.get('fazhi:writer-lock')).toBe('intruder');
  });

  it('says the writer lock is gone, not taken, when its key vanished (Redis restarted without its data)', async () => {
    const fatal: Error[] = [];
    await bed.client.redis.del('fazhi:writer-lock');
    const writer = startWorkers({ redisUrl: bed.redis.url, roles: ['write'], dataDir: tempDir('data'), writerLockTtlMs: 600, log: () => undefined, onFatal: (err) => fatal.push(err) });
    try {
      await writer.ready;
      await bed.client.redis.del('fazhi:writer-lock');
      for (let i = 0; i < 40 && fatal.length === 0; i++) await sleep(50);
      expect(fatal.map((e) => e.message)).toEqual(['writer: the writer lock is gone from Redis (restarted without its data, or the key deleted)']);
    } finally {
      await writer.close();
    }
  });
});
