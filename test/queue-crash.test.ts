// Crash recovery: a worker process (all roles, the writer included) is killed with SIGKILL in the
// middle of a batch, started again, and the batch completes with exactly the expected passages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder } from '../models/encoder.ts';
import { enqueueBatch, waitForBatch } from '../workers/batch.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { spawnWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const COPIES = 6; // 5 seeds × 6 = 30 documents: enough that the kill lands mid-batch
const KILL_AFTER = 6; // committed files before the kill

function spawnTestWorker(dataDir: string, redisUrl: string): WorkerProcess {
  const args = ['bin/fazhi.js', 'worker', '--data-dir', dataDir, '--model', MODEL_DIR, '--roles', 'parse,embed,write'];
  // Short locks so that the restarted process reclaims the dead one's jobs and writer lock quickly.
  args.push('--job-lock-ms', '4000', '--writer-lock-ms', '2000');
  return spawnWorker(args, redisUrl);
}

describe.skipIf(!redisServerAvailable())('queue mode crash recovery', () => {
  let fx: QueueFixture;

  beforeAll(async () => {
    fx = await startQueueFixture('crash');
  });

  afterAll(() => fx?.close());

  it('completes the batch after kill -9 with every passage stored once and nothing orphaned', async () => {
    const { redis, client, workers, work, dataDir } = fx;
    const sources = copySeeds(work, COPIES);
    const first = spawnTestWorker(dataDir, redis.url);
    workers.push(first);
    await first.ready;

    const batchId = 'crash-test';
    const files = sources.map((source) => ({ source, bytes: readFileSync(source) }));
    await enqueueBatch(client, files, { modelId: await modelIdOf(MODEL_DIR), batchId, maxPending: files.length });

    let before = await client.state.progress(batchId);
    while (before.done < KILL_AFTER) {
      await sleep(50);
      before = await client.state.progress(batchId);
    }
    const counts = await Promise.all([client.queues.parse, client.queues.embed, client.queues.write].map((q) => q.getJobCounts('active')));
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await client.state.progress(batchId);
    expect(atKill.done, 'the kill must land mid-batch').toBeLessThan(sources.length);
    // Jobs the dead process held are reclaimed only once their locks expire: that is under test.
    expect(counts.reduce((n, c) => n + c.active!, 0), 'jobs in progress at the kill').toBeGreaterThan(0);

    const second = spawnTestWorker(dataDir, redis.url);
    workers.push(second);
    await second.ready;
    const result = await waitForBatch(client, batchId);
    expect(result.failed).toEqual([]);
    // A file committed just before the kill but not yet settled is found current on its rerun.
    expect(result.added + result.unchanged).toBe(sources.length);
    expect(result.replaced).toBe(0);

    expectStoreHoldsExactly(dataDir, sources);

    second.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);
    expect(await client.redis.get('fazhi:writer-lock')).toBeNull();
  });
});

async function modelIdOf(modelDir: string): Promise<string> {
  return (await loadEncoder(modelDir)).modelId;
}
