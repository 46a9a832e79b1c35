// The single-writer guarantee: only the holder of this Redis lock consumes the write queue, and
// the lock comes with a fencing epoch that the store checks inside every write transaction
// (Store.open({ epoch })): a writer that lost the lock while paused (SIGSTOP, swapped out, a
// long GC) cannot commit after a successor claimed the store, whatever it believes.
import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { STORE_ID_KEY, WRITER_LOCK_KEY } from './batchState.ts';
import { scriptsOn } from './scripts.ts';

/** Fencing epochs handed out with the lock (workers/lua/writer-acquire.lua). */
export const WRITER_EPOCH_KEY = 'fazhi:writer-epoch';

export interface WriterLockOptions {
  /** How long the lock outlives a holder that stops renewing it (crash, kill -9, SIGSTOP). */
  ttlMs: number;
  /**
   * Called once when the lock is no longer known to be this process's: another process holds
   * it, or renewals failed for longer than the ttl (it may have expired). The lock is never
   * taken back: the process must stop committing and exit.
   */
  onLost: (reason: string) => void;
  /** Called once while waiting, with the current holder. */
  onWait?: (holder: string) => void;
}

export interface WriterLock {
  readonly token: string;
  /** The fencing epoch to claim the store with. */
  readonly epoch: number;
  /** Whether the lock is still believed held (false once lost or released). */
  readonly held: boolean;
  /** A new epoch above `min` for the holder (the store was claimed by an embedded writer meanwhile); null once the lock is gone. */
  raiseEpoch(min: number): Promise<number | null>;
  release(): Promise<void>;
}

export async function holderOfWriterLock(redis: Redis): Promise<string | null> {
  return redis.get(WRITER_LOCK_KEY);
}

/**
 * Waits until this process holds the lock, then renews it every ttl/3 until release() or loss.
 * `signal` aborts the wait (shutdown requested before the lock came).
 */
export async function acquireWriterLock(redis: Redis, opts: WriterLockOptions, signal?: AbortSignal): Promise<WriterLock> {
  const scripts = scriptsOn(redis);
  const token = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const step = Math.max(50, Math.floor(opts.ttlMs / 3));
  let told = false;
  let epoch: number;
  for (;;) {
    signal?.throwIfAborted();
    epoch = Number(await scripts['writer-acquire']([WRITER_LOCK_KEY, WRITER_EPOCH_KEY], [token, opts.ttlMs]));
    if (epoch > 0) break;
    if (!told) {
      told = true;
      opts.onWait?.((await redis.get(WRITER_LOCK_KEY)) ?? '(just released)');
    }
    await sleep(step, undefined, { signal });
  }
  let held = true;
  // The lock is only known to be ours up to ttl after the last renewal Redis confirmed.
  let confirmedAt = Date.now();
  const lose = (reason: string) => {
    if (!held) return;
    held = false;
    clearInterval(timer);
    opts.onLost(reason);
  };
  const timer = setInterval(() => {
    const sent = Date.now();
    scripts['writer-renew']([WRITER_LOCK_KEY], [token, opts.ttlMs]).then(
      (ok) => {
        if (Number(ok) === 1) confirmedAt = sent;
        // Gone is not taken: a Redis restarted without its data has lost every queue record too.
        else
          void redis.get(WRITER_LOCK_KEY).then(
            (holder) => lose(holder === null ? 'the writer lock is gone from Redis (restarted without its data, or the key deleted)' : `another process holds the writer lock now (${holder})`),
            () => lose('another process holds the writer lock now'),
          );
      },
      (err: Error) => {
        if (Date.now() - confirmedAt >= opts.ttlMs) lose(`the writer lock could not be renewed for ${opts.ttlMs} ms (${err.message}); it may have expired`);
      },
    );
    // A renewal that never answers (Redis hung, event loop starved) counts as failed too.
    if (sent - confirmedAt >= opts.ttlMs + step) lose(`the writer lock was not renewed for ${sent - confirmedAt} ms; it may have expired`);
  }, step);
  return {
    token,
    epoch,
    get held() {
      return held;
    },
    raiseEpoch: async (min) => {
      const raised = Number(await scripts['writer-raise-epoch']([WRITER_LOCK_KEY, WRITER_EPOCH_KEY], [token, min]));
      return raised > 0 ? raised : null;
    },
    release: async () => {
      if (!held) return;
      held = false;
      clearInterval(timer);
      await scripts['writer-release']([WRITER_LOCK_KEY], [token]);
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
