// Reliability: Redis itself goes down in the middle of a batch (killed, as in a crash or an OOM
// kill) and comes back on the same port. Redis runs as production must run it (append-only file,
// fsync on every write; see workers/README.md), so the queued jobs and batch records survive;
// the worker processes and the producer reconnect on their own, and the batch completes with
// exactly the expected passages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelId } from '../models/encoder.ts';
import { processBatch } from '../workers/batch.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { isRunning, spawnWorker } from './helpers/workerProcess.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const COPIES = 6; // 5 seeds × 6 = 30 documents
const RESTART_AFTER = 5; // committed files before Redis goes down
/**
 * Shorter than the writer lock ttl below, so this is the pure reconnect case: every process
 * rides through. A writer whose lock expires during an outage must stop instead (fenced); that
 * case is test/queue-redis-outage.test.ts.
 */
const DOWN_MS = 2500;
const WRITER_LOCK_MS = 10_000;

describe.skipIf(!redisServerAvailable())('queue mode across a Redis restart', () => {
  let fx: QueueFixture;

  beforeAll(async () => {
    fx = await startQueueFixture('restart', { persist: true });
  });

  afterAll(() => fx?.close());

  it('workers and producer reconnect, and the batch completes with every passage stored once', async () => {
    const { redis, client, workers, work, dataDir } = fx;
    const sources = copySeeds(work, COPIES);
    const common = ['bin/fazhi.js', 'worker', '--model', MODEL_DIR, '--job-lock-ms', '4000'];
    // A writer (all roles) and an extra parse/embed process, as a scaled-out deployment runs.
    workers.push(spawnWorker([...common, '--data-dir', dataDir, '--roles', 'parse,embed,write', '--writer-lock-ms', String(WRITER_LOCK_MS)], redis.url));
    workers.push(spawnWorker([...common, '--roles', 'parse,embed'], redis.url));
    await Promise.all(workers.map((w) => w.ready));

    const batchId = 'restart-test';
    // A small window, so that the producer is still enqueueing when Redis goes down.
    const batch = processBatch(
      client,
      sources.map((source) => ({ source, bytes: readFileSync(source) })),
      { batchId, modelId: await readModelId(MODEL_DIR), maxPending: 8 },
    );
    batch.catch(() => undefined);

    let before = await client.state.progress(batchId).catch(() => ({ done: 0 }));
    while (before.done < RESTART_AFTER) {
      await sleep(50);
      before = await client.state.progress(batchId).catch(() => ({ done: 0 }));
    }
    await redis.restart({ signal: 'SIGKILL', downMs: DOWN_MS });
    const atRestart = await client.state.progress(batchId);
    expect(atRestart.done, 'Redis must go down mid-batch').toBeLessThan(sources.length);
    expect(atRestart.done, 'what Redis acknowledged before the kill survives it').toBeGreaterThanOrEqual(RESTART_AFTER);
    expect(atRestart.sealed, 'the producer must still be enqueueing').toBe(false);

    const result = await batch;
    expect(result.failed).toEqual([]);
    // A file committed just before the outage but settled only after it is found current.
    expect(result.added + result.unchanged).toBe(sources.length);
    expect(result.replaced).toBe(0);
    expectStoreHoldsExactly(dataDir, sources);

    for (const w of workers) {
      expect(isRunning(w), `a worker died across the restart:\n${w.stderr()}`).toBe(true);
      // They did notice the outage: this was a reconnect, not a lucky gap between commands.
      expect(w.stderr()).toMatch(/ECONNREFUSED|Connection is closed|ECONNRESET/);
    }
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect(await w.exited, w.stderr()).toBe(0);
    expect(await client.redis.get('fazhi:writer-lock')).toBeNull();
  });
});
