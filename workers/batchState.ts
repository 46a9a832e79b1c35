// Bookkeeping in Redis that BullMQ does not do for us: which files belong to which batch, how
// each one ended, and the failures `fazhi status` lists.
//
// A file is "subscribed" by every batch that asked for it. Whoever settles the file (the writer
// on commit, any stage on a final failure) settles it for all its subscribers in one Lua script,
// and leaves the outcome for a short while so that a batch subscribing a moment later (whose
// add BullMQ dropped as a duplicate of the job just finishing) still learns it. Both scripts
// are atomic, so a subscription can never fall between "read the subscribers" and "finished".
// Keys are built inside the scripts, so this needs a single Redis, not Redis Cluster.
import type { Redis } from 'ioredis';
import type { FileRef } from './queues.ts';

const PREFIX = 'fazhi:';
const BATCH_TTL_S = 7 * 24 * 3600;
/** Covers the gap between a job settling its file and BullMQ removing that job. */
const OUTCOME_TTL_MS = 15_000;

export type Outcome = 'added' | 'replaced' | 'unchanged' | 'aliased';
export type Stage = 'read' | 'parse' | 'embed' | 'write';

export interface FileDone {
  outcome: Outcome;
  passages: number;
  /** Worker time per stage; absent for files the producer settled itself. */
  ms?: { parse: number; embed: number; write: number };
}

export interface FileFailure {
  stage: Stage;
  reason: string;
}

export interface FailureRecord extends FileFailure {
  source: string;
  contentHash: string;
  modelId: string;
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

/** The user-facing reason: InputError already names the file, which the report lists anyway. */
export function reasonOf(err: unknown, source: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
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
  writerLock: `${PREFIX}writer-lock`,
};
export const WRITER_LOCK_KEY = keys.writerLock;
export const STORE_ID_KEY = `${PREFIX}store-id`;

// Shared Lua: record one settled file in one batch. A later failure never overrides success
// (a stale duplicate job may fail after the real one committed).
const SETTLE_IN_BATCH = `
local function settle(prefix, batch, source, kind, value, ttl)
  local done = prefix .. 'batch:' .. batch .. ':done'
  local failed = prefix .. 'batch:' .. batch .. ':failed'
  if kind == 'done' then
    redis.call('HSET', done, source, value)
    redis.call('HDEL', failed, source)
    redis.call('EXPIRE', done, ttl)
  elseif redis.call('HEXISTS', done, source) == 0 then
    redis.call('HSET', failed, source, value)
    redis.call('EXPIRE', failed, ttl)
  end
end
`;

// KEYS: sources, subscribers, outcome. ARGV: prefix, batch, source, batchTtl.
// Returns 'duplicate' (source already in this batch), 'settled' (outcome known) or 'pending'.
const SUBSCRIBE = `${SETTLE_IN_BATCH}
if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return 'duplicate' end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local known = redis.call('GET', KEYS[3])
if known then
  local o = cjson.decode(known)
  local value = o.value
  if o.kind == 'done' then
    -- Committed by an earlier batch: for this one the file was already current.
    value = cjson.encode({outcome = 'unchanged', passages = cjson.decode(value).passages})
  end
  settle(ARGV[1], ARGV[2], ARGV[3], o.kind, value, ARGV[4])
  return 'settled'
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 'pending'
`;

// KEYS: subscribers, outcome, failures. ARGV: prefix, source, fileId, kind, value, batchTtl,
// outcomeTtlMs, failureRecord. Returns the number of batches settled.
const SETTLE = `${SETTLE_IN_BATCH}
local batches = redis.call('SMEMBERS', KEYS[1])
for _, b in ipairs(batches) do settle(ARGV[1], b, ARGV[2], ARGV[4], ARGV[5], ARGV[6]) end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], cjson.encode({kind = ARGV[4], value = ARGV[5]}), 'PX', ARGV[7])
if ARGV[4] == 'done' then
  redis.call('HDEL', KEYS[3], ARGV[3])
else
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[8])
end
return #batches
`;

// KEYS: sources. ARGV: prefix, batch, source, kind, value, batchTtl. For files settled by the
// producer itself (unreadable, or already current in the store).
const SETTLE_DIRECT = `${SETTLE_IN_BATCH}
if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[6])
settle(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 1
`;

export class BatchState {
  constructor(private readonly redis: Redis) {}

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

  /** Adds the file to the batch and tells whether it still has to be processed. */
  async subscribe(batchId: string, ref: FileRef): Promise<'pending' | 'settled' | 'duplicate'> {
    return (await this.redis.eval(
      SUBSCRIBE,
      3,
      keys.sources(batchId),
      keys.subscribers(ref.fileId),
      keys.outcome(ref.fileId),
      PREFIX,
      batchId,
      ref.source,
      BATCH_TTL_S,
    )) as 'pending' | 'settled' | 'duplicate';
  }

  settleDone(ref: FileRef, done: FileDone): Promise<number> {
    return this.settle(ref, 'done', JSON.stringify(done), '');
  }

  settleFailed(ref: FileRef, failure: FileFailure): Promise<number> {
    const record: FailureRecord = { ...failure, source: ref.source, contentHash: ref.contentHash, modelId: ref.modelId, at: new Date().toISOString() };
    return this.settle(ref, 'failed', JSON.stringify(failure), JSON.stringify(record));
  }

  private async settle(ref: FileRef, kind: 'done' | 'failed', value: string, record: string): Promise<number> {
    return (await this.redis.eval(
      SETTLE,
      3,
      keys.subscribers(ref.fileId),
      keys.outcome(ref.fileId),
      keys.failures,
      PREFIX,
      ref.source,
      ref.fileId,
      kind,
      value,
      BATCH_TTL_S,
      OUTCOME_TTL_MS,
      record,
    )) as number;
  }

  /** Settles a file the producer handled without a job; false when the source was already in the batch. */
  async settleDirect(batchId: string, source: string, result: { done: FileDone } | { failed: FileFailure }): Promise<boolean> {
    const [kind, value] = 'done' in result ? ['done', result.done] : ['failed', result.failed];
    const added = await this.redis.eval(SETTLE_DIRECT, 1, keys.sources(batchId), PREFIX, batchId, source, kind, JSON.stringify(value), BATCH_TTL_S);
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

  /** Files whose last attempt failed for good and that no later run has committed. */
  async failures(): Promise<FailureRecord[]> {
    const all = await this.redis.hvals(keys.failures);
    return all.map((v) => JSON.parse(v) as FailureRecord).sort((a, b) => a.at.localeCompare(b.at));
  }

  async recentBatches(limit: number): Promise<string[]> {
    return this.redis.zrevrange(keys.batches, 0, limit - 1);
  }
}
