// Starts the requested worker roles in this process.
import { realpathSync } from 'node:fs';
import { Worker, type Job } from 'bullmq';
import { loadEncoder, type Encoder } from '../models/encoder.ts';
import { segmentForIndex } from '../pipeline/segment.ts';
import { Store, WriterFencedError, type WriterLease } from '../search/store.ts';
import { DerivedRefresher, INDEX_SAVE_AFTER_CHANGES, SHINGLE_MERGE_AFTER, type RefreshOptions } from '../search/derivedRefresh.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Stage } from '../search/ingest.ts';
import { BatchState } from './batchState.ts';
import { bullConnection, connectRedis } from './connection.ts';
import { EMBED_QUEUE, openQueues, PARSE_QUEUE, WRITE_QUEUE, type FileRef, type Role, type WriteJob } from './queues.ts';
import { embedProcessor, parseProcessor, writeProcessor, type StageContext } from './stages.ts';
import { acquireWriterLock, bindQueueToStore, type WriterLock } from './writerLock.ts';

export interface StartWorkersOptions {
  redisUrl: string;
  roles: readonly Role[];
  /** Required for the write role: the data directory this process owns. */
  dataDir?: string;
  /** For the embed role: a model directory to load, or an encoder already loaded in this process. */
  modelDir?: string;
  encoder?: Encoder;
  /** Jobs processed in parallel per parse/embed worker; the writer always takes one at a time. */
  concurrency?: number;
  /**
   * How long a job stays claimed by a silent worker before another may take it over; also the
   * stalled-check interval. Small values make crash recovery fast but risk false takeovers of
   * long jobs.
   */
  jobLockMs?: number;
  /** How long the writer lock survives a writer that died without releasing it. */
  writerLockTtlMs?: number;
  log?: (line: string) => void;
  /** Called when this process can no longer work correctly (writer lock lost). */
  onFatal?: (err: Error) => void;
}

export interface WorkerHandle {
  readonly roles: readonly Role[];
  /** Resolves once every role is consuming (for the writer: once it holds the lock). */
  readonly ready: Promise<void>;
  /**
   * Stops taking jobs, lets the running ones finish (`force`: abandons them to be reclaimed once
   * their job locks expire), releases the writer lock.
   */
  close(opts?: { force?: boolean }): Promise<void>;
  /** Why this process is not consuming as it should (a worker loop that ended); empty when fine. */
  problems(): string[];
  /** Jobs being processed right now. */
  activeJobs(): number;
}

const DEFAULT_JOB_LOCK_MS = 30_000;
const DEFAULT_WRITER_LOCK_TTL_MS = 15_000;
/** A job whose worker died this many times is failed instead of retried forever. */
const MAX_STALLED = 2;

