// `fazhi ingest --queue` when Redis goes away mid-batch and never comes back: the producer gives
// up after --redis-down-ms with one line naming the Redis URL and exits 2, instead of waiting
// forever; and when the user interrupts it. Real redis-server and CLI process. The interruption
// runs first: the Redis test stops the server for good.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../workers/connection.ts';
import { fazhiAsync, ROOT } from './helpers/cli.ts';
import { redisServerAvailable, startRedisServer, type RedisServer } from './helpers/redis.ts';

/** Resolves once a producer has queued its batch in the Redis at `url`. */
async function batchQueued(url: string): Promise<void> {
  const watcher = connectRedis(url);
  try {
    const deadline = Date.now() + 60_000;
    while ((await watcher.keys('fazhi:batch:*:sources')).length === 0) {
      if (Date.now() > deadline) throw new Error('the producer never enqueued its batch');
      await sleep(100);
    }
  } finally {
    watcher.disconnect();
  }
}

describe.skipIf(!redisServerAvailable())('the queue producer and a Redis that never returns', () => {
  let redis: RedisServer;
  let work: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-producer-'));
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('Ctrl-C stops the producer saying that the workers go on with what it queued', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/fazhi.js'), 'ingest', '--queue', path.join(ROOT, 'corpus'), '--data-dir', path.join(work, 'interrupted')], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // No workers: the producer waits on its batch once it has queued it.
    await batchQueued(redis.url);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted: the files queued so far are still ingested by the workers \(`fazhi status` shows the batch\)/);
    // The next test watches for a batch of its own.
    const cleaner = connectRedis(redis.url);
    await cleaner.flushall();
    cleaner.disconnect();
  });

  it('exits 2 naming the Redis URL once Redis has not answered for --redis-down-ms', { timeout: 120_000 }, async () => {
    const downMs = 3000;
    // No workers: the batch waits, as it would for workers that died with Redis.
    const run = fazhiAsync(['ingest', '--queue', path.join(ROOT, 'corpus'), '--data-dir', path.join(work, 'data'), '--redis-down-ms', String(downMs)], { REDIS_URL: redis.url });
    await batchQueued(redis.url);
    await redis.stop();
    const stoppedAt = Date.now();
    const r = await run;
    const waited = Date.now() - stoppedAt;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`fazhi: REDIS_URL: Redis at ${redis.url} has not answered for \\d+ s; the batch is unfinished`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The bound, plus a probe interval, a ping timeout and closing (2 s at most each).
    expect(waited).toBeGreaterThanOrEqual(downMs - 1000);
    expect(waited).toBeLessThan(downMs + 10_000);
  });

  it('rejects a --redis-down-ms that is not a whole number of milliseconds (exit 2, naming the flag)', async () => {
    const r = await fazhiAsync(['ingest', '--queue', path.join(ROOT, 'corpus'), '--data-dir', path.join(work, 'data2'), '--redis-down-ms', 'soon'], { REDIS_URL: redis.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--redis-down-ms: expected a whole number/);
  });
});
