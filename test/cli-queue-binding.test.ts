// `fazhi ingest --queue --data-dir X` while the queue's writer writes to another data directory:
// the producer refuses (exit 2, naming X) instead of printing "5 added" while X stays empty.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_FILE, Store } from '../search/store.ts';
import { openQueueClient, type QueueClient } from '../workers/batch.ts';
import { bindQueueToStore } from '../workers/writerLock.ts';
import { fazhi } from './helpers/cli.ts';
import { redisServerAvailable, startRedisServer, type RedisServer } from './helpers/redis.ts';

describe.skipIf(!redisServerAvailable())('ingest --queue and the writer\'s data directory', () => {
  let redis: RedisServer;
  let client: QueueClient;
  let work: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = openQueueClient(redis.url);
    work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-binding-'));
  });

  afterAll(async () => {
    await client?.close();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a batch for a data directory other than the one the writer is bound to', async () => {
    const writerDir = path.join(work, 'writer-data');
    const store = Store.open(writerDir);
    try {
      // What a writer started with `fazhi worker --data-dir writer-data` does first.
      await bindQueueToStore(client.redis, store, writerDir);
    } finally {
      store.close();
    }
    const other = path.join(work, 'other-data');
    const r = fazhi(['ingest', '--queue', 'corpus', '--data-dir', other], { REDIS_URL: redis.url });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--data-dir: ${other} is not the data directory this queue's writer writes to`);
    expect(r.stderr).not.toMatch(/added/);
    // The producer only reads a store: the refused directory holds none afterwards.
    expect(existsSync(path.join(other, STORE_FILE))).toBe(false);
    const waiting = await client.queues.parse.getJobCounts('waiting', 'active', 'delayed');
    expect(Object.values(waiting).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
