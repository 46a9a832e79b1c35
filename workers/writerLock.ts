// The single-writer guarantee: only the holder of this Redis lock consumes the write queue.
import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { STORE_ID_KEY, WRITER_LOCK_KEY } from './batchState.ts';

// Compare-and-act, so a process whose lock expired can never renew or delete its successor's.
// A lock that merely expired (event loop blocked past the ttl by a long index rebuild) and that
// nobody took in the meantime is taken back: no other writer ran in between.
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface WriterLockOptions {
  /** How long the lock outlives a holder that stops renewing it (crash, kill -9). */
  ttlMs: number;
  /** Called once when another process has taken the lock (this one stopped renewing for longer than ttlMs). */
  onLost: (reason: string) => void;
  /** Called once while waiting, with the current holder. */
  onWait?: (holder: string) => void;
}

export interface WriterLock {
  readonly token: string;
  release(): Promise<void>;
}

export async function holderOfWriterLock(redis: Redis): Promise<string | null> {
  return redis.get(WRITER_LOCK_KEY);
}

/**
 * Waits until this process holds the lock, then renews it every ttl/3 until release().
 * `signal` aborts the wait (shutdown requested before the lock came).
 */
export async function acquireWriterLock(redis: Redis, opts: WriterLockOptions, signal?: AbortSignal): Promise<WriterLock> {
  const token = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const step = Math.max(50, Math.floor(opts.ttlMs / 3));
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    if ((await redis.set(WRITER_LOCK_KEY, token, 'PX', opts.ttlMs, 'NX')) === 'OK') break;
    if (!told) {
      told = true;
      opts.onWait?.((await redis.get(WRITER_LOCK_KEY)) ?? '(just released)');
    }
    await sleep(step, undefined, { signal });
  }
  let released = false;
  const timer = setInterval(() => {
    redis
      .eval(RENEW, 1, WRITER_LOCK_KEY, token, opts.ttlMs)
      .then((ok) => {
        if (ok !== 1) lose('another process holds the writer lock now');
      })
      .catch(() => undefined); // Redis unreachable: jobs cannot arrive either; the next renewal decides
  }, step);
  const lose = (reason: string) => {
    if (released) return;
    released = true;
    clearInterval(timer);
    opts.onLost(reason);
  };
  return {
    token,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await redis.eval(RELEASE, 1, WRITER_LOCK_KEY, token);
    },
  };
}

/** What binding needs from the store: a place for its id. */
interface StoreMeta {
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/**
 * The lock makes one writer at a time, not one data directory: a writer started on another
 * machine with its own empty data directory would take over and split the corpus in two. The
 * first writer binds the queue to its store's id; any other store is refused.
 */
export async function bindQueueToStore(redis: Redis, store: StoreMeta, dataDir: string): Promise<void> {
  let storeId = store.getMeta('store_id');
  if (!storeId) {
    storeId = randomUUID();
    store.setMeta('store_id', storeId);
  }
  await redis.set(STORE_ID_KEY, storeId, 'NX');
  const bound = await redis.get(STORE_ID_KEY);
  if (bound !== storeId) {
    throw new Error(
      `this Redis queue writes to another data directory (store ${bound}), not ${dataDir} (store ${storeId}); ` +
        `start the writer where that data directory is, or run \`redis-cli del ${STORE_ID_KEY}\` to rebind the queue`,
    );
  }
}
