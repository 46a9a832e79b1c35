// Queue names, job payloads and job options shared by producers and workers.
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import type { PassageVectors } from '../models/encoder.ts';
import type { StageTimings } from '../search/ingest.ts';

export const PARSE_QUEUE = 'fazhi-parse';
export const EMBED_QUEUE = 'fazhi-embed';
export const WRITE_QUEUE = 'fazhi-write';
export const QUEUE_NAMES = [PARSE_QUEUE, EMBED_QUEUE, WRITE_QUEUE] as const;

export type Role = 'parse' | 'embed' | 'write';
export const ROLES: readonly Role[] = ['parse', 'embed', 'write'];

/** Identifies one file version for one model: every stage of its pipeline carries it. */
export interface FileRef {
  /** Job id in every queue, derived from source + contentHash + modelId + parser version (see fileIdOf). */
  fileId: string;
  source: string;
  contentHash: string;
  modelId: string;
  /**
   * Version stamp given when the producer enqueued this version (Redis clock, µs, increasing per
   * source): the writer never lets a smaller one replace a larger one.
   */
  version: number;
  /**
   * The store the producer's batch is for: the writer commits into no other (stages.ts). Absent
   * in jobs of earlier versions.
   */
  store?: StoreTarget;
}

/** A store as the producer of a batch names it. */
export interface StoreTarget {
  /**
   * Its `store_id` meta, or null where it has none: no store there yet, or one only embedded
   * writers have written (the first queue writer gives it one).
   */
  id: string | null;
  /** The producer's data directory, absolute, symlinks resolved. */
  dataDir: string;
}

/** Workers may run on machines that cannot read the producer's paths: the bytes travel. */
export interface ParseJob extends FileRef {
  bytesBase64: string;
  /**
   * textKey of each passage text the store holds vectors for under this source and model (a
   * changed or re-parsed file): the embed stage leaves those to the writer, which takes them from
   * the store. Absent in jobs of earlier versions: everything is embedded.
   */
  reuse?: string[];
  /**
   * The producer's PARSER_VERSION: a parse worker running an older parser leaves the job to
   * another (retried), so a fleet upgraded part way does not store old parses as current. Absent
   * in jobs of earlier versions.
   */
  parser?: number;
}

/** The parse stage's output, with its time (the batch summary reports where time went). */
export interface EmbedJob extends FileRef {
  report: ParsedReport;
  ms: Pick<StageTimings, 'parse'>;
  reuse?: string[];
}

/** The embed stage's output. */
export interface WriteJob extends FileRef {
  report: ParsedReport;
  /** One entry per passage; a passage whose text was in `reuse` has none (the store has it). */
  vectors: EncodedVectors;
  ms: Pick<StageTimings, 'parse' | 'embed'>;
}

export interface EncodedVectors {
  dim: number;
  /** Little-endian float32, base64: each passage's vector, then its pieces, passage after passage. */
  data: string;
  /** How many pieces each passage has; -1 for a passage that carries no vector. */
  pieces: number[];
}

/** A passage text's key in `reuse`: a job carries these instead of the texts themselves. */
export function textKey(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Same file version, same model, same parser ⇒ same id in every queue, so BullMQ drops a duplicate
 * add while the first is in flight; a file parsed again after a parser upgrade is new work.
 */
export function fileIdOf(source: string, contentHash: string, modelId: string): string {
  const h = createHash('sha256');
  for (const part of [source, contentHash, modelId, String(PARSER_VERSION)]) h.update(part).update('\0');
  return h.digest('hex').slice(0, 40);
}

export const JOB_ATTEMPTS = 3;

/**
 * Completed and failed jobs are removed at once: their results live in the store and the
 * failures in our own records (workers/batchState.ts), and a kept job would make BullMQ
 * silently drop a later add of the same id.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: true,
  removeOnFail: true,
};

export function encodeVectors(vectors: (PassageVectors | undefined)[]): EncodedVectors {
  const dim = vectors.find((v) => v !== undefined)?.vector.length ?? 0;
  const flat = vectors.flatMap((v) => (v ? [v.vector, ...v.pieces] : []));
  const all = new Float32Array(flat.length * dim);
  flat.forEach((v, i) => all.set(v, i * dim));
  return { dim, data: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'), pieces: vectors.map((v) => (v ? v.pieces.length : -1)) };
}

export function decodeVectors(encoded: EncodedVectors): (PassageVectors | undefined)[] {
  const bytes = Buffer.from(encoded.data, 'base64');
  // Copy into an aligned buffer: Buffer.from may return a view at an odd offset of its pool.
  const all = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(all.buffer).set(bytes);
  const { dim } = encoded;
  let at = 0;
  const next = (): Float32Array => all.slice(at * dim, ++at * dim);
  return encoded.pieces.map((count) => (count < 0 ? undefined : { vector: next(), pieces: Array.from({ length: count }, next) }));
}

export interface Queues {
  parse: Queue<ParseJob>;
  embed: Queue<EmbedJob>;
  write: Queue<WriteJob>;
  close(): Promise<void>;
}

/** Producer handles on the three queues over one shared connection (which the caller closes). */
export function openQueues(redis: Redis): Queues {
  const parse = new Queue<ParseJob>(PARSE_QUEUE, { connection: redis });
  const embed = new Queue<EmbedJob>(EMBED_QUEUE, { connection: redis });
  const write = new Queue<WriteJob>(WRITE_QUEUE, { connection: redis });
  // The shared connection's owner reports its errors (once per change, see connectRedis);
  // without a listener BullMQ prints every failed reconnect attempt as a stack trace, thrice.
  for (const q of [parse, embed, write]) q.on('error', () => undefined);
  return {
    parse,
    embed,
    write,
    close: async () => {
      await Promise.all([parse.close(), embed.close(), write.close()]);
    },
  };
}
