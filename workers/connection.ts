// How queue-mode processes reach Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * How long a worker or a producer waits for a Redis that stopped answering before it gives up
 * and exits non-zero. ioredis retries a lost connection every ≤ 2 s by itself, and a Redis
 * restarted from its append-only file is back within seconds: a minute without any answer is an
 * outage to report (a worker's supervisor restarts it) rather than a silent wait.
 */
export const DEFAULT_REDIS_DOWN_MS = 60_000;

export function redisUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL || DEFAULT_REDIS_URL;
}

/**
 * Commands wait through reconnects instead of failing: a worker outlives a Redis restart.
 * BullMQ requires `maxRetriesPerRequest: null` on connections it blocks on; using it everywhere
 * lets one client serve both our own bookkeeping and the producer queues.
 */
export function connectRedis(url: string, onError: (err: Error) => void = () => undefined, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, ...options });
  // ioredis reconnects by itself; without a listener it prints every failed attempt.
  let last = '';
  redis.on('error', (err: Error) => {
    if (err.message !== last) onError(err);
    last = err.message;
  });
  redis.on('ready', () => (last = ''));
  return redis;
}

/** Connection options for BullMQ objects that must own a connection of their own (workers block). */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

/**
 * A connection for telling whether Redis answers now: it fails fast instead of queueing
 * commands while Redis is away (the liveness checks of workers and producers).
 */
export function connectProbe(url: string): Redis {
  return connectRedis(url, () => undefined, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
}

/** Whether Redis answers a PING on a probe connection within `timeoutMs`. */
export async function answers(probe: Redis, timeoutMs: number): Promise<boolean> {
  return probe.status === 'ready' && (await Promise.race([probe.ping().then(() => true, () => false), sleep(timeoutMs, false, { ref: false })]));
}