export function startWorkers(opts: StartWorkersOptions): WorkerHandle {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const onFatal = opts.onFatal ?? ((err: Error) => log(`fatal: ${err.message}`));
  if (opts.roles.includes('write') && !opts.dataDir) throw new Error('the write role needs a data directory');
  if (opts.roles.includes('embed') && !opts.modelDir && !opts.encoder) throw new Error('the embed role needs a model directory');

  const redis = connectRedis(opts.redisUrl, (err) => log(`redis: ${err.message}`));
  const ctx: StageContext = { state: new BatchState(redis), queues: openQueues(redis) };
  const jobLockMs = opts.jobLockMs ?? DEFAULT_JOB_LOCK_MS;
  const workers: Worker[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const shutdown = new AbortController();
  const closed = new Promise<never>((_, reject) => shutdown.signal.addEventListener('abort', () => reject(shutdown.signal.reason as Error), { once: true }));
  closed.catch(() => undefined);
  /**
   * BullMQ does not wait for Redis before it starts a worker: without this, a parse or embed
   * worker whose Redis was unreachable said it was ready. close() ends the wait.
   */
  const connected = (worker: Pick<Worker, 'waitUntilReady'>): Promise<void> => Promise.race([worker.waitUntilReady(), closed]);
  let active = 0;

  const startWorker = <T extends FileRef>(queue: string, stage: Stage, processor: (job: Job<T>) => Promise<unknown>, concurrency: number): Worker<T> => {
    const worker = new Worker<T>(queue, processor, {
      connection: bullConnection(opts.redisUrl),
      concurrency,
      lockDuration: jobLockMs,
      stalledInterval: jobLockMs,
      maxStalledCount: MAX_STALLED,
      name: `${queue}@${process.pid}`,
    });
    worker.on('error', (err) => log(`${queue}: ${err.message}`));
    worker.on('active', () => active++);
    // 'failed' also fires for jobs that never became active here (stalled too often).
    worker.on('completed', () => (active = Math.max(0, active - 1)));
    worker.on('failed', (job) => {
      if (!job?.deferredFailure) active = Math.max(0, active - 1);
    });
    worker.on('failed', (job, err) => {
      if (!job) return;
      // A job that stalled too often is failed by BullMQ before our processor runs: settle it here.
      const settled = job.deferredFailure ? ctx.state.settleFailed(job.data, { stage, reason: err.message }) : Promise.resolve(0);
      // Failed for good (finishedOn; a retry has none) and removed (removeOnFail): a batch asking
      // for the file from now on must run it again, not be told this failure.
      if (job.deferredFailure || job.finishedOn) {
        settled.then(() => ctx.state.forgetFailure(job.data)).catch((e: Error) => log(`${queue}: ${e.message}`));
      }
    });
    workers.push(worker as unknown as Worker);
    return worker;
  };

  const startRole = async (role: Role): Promise<void> => {
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    // Loading jieba blocks the event loop for seconds; done inside the first job it would starve
    // that job's lock renewal.
    if (role !== 'write') segmentForIndex('法治政府');
    if (role === 'parse') {
      await connected(startWorker(PARSE_QUEUE, 'parse', parseProcessor(ctx), concurrency));
    } else if (role === 'embed') {
      const encoder = opts.encoder ?? (await loadEncoder(opts.modelDir!));
      await connected(startWorker(EMBED_QUEUE, 'embed', embedProcessor(ctx, encoder), concurrency));
    } else {
      const writerLockTtlMs = opts.writerLockTtlMs ?? DEFAULT_WRITER_LOCK_TTL_MS;
      let writer: Worker<WriteJob> | undefined;
      const lock = await acquireWriterLock(
        redis,
        {
          ttlMs: writerLockTtlMs,
          onWait: (holder) => log(`writer: waiting for the writer lock, held by ${holder}`),
          onLost: (reason) => {
            // Stop committing at once: another writer may be running now.
            writer?.close(true).catch(() => undefined);
            onFatal(new Error(`writer: ${reason}`));
          },
        },
        shutdown.signal,
      );
      cleanups.push(() => lock.release());
      const lease = { holder: lock.token, ttlMs: writerLockTtlMs };
      const store = await openFenced(opts.dataDir!, lock, lease);
      cleanups.push(() => store.close());
      await bindQueueToStore(redis, store, opts.dataDir!);
      const own = { id: store.getMeta('store_id'), dataDir: realpathSync(opts.dataDir!) };
      const derived = derivedFollower(store, opts.dataDir!, log, onFatal);
      cleanups.push(() => derived.close());
      // A commit refused by the store's fence means a successor writes now: stop at once and exit
      // non-zero. The job is left unfinished (not failed): its BullMQ lock lapses and the
      // successor commits it.
      const onFenced = (err: Error): Promise<never> => {
        writer?.close(true).catch(() => undefined);
        onFatal(new Error(`writer: ${err.message}`));
        return new Promise<never>(() => undefined);
      };
      // While it holds the lock, the writer holds the store too: embedded writers are refused.
      const leaseTimer = setInterval(() => {
        if (!lock.held) return clearInterval(leaseTimer);
        try {
          store.renewWriterLease(lease);
        } catch (err) {
          if (err instanceof WriterFencedError) onFenced(err).catch(() => undefined);
          else log(`writer: renewing the lease on ${opts.dataDir}: ${(err as Error).message}`);
        }
      }, Math.max(50, Math.floor(writerLockTtlMs / 3)));
      cleanups.push(() => {
        clearInterval(leaseTimer);
        try {
          store.releaseWriterLease(lease.holder);
        } catch {
          // fenced out: the successor's lease stands
        }
      });
      writer = startWorker(WRITE_QUEUE, 'write', writeProcessor(ctx, store, { isWriter: () => lock.held, onFenced }, own), 1);
      // Derived data follows in a worker thread: during a long batch whenever enough vector
      // changes are pending, and once a burst of writes is over.
      writer.on('completed', () => derived.afterCommit());
      writer.on('drained', () => derived.schedule());
      log(`writer: holding the writer lock for ${opts.dataDir}`);
    }
  };

  const ready = Promise.all(opts.roles.map(startRole)).then(() => undefined);
  // close() reports startup failures; don't let them surface twice as unhandled.
  ready.catch(() => undefined);

  let closing: Promise<void> | null = null;
  let started = false;
  ready.then(() => (started = true), () => undefined);
  return {
    roles: opts.roles,
    ready,
    activeJobs: () => active,
    problems: () =>
      started && !closing
        ? workers.filter((w) => !w.isRunning()).map((w) => `${w.name}: the worker loop has stopped taking jobs`)
        : [],
    close: ({ force = false } = {}) =>
      (closing ??= (async () => {
        shutdown.abort(new Error('shutting down'));
        await ready.catch(() => undefined);
        await Promise.all(workers.map((w) => w.close(force)));
        for (const cleanup of cleanups.reverse()) await cleanup();
        await ctx.queues.close();
        redis.disconnect();
      })()),
  };
}

/**
 * Opens the store as its writer with the lock's epoch. An epoch not above the stored one means an
 * embedded-mode writer claimed the store since (its epochs do not come from Redis): the holder
 * raises its epoch past it; a process that no longer holds the lock gets null and must stop.
 */
async function openFenced(dataDir: string, lock: WriterLock, lease: WriterLease): Promise<Store> {
  try {
    return Store.open(dataDir, { epoch: lock.epoch, lease });
  } catch (err) {
    if (!(err instanceof WriterFencedError)) throw err;
    const raised = await lock.raiseEpoch(err.current + 1);
    if (raised === null) throw new Error(`writer: lost the writer lock before claiming ${dataDir}`);
    return Store.open(dataDir, { epoch: raised, lease });
  }
}

const DERIVED_QUIET_MS = 2000;

/**
 * Boilerplate scores and the HNSW file follow the store off the event loop; the writer logs its
 * event-loop delay per burst of writes (what the bench reports).
 */
function derivedFollower(store: Store, dataDir: string, log: (line: string) => void, onFatal: (err: Error) => void) {
  const refresher = new DerivedRefresher(store, dataDir, log);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let commits = 0;
  let timer: NodeJS.Timeout | null = null;
  const refresh = (options: RefreshOptions = {}) => {
    const modelId = store.getMeta('model_id');
    if (!modelId || refresher.busy) return;
    refresher.refresh(modelId, options).catch((err: Error) => {
      if (err instanceof WriterFencedError) onFatal(new Error(`writer: ${err.message}`));
      else log(`writer: refreshing derived data failed: ${err.message}`);
    });
  };
  return {
    afterCommit: () => {
      commits++;
      if (store.countVectorChanges() >= INDEX_SAVE_AFTER_CHANGES || store.pendingShingleSets() >= SHINGLE_MERGE_AFTER) refresh();
    },
    schedule: () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const ms = (ns: number) => (ns / 1e6).toFixed(1);
        log(`writer: ${commits} commit(s); event-loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`);
        delay.reset();
        commits = 0;
        // Idle now: bring the file to the store's generation so readers replay nothing.
        refresh({ saveIndex: true });
      }, DERIVED_QUIET_MS);
    },
    close: async () => {
      if (timer) clearTimeout(timer);
      delay.disable();
      await refresher.close();
    },
  };
}
