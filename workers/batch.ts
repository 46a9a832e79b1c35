// The producer side of queue mode: enqueue a batch of files, follow it to the end.
import { randomUUID } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { InputError } from '../pipeline/errors.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import { readModelId } from '../models/encoder.ts';
import { countDone, emptySummary, readSource, reasonOf, sourceFile, type IngestSummary, type SourceFile } from '../search/ingest.ts';
import { Store, STORE_FILE } from '../search/store.ts';
import { BatchState, STORE_ID_KEY, type BatchProgress, type FailureRecord } from './batchState.ts';
import { answers, connectProbe, connectRedis, DEFAULT_REDIS_DOWN_MS, redisUrlFromEnv } from './connection.ts';
import { fileIdOf, JOB_OPTIONS, openQueues, QUEUE_NAMES, textKey, type FileRef, type Queues, type StoreTarget } from './queues.ts';
import { holderOfWriterLock } from './writerLock.ts';
import { DEFAULT_BEAT_MS, readHeartbeats, type HeartbeatView } from './heartbeat.ts';

/** A file as the producer read it, or why it could not be read. */
export type BatchInput = { source: string; bytes: Buffer } | { source: string; error: string };

export interface QueueClient {
  readonly url: string;
  readonly redis: Redis;
  readonly state: BatchState;
  readonly queues: Queues;
  close(): Promise<void>;
}

export function openQueueClient(redisUrl: string = redisUrlFromEnv()): QueueClient {
  const redis = connectRedis(redisUrl);
  const queues = openQueues(redis);
  return {
    url: redisUrl,
    redis,
    state: new BatchState(redis),
    queues,
    close: async () => {
      await queues.close();
      redis.disconnect();
    },
  };
}

export interface EnqueueOptions {
  modelId: string;
  batchId: string;
  /** File count when known up front (the progress bar's end while files are still enqueued). */
  expected?: number;
  /**
   * At most this many of the batch's files are in Redis at once; enqueueing waits for the
   * workers beyond that, so a large corpus never sits in Redis whole.
   */
  maxPending?: number;
  /** Lets the producer skip files the store already holds (same bytes, same model). */
  isCurrent?: (source: string, contentHash: string) => boolean;
  /**
   * The passage texts the store holds vectors for under this source and the batch's model
   * (Store.embeddedTextsOfSource): a changed or re-parsed file then embeds only its new texts.
   */
  storedTexts?: (source: string) => readonly string[];
  /** The store the batch is for: the writer refuses to commit its files into another one. */
  store?: StoreTarget;
  pollMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_PENDING = 64;
const DEFAULT_POLL_MS = 250;
const REACH_TIMEOUT_MS = 3000;
const WORKER_CHECK_MS = 10_000;

/** Enqueues every file of the batch; resolves with the number accepted once all are in. */
export async function enqueueBatch(
  client: QueueClient,
  files: Iterable<BatchInput> | AsyncIterable<BatchInput>,
  opts: EnqueueOptions,
): Promise<{ batchId: string; accepted: number }> {
  const { state, queues } = client;
  const { batchId, modelId } = opts;
  const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  await state.createBatch(batchId, { modelId, expected: opts.expected });
  let accepted = 0;
  const seen = new Set<string>();
  for await (const file of files) {
    opts.signal?.throwIfAborted();
    const firstSight = !seen.has(file.source);
    seen.add(file.source);
    if ('error' in file) {
      if (await state.settleDirect(batchId, file.source, { failed: { stage: 'read', reason: file.error } })) accepted++;
      continue;
    }
    let checked: SourceFile;
    try {
      // The read stage's checks, here so that an oversized or unsupported file never travels
      // through Redis.
      checked = sourceFile(file.source, file.bytes);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      if (await state.settleDirect(batchId, file.source, { failed: { stage: 'read', reason: reasonOf(err, file.source) } })) accepted++;
      continue;
    }
    const { contentHash } = checked;
    if (opts.isCurrent?.(file.source, contentHash)) {
      if (await state.settleDirect(batchId, file.source, { done: { outcome: 'unchanged', passages: 0 } })) accepted++;
      continue;
    }
    const fileId = fileIdOf(file.source, contentHash, modelId);
    await waitForRoom(state, batchId, accepted, maxPending, pollMs, opts.signal);
    const { status, version } = await state.subscribe(batchId, { fileId, source: file.source, contentHash, modelId });
    // 'duplicate' for a source this run has not sent before means our own subscribe ran but its
    // reply was lost (Redis or the connection died) and ioredis resent it: the job may never
    // have been added, so add it (a job already there makes BullMQ drop this add).
    if (status === 'duplicate' && !firstSight) continue;
    accepted++;
    if (status !== 'settled') {
      // A job with this id already in flight makes BullMQ drop this add; that job settles us
      // (and the writer commits it as this newer version: BatchState.commitVersion).
      const ref: FileRef = { fileId, source: file.source, contentHash, modelId, version, store: opts.store };
      const reuse = opts.storedTexts?.(file.source).map(textKey) ?? [];
      await queues.parse.add('parse', { ...ref, bytesBase64: file.bytes.toString('base64'), reuse, parser: PARSER_VERSION }, { ...JOB_OPTIONS, jobId: ref.fileId });
    }
  }
  await state.seal(batchId);
  return { batchId, accepted };
}

async function waitForRoom(state: BatchState, batchId: string, accepted: number, maxPending: number, pollMs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const p = await state.progress(batchId);
    if (accepted - p.done - p.failed < maxPending) return;
    await sleep(pollMs, undefined, { signal });
  }
}

