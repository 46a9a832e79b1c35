// What every queue test with real worker processes sets up: its own redis-server, a queue
// client, a folder for input files and a data dir; close() kills leftover workers, stops Redis
// and removes the folders.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openQueueClient, type QueueClient } from '../../workers/batch.ts';
import { startRedisServer, type RedisServer } from './redis.ts';
import { isRunning, type WorkerProcess } from './workerProcess.ts';

export interface QueueFixture {
  redis: RedisServer;
  client: QueueClient;
  work: string;
  dataDir: string;
  /** Worker processes the test started; any still running at close() are killed. */
  workers: WorkerProcess[];
  close(): Promise<void>;
}

/** `persist`: run Redis as production must (append-only file), for tests that restart it. */
export async function startQueueFixture(name: string, opts: { persist?: boolean } = {}): Promise<QueueFixture> {
  const dirs = ['work', 'data', ...(opts.persist ? ['redis'] : [])].map((kind) => mkdtempSync(path.join(os.tmpdir(), `fazhi-${name}-${kind}-`)));
  const redis = await startRedisServer(opts.persist ? { persistDir: dirs[2] } : {});
  const client = openQueueClient(redis.url);
  const workers: WorkerProcess[] = [];
  return {
    redis,
    client,
    work: dirs[0]!,
    dataDir: dirs[1]!,
    workers,
    async close() {
      for (const w of workers) if (isRunning(w)) w.child.kill('SIGKILL');
      await client.close();
      await redis.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
