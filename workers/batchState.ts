// Bookkeeping in Redis that BullMQ does not do for us: which files belong to which batch, how
// each one ended, and the failures `fazhi status` lists.
//
// A file is "subscribed" by every batch that asked for it. Whoever settles the file (the writer
// on commit, any stage on a final failure) settles it for all its subscribers in one Lua script,
// and leaves the outcome for a short while so that a batch subscribing a moment later (whose
// add BullMQ dropped as a duplicate of the job just finishing) still learns it. Both scripts
// are atomic, so a subscription can never fall between "read the subscribers" and "finished".
// The scripts live in workers/lua/; they build batch keys themselves, so this needs a single
// Redis, not Redis Cluster.
import type { Redis } from 'ioredis';
import type { FileDone, FileFailure } from '../search/ingest.ts';
import type { FileRef } from './queues.ts';
import { scriptsOn, type Scripts } from './scripts.ts';

const PREFIX = 'fazhi:';
const BATCH_TTL_S = 7 * 24 * 3600;
/** Covers the gap between a job settling its file and BullMQ removing that job. */
const OUTCOME_TTL_MS = 15_000;

/** The last failure of a source (one record per source), until a version as new is committed. */
export interface FailureRecord extends FileFailure {
  source: string;
  contentHash: string;
  modelId: string;
  /** Version stamp of the version that failed (see FileRef.version). */
  version: number;
  at: string;
}

export interface BatchProgress {
  done: number;
  failed: number;
  /** Files accepted so far (the expected count when the producer knew it up front). */
  total: number;
  /** All files have been enqueued. */
  sealed: boolean;
}

export interface BatchOutcome {
  done: Map<string, FileDone>;
  failed: Map<string, FileFailure>;
}

const keys = {
  batch: (b: string) => `${PREFIX}batch:${b}`,
  sources: (b: string) => `${PREFIX}batch:${b}:sources`,
  done: (b: string) => `${PREFIX}batch:${b}:done`,
  failed: (b: string) => `${PREFIX}batch:${b}:failed`,
  batches: `${PREFIX}batches`,
  subscribers: (fileId: string) => `${PREFIX}file:${fileId}:subscribers`,
  outcome: (fileId: string) => `${PREFIX}file:${fileId}:outcome`,
  failures: `${PREFIX}failures`,
  versions: `${PREFIX}versions`,
  writerLock: `${PREFIX}writer-lock`,
};
export const WRITER_LOCK_KEY = keys.writerLock;
export const STORE_ID_KEY = `${PREFIX}store-id`;

export class BatchState {
  private readonly scripts: Scripts;

  constructor(private readonly redis: Redis) {
    this.scripts = scriptsOn(redis);
  }

  async createBatch(batchId: string, info: { modelId: string; expected?: number }): Promise<void> {
    const key = keys.batch(batchId);
    const fields: Record<string, string> = { modelId: info.modelId, createdAt: new Date().toISOString(), sealed: '0' };
    if (info.expected !== undefined) fields.expected = String(info.expected);
    await this.redis
      .multi()
      .hset(key, fields)
      .expire(key, BATCH_TTL_S)
      .zadd(keys.batches, Date.now(), batchId)
      .zremrangebyscore(keys.batches, 0, Date.now() - BATCH_TTL_S * 1000)
      .exec();
  }

  async exists(batchId: string): Promise<boolean> {
    return (await this.redis.exists(keys.batch(batchId))) === 1;
  }

  async seal(batchId: string): Promise<void> {
    await this.redis.hset(keys.batch(batchId), { sealed: '1' });
  }

  /**
   * Adds the file to the batch, tells whether it still has to be processed, and stamps the
   * version (later enqueues of a source get larger stamps).
   */
  async subscribe(batchId: string, ref: Omit<FileRef, 'version'>): Promise<{ status: 'pending' | 'settled' | 'duplicate'; version: number }> {
    const [status, version] = (await this.scripts.subscribe(
      [keys.sources(batchId), keys.subscribers(ref.fileId), keys.outcome(ref.fileId), keys.versions],
      [PREFIX, batchId, ref.source, BATCH_TTL_S, ref.fileId],
    )) as ['pending' | 'settled' | 'duplicate', string];
    return { status, version: Number(version) };
  }