/** The embedded summary of the batch's files (timings: summed worker time per stage; read is the producer's). */
export interface BatchResult extends IngestSummary {
  batchId: string;
  total: number;
}

export interface WaitOptions {
  onProgress?: (p: BatchProgress) => void;
  /** Called with advice when nothing could finish the batch (a role has no worker). */
  onNotice?: (line: string) => void;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Resolves when every file of the batch has been committed or has failed for good. */
export async function waitForBatch(client: QueueClient, batchId: string, opts: WaitOptions = {}): Promise<BatchResult> {
  const { state } = client;
  if (!(await state.exists(batchId))) throw new InputError('batchId', `no batch ${batchId} in Redis`);
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  let last = '';
  let idleSaid = '';
  let checkedWorkersAt = 0;
  for (;;) {
    const p = await state.progress(batchId);
    const key = `${p.done}/${p.failed}/${p.total}`;
    if (key !== last) opts.onProgress?.(p);
    last = key;
    if (p.sealed && p.done + p.failed >= p.total) break;
    // A batch with no one to work on it would wait silently forever: say so, once per change.
    if (opts.onNotice && Date.now() - checkedWorkersAt > WORKER_CHECK_MS) {
      checkedWorkersAt = Date.now();
      const idle = (await rolesWithoutWorkers(client)).join(', ');
      if (idle && idle !== idleSaid) opts.onNotice(`no worker is consuming ${idle}; start one with \`fazhi worker\` (REDIS_URL=${client.url})`);
      idleSaid = idle;
    }
    await sleep(pollMs, undefined, { signal: opts.signal });
  }
  return summarize(batchId, await state.outcome(batchId));
}

function summarize(batchId: string, outcome: Awaited<ReturnType<BatchState['outcome']>>): BatchResult {
  const result: BatchResult = { batchId, total: outcome.done.size + outcome.failed.size, ...emptySummary() };
  for (const done of outcome.done.values()) countDone(result, done);
  for (const [source, failure] of outcome.failed) result.failed.push({ source, ...failure });
  result.failed.sort((a, b) => a.source.localeCompare(b.source));
  return result;
}

async function rolesWithoutWorkers(client: QueueClient): Promise<string[]> {
  const queues = [client.queues.parse, client.queues.embed, client.queues.write];
  const counts = await Promise.all(queues.map((q) => q.getWorkersCount()));
  return QUEUE_NAMES.filter((_, i) => counts[i] === 0);
}

/** Enqueues and follows one batch; an enqueue error ends the wait too, and so does `signal`. */
export async function processBatch(
  client: QueueClient,
  files: Iterable<BatchInput> | AsyncIterable<BatchInput>,
  opts: Omit<EnqueueOptions, 'batchId'> & WaitOptions & { batchId?: string },
): Promise<BatchResult> {
  const batchId = opts.batchId ?? randomUUID();
  const abort = new AbortController();
  opts.signal?.addEventListener('abort', () => abort.abort(opts.signal!.reason), { once: true });
  const enqueued = enqueueBatch(client, files, { ...opts, batchId, signal: abort.signal });
  const waited = (async () => {
    // The batch record exists once enqueueBatch has started; wait for it before following.
    while (!(await client.state.exists(batchId))) await sleep(20, undefined, { signal: abort.signal });
    return waitForBatch(client, batchId, { ...opts, signal: abort.signal });
  })();
  try {
    await enqueued;
    return await waited;
  } catch (err) {
    abort.abort(err);
    await Promise.allSettled([enqueued, waited]);
    throw err;
  }
}

export interface RunBatchOptions {
  redisUrl?: string;
  dataDir: string;
  modelDir: string;
  /** Sources as the CLI canonicalised them; they become the documents' sources. */
  files: string[];
  /** Directory relative sources are read from (the source root); default the current one. */
  root?: string;
  onProgress?: (p: { done: number; failed: number; total: number }) => void;
  onNotice?: (line: string) => void;
  /** How long Redis may stop answering before the producer gives up (DEFAULT_REDIS_DOWN_MS). */
  redisDownMs?: number;
}

/**
 * `fazhi ingest --queue` / `fazhi reindex --queue`: reads the files here (workers elsewhere may
 * not see these paths), skips those the store already holds, and waits for the rest.
 */
export async function runBatch(opts: RunBatchOptions): Promise<IngestSummary> {
  const modelId = await readModelId(opts.modelDir);
  // The producer only reads: opening the store as a writer would fence out the queue's writer.
  const store = openStoreIfAny(opts.dataDir);
  const redisUrl = opts.redisUrl ?? redisUrlFromEnv();
  const client = openQueueClient(redisUrl);
  const readMs = { total: 0 };
  // Commands wait through reconnects: without a bound, a Redis that never comes back would
  // keep the producer waiting forever.
  const watch = watchRedis(redisUrl, opts.redisDownMs ?? DEFAULT_REDIS_DOWN_MS);
  try {
    await Promise.race([reachable(client, redisUrl), watch.down]);
    const boundBefore = await Promise.race([checkSameStore(client.redis, store, opts.dataDir), watch.down]);
    const batch = processBatch(client, readFiles(opts.files, opts.root ?? '.', readMs), {
      modelId,
      expected: opts.files.length,
      isCurrent: (source, hash) => store?.hasCurrent(source, hash, modelId) ?? false,
      storedTexts: (source) => store?.embeddedTextsOfSource(source, modelId) ?? [],
      store: { id: store?.getMeta('store_id') ?? null, dataDir: realPath(opts.dataDir) },
      onProgress: (p) => opts.onProgress?.({ done: p.done + p.failed, failed: p.failed, total: p.total }),
      onNotice: opts.onNotice ?? ((line) => process.stderr.write(`\n${line}\n`)),
      signal: watch.signal,
    });
    batch.catch(() => undefined);
    const result = await Promise.race([batch, watch.down]);
    // No writer had bound the queue when the batch started: the one that took it must be ours. One
    // that is not refuses the batch's files (stages.ts) unless the directories only look alike
    // (the same path on another machine, the store not yet written by a queue writer).
    if (!boundBefore) {
      // A store that was not there when the batch started may be there now, created by that writer.
      const now = store ?? openStoreIfAny(opts.dataDir);
      try {
        const stored = result.added + result.replaced + result.aliased > 0;
        await checkSameStore(client.redis, now, opts.dataDir, stored ? 'the batch was written to another data directory: ' : 'the batch was not stored: ');
      } finally {
        if (now !== store) now?.close();
      }
    }
    const { batchId: _batchId, total: _total, ...summary } = result;
    return { ...summary, timings: { ...summary.timings, read: readMs.total } };
  } finally {
    watch.stop();
    // Closing waits on Redis; one that is gone never answers.
    await Promise.race([client.close(), sleep(CLOSE_MS, undefined, { ref: false })]);
    client.redis.disconnect();
    store?.close();
  }
}

const PROBE_EVERY_MS = 1000;
const PING_TIMEOUT_MS = 2000;
const CLOSE_MS = 2000;

/**
 * Probes Redis every second; `down` rejects (and `signal` aborts) once it has not answered for
 * `downMs`, with an error naming the URL.
 */
function watchRedis(url: string, downMs: number): { down: Promise<never>; signal: AbortSignal; stop(): void } {
  const probe = connectProbe(url);
  const abort = new AbortController();
  let answeredAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const down = new Promise<never>((_, reject) => {
    const check = async () => {
      if (await answers(probe, PING_TIMEOUT_MS)) answeredAt = Date.now();
      else if (Date.now() - answeredAt >= downMs) {
        const err = new InputError(
          'REDIS_URL',
          `Redis at ${url} has not answered for ${Math.round((Date.now() - answeredAt) / 1000)} s; the batch is unfinished: ` +
            'run the same command again once Redis is back (files already stored are skipped)',
        );
        abort.abort(err);
        return reject(err);
      }
      if (!stopped) timer = setTimeout(() => void check(), PROBE_EVERY_MS);
    };
    timer = setTimeout(() => void check(), PROBE_EVERY_MS);
  });
  down.catch(() => undefined);
  return {
    down,
    signal: abort.signal,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      probe.disconnect();
    },
  };
}

