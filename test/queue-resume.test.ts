// Resumability: `fazhi ingest --queue` of a directory is killed while it is still enqueueing;
// run again, it processes only what is left — the files already committed show as unchanged —
// and the store ends with every document once.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PENDING } from '../workers/batch.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { fazhi, ROOT } from './helpers/cli.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { spawnWorker } from './helpers/workerProcess.ts';

const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
/** More files than the producer keeps in Redis at once, so a kill leaves some never enqueued. */
const COPIES = 16; // 5 seeds × 16 = 80 files
const KILL_AFTER = 3; // committed files before the kill

describe.skipIf(!redisServerAvailable())('fazhi ingest --queue interrupted and rerun', () => {
  let fx: QueueFixture;

  beforeAll(async () => {
    fx = await startQueueFixture('resume');
  });

  afterAll(() => fx?.close());

  it('the rerun does only what is left and reports the rest as unchanged', async () => {
    const { redis, client, work, dataDir } = fx;
    const sources = copySeeds(work, COPIES);
    expect(sources.length).toBeGreaterThan(DEFAULT_MAX_PENDING + KILL_AFTER);
    const worker = spawnWorker(['bin/fazhi.js', 'worker', '--data-dir', dataDir, '--model', MODEL_DIR], redis.url);
    fx.workers.push(worker);
    await worker.ready;

    // The CLI names the workers' model: its default (bge-small-zh-v1.5) is not what they embed with.
    const first = spawn(process.execPath, [path.join(ROOT, 'bin/fazhi.js'), 'ingest', work, '--queue', '--model', MODEL_DIR, '--data-dir', dataDir], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: 'ignore',
    });
    const firstExit = new Promise((resolve) => first.once('exit', resolve));
    let batchId: string | undefined;
    let atKill = { done: 0, sealed: false };
    while (atKill.done < KILL_AFTER) {
      await sleep(100);
      batchId ??= (await client.state.recentBatches(1))[0];
      if (batchId) atKill = await client.state.progress(batchId);
    }
    first.kill('SIGKILL');
    await firstExit;
    expect(atKill.sealed, 'the kill must land while files were still to be enqueued').toBe(false);

    const second = fazhi(['ingest', work, '--queue', '--model', MODEL_DIR, '--data-dir', dataDir], { REDIS_URL: redis.url });
    expect(second.code, second.stderr).toBe(0);
    const m = /ingested: (\d+) added, (\d+) replaced, (\d+) unchanged, \d+ passages, (\d+) failed/.exec(second.stderr);
    expect(m, second.stderr).not.toBeNull();
    const [added, replaced, unchanged, failed] = m!.slice(1).map(Number);
    expect({ replaced, failed }).toEqual({ replaced: 0, failed: 0 });
    expect(added! + unchanged!).toBe(sources.length);
    // Everything committed before the kill is skipped by the rerun, not processed again.
    expect(unchanged).toBeGreaterThanOrEqual(atKill.done);
    expect(added, 'files the killed run never enqueued').toBeGreaterThan(0);
    expectStoreHoldsExactly(dataDir, sources);
  });
});