  /**
   * The version the writer commits `ref` as. When the newest enqueue of the source holds the same
   * bytes (same file id), the job stands for that enqueue; when a newer enqueue holds other
   * bytes, the job is stale: null.
   */
  async commitVersion(ref: FileRef): Promise<number | null> {
    const latest = await this.redis.hget(keys.versions, ref.source);
    if (!latest) return ref.version;
    const [stamp, fileId] = latest.split(' ');
    const newest = Number(stamp);
    if (fileId === ref.fileId) return Math.max(ref.version, newest);
    return newest > ref.version ? null : ref.version;
  }

  settleDone(ref: FileRef, done: FileDone): Promise<number> {
    return this.settle(ref, 'done', JSON.stringify(done), '');
  }

  settleFailed(ref: FileRef, failure: FileFailure): Promise<number> {
    const record: FailureRecord = { ...failure, source: ref.source, contentHash: ref.contentHash, modelId: ref.modelId, version: ref.version, at: new Date().toISOString() };
    return this.settle(ref, 'failed', JSON.stringify(failure), JSON.stringify(record));
  }

  private async settle(ref: FileRef, kind: 'done' | 'failed', value: string, record: string): Promise<number> {
    return (await this.scripts.settle(
      [keys.subscribers(ref.fileId), keys.outcome(ref.fileId), keys.failures],
      [PREFIX, ref.source, kind, value, BATCH_TTL_S, OUTCOME_TTL_MS, record, ref.version],
    )) as number;
  }

  /**
   * Called once BullMQ has removed the file's failed job: the failure no longer answers batches
   * that subscribe later, which queue the file again. It was kept only so that a batch subscribing
   * while the job still existed (BullMQ drops an add with its id) learns how it ended; replayed for
   * all of OUTCOME_TTL_MS, it failed a rerun started seconds after the cause was fixed (space freed
   * after "database or disk is full") without trying the file again.
   */
  async forgetFailure(ref: FileRef): Promise<void> {
    await this.scripts['forget-failure']([keys.outcome(ref.fileId)], []);
  }

  /** Settles a file the producer handled without a job; false when the source was already in the batch. */
  async settleDirect(batchId: string, source: string, result: { done: FileDone } | { failed: FileFailure }): Promise<boolean> {
    const [kind, value] = 'done' in result ? ['done', result.done] : ['failed', result.failed];
    const added = await this.scripts['settle-direct']([keys.sources(batchId), keys.failures, keys.versions], [PREFIX, batchId, source, kind, JSON.stringify(value), BATCH_TTL_S]);
    return added === 1;
  }

  async progress(batchId: string): Promise<BatchProgress> {
    const res = await this.redis
      .multi()
      .scard(keys.sources(batchId))
      .hlen(keys.done(batchId))
      .hlen(keys.failed(batchId))
      .hmget(keys.batch(batchId), 'sealed', 'expected')
      .exec();
    if (!res) throw new Error(`batch ${batchId}: Redis transaction aborted`);
    for (const [err] of res) if (err) throw err;
    const [accepted, done, failed] = res.slice(0, 3).map(([, v]) => Number(v));
    const [sealed, expected] = res[3]![1] as [string | null, string | null];
    const isSealed = sealed === '1';
    // Before sealing, an expected count keeps the progress bar's end fixed; after, the real
    // count wins (duplicate sources in the input are counted once).
    const total = isSealed || expected === null ? accepted! : Math.max(accepted!, Number(expected));
    return { done: done!, failed: failed!, total, sealed: isSealed };
  }

  async outcome(batchId: string): Promise<BatchOutcome> {
    const [done, failed] = await Promise.all([this.redis.hgetall(keys.done(batchId)), this.redis.hgetall(keys.failed(batchId))]);
    return {
      done: new Map(Object.entries(done).map(([s, v]) => [s, JSON.parse(v) as FileDone])),
      failed: new Map(Object.entries(failed).map(([s, v]) => [s, JSON.parse(v) as FileFailure])),
    };
  }

  /** Sources whose last version failed for good and that no later run has committed. */
  async failures(): Promise<FailureRecord[]> {
    const all = await this.redis.hvals(keys.failures);
    return all.map((v) => JSON.parse(v) as FailureRecord).sort((a, b) => a.at.localeCompare(b.at));
  }

  async recentBatches(limit: number): Promise<string[]> {
    return this.redis.zrevrange(keys.batches, 0, limit - 1);
  }
}
