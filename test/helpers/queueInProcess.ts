// What every queue test with workers in this process sets up (the ones with worker processes use
// queueFixture.ts): its own redis-server, the bundled model, a queue client and temp folders, with
// vitest hooks that flush Redis and close the test's workers between tests and clean up after all.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadEncoder, type Encoder } from '../../models/encoder.ts';
import { openQueueClient, type QueueClient } from '../../workers/batch.ts';
import type { Role } from '../../workers/queues.ts';
import { startWorkers, type WorkerHandle } from '../../workers/startWorkers.ts';
import { ROOT } from './cli.ts';
import { startRedisServer, type RedisServer } from './redis.ts';

export const QUEUE_MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');

export interface QueueInProcess {
  readonly redis: RedisServer;
  readonly encoder: Encoder;
  readonly client: QueueClient;
  /** A temp folder, removed after all tests. */
  tempDir(name: string): string;
  /** Workers in this process, closed before the next test (or by the test itself). */
  start(roles: readonly Role[], dataDir?: string): WorkerHandle;
}

/**
 * Call inside a `describe`: the hooks register there. `encoder` wraps the loaded model (e.g. to
 * count what it is asked to embed); the workers and the tests get the wrapped one.
 */
export function useQueueInProcess(name: string, opts: { encoder?: (model: Encoder) => Encoder } = {}): QueueInProcess {
  let state: { redis: RedisServer; encoder: Encoder; client: QueueClient } | undefined;
  const dirs: string[] = [];
  const handles: WorkerHandle[] = [];
  const ready = () => {
    if (!state) throw new Error('useQueueInProcess: used outside a test (its beforeAll has not run)');
    return state;
  };

  beforeAll(async () => {
    const [redis, model] = await Promise.all([startRedisServer(), loadEncoder(QUEUE_MODEL_DIR)]);
    state = { redis, encoder: opts.encoder ? opts.encoder(model) : model, client: openQueueClient(redis.url) };
  });

  afterAll(async () => {
    for (const h of handles.splice(0)) await h.close();
    await state?.client.close();
    await state?.redis.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    await ready().client.redis.flushall();
  });

  return {
    get redis() {
      return ready().redis;
    },
    get encoder() {
      return ready().encoder;
    },
    get client() {
      return ready().client;
    },
    tempDir(kind) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `fazhi-${name}-${kind}-`));
      dirs.push(dir);
      return dir;
    },
    start(roles, dataDir) {
      const { redis, encoder } = ready();
      const h = startWorkers({ redisUrl: redis.url, roles, dataDir, encoder, log: () => undefined });
      handles.push(h);
      return h;
    },
  };
}