/**
 * The writer bound the queue to its store (bindQueueToStore); a batch for another data directory
 * would be reported done while that directory stays as it was. False if no writer bound it yet.
 */
async function checkSameStore(redis: Redis, store: Store | null, dataDir: string, prefix = ''): Promise<boolean> {
  const bound = await redis.get(STORE_ID_KEY);
  if (bound === null) return false;
  const own = store?.getMeta('store_id') ?? null;
  if (own !== bound) {
    throw new InputError(
      '--data-dir',
      `${prefix}${dataDir} is not the data directory this queue's writer writes to (store ${bound}; ` +
        `${own ? `this one is ${own}` : 'this one was never written by a queue writer'}); ` +
        `give the writer's data directory, or run a separate Redis for ${dataDir}`,
    );
  }
  return true;
}

function openStoreIfAny(dataDir: string): Store | null {
  return existsSync(path.join(dataDir, STORE_FILE)) ? Store.openReadOnly(dataDir) : null;
}

/** An absolute path with symlinks resolved, as the writer's `realpathSync` gives once the directory exists. */
function realPath(dir: string): string {
  const abs = path.resolve(dir);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = path.dirname(abs);
  return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
}

async function* readFiles(paths: string[], root: string, readMs: { total: number }): AsyncGenerator<BatchInput> {
  for (const source of paths) {
    // Timed around the read only: time spent suspended at `yield` is the enqueue waiting for room.
    const start = performance.now();
    const input = await readSource(source, root).then(
      (bytes): BatchInput => ({ source, bytes }),
      (err: unknown): BatchInput => {
        if (!(err instanceof InputError)) throw err;
        return { source, error: reasonOf(err, source) };
      },
    );
    readMs.total += performance.now() - start;
    yield input;
  }
}

