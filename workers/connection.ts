// How queue-mode processes reach Redis.
import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

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