export interface QueueStatus {
  redisUrl: string;
  writer: string | null;
  /** BullMQ workers connected per queue. */
  workers: Record<string, number>;
  /** Every `fazhi worker` process that beat in the last day, with how long ago. */
  processes: HeartbeatView[];
  jobs: Record<string, Record<string, number>>;
  failures: FailureRecord[];
}

/** For `fazhi status`: never hangs on an unreachable Redis, reports it instead. */
export async function queueStatus(redisUrl: string = redisUrlFromEnv()): Promise<QueueStatus | { redisUrl: string; error: string }> {
  const client = openQueueClient(redisUrl);
  try {
    await reachable(client, redisUrl);
    const qs = [client.queues.parse, client.queues.embed, client.queues.write];
    const [writer, workers, jobs, failures, processes] = await Promise.all([
      holderOfWriterLock(client.redis),
      Promise.all(qs.map((q) => q.getWorkersCount())),
      Promise.all(qs.map((q) => q.getJobCounts('waiting', 'active', 'delayed'))),
      client.state.failures(),
      // Three missed beats: the process is gone or stuck.
      readHeartbeats(client.redis, 3 * DEFAULT_BEAT_MS),
    ]);
    return {
      redisUrl,
      writer,
      workers: Object.fromEntries(QUEUE_NAMES.map((n, i) => [n, workers[i]!])),
      jobs: Object.fromEntries(QUEUE_NAMES.map((n, i) => [n, jobs[i]!])),
      processes,
      failures,
    };
  } catch (err) {
    return { redisUrl, error: (err as Error).message };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Commands wait through reconnects, so an unreachable Redis would otherwise mean waiting forever. */
async function reachable(client: QueueClient, redisUrl: string): Promise<void> {
  const timeout = sleep(REACH_TIMEOUT_MS, undefined, { ref: false }).then(() => {
    throw new InputError('REDIS_URL', `no Redis answered at ${redisUrl} within ${REACH_TIMEOUT_MS / 1000} s`);
  });
  await Promise.race([client.redis.ping(), timeout]);
}
