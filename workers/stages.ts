// BullMQ processors: each runs one stage function of search/ingest.ts (the ones embedded mode
// runs in-process) and moves its typed output to the next queue.
import { UnrecoverableError, type Job } from 'bullmq';
import { InputError } from '../pipeline/errors.ts';
import type { Encoder, PassageVectors } from '../models/encoder.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import { commitStage, embedNewTexts, parseStage, reasonOf, type FileDone, type Stage } from '../search/ingest.ts';
import { WriterFencedError, type Store } from '../search/store.ts';
import type { BatchState } from './batchState.ts';
import { decodeVectors, encodeVectors, JOB_OPTIONS, textKey, type EmbedJob, type FileRef, type ParseJob, type Queues, type StoreTarget, type WriteJob } from './queues.ts';

export interface StageContext {
  state: BatchState;
  queues: Queues;
}

function refOf(data: FileRef): FileRef {
  return { fileId: data.fileId, source: data.source, contentHash: data.contentHash, modelId: data.modelId, version: data.version, store: data.store };
}

/**
 * Runs one stage. Bad input fails at once (retrying cannot fix it); anything else is retried
 * with backoff. On the last attempt the failure is settled for every batch waiting on the file
 * before BullMQ marks the job failed, so a crash in between leaves a job that reruns rather
 * than a batch that never finishes.
 */
async function runStage<T extends FileRef, R>(ctx: StageContext, job: Job<T>, stage: Stage, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    const unrecoverable = err instanceof InputError || err instanceof UnrecoverableError;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (unrecoverable || lastAttempt) {
      await ctx.state.settleFailed(refOf(job.data), { stage, reason: reasonOf(err, job.data.source) });
    }
    throw unrecoverable && !(err instanceof UnrecoverableError) ? new UnrecoverableError((err as Error).message) : err;
  }
}

export function parseProcessor(ctx: StageContext) {
  return (job: Job<ParseJob>) =>
    runStage(ctx, job, 'parse', async () => {
      if (job.data.parser !== undefined && PARSER_VERSION < job.data.parser) {
        // Retried: another worker, of the producer's version, may take it.
        throw new Error(
          `this parse worker runs parser version ${PARSER_VERSION}, older than the producer's ${job.data.parser}: ` +
            'run the same fazhi version on every worker (stop them, upgrade, start them again), then ingest again',
        );
      }
      const { report, ms } = await parseStage({ source: job.data.source, bytes: Buffer.from(job.data.bytesBase64, 'base64') });
      await ctx.queues.embed.add('embed', { ...refOf(job.data), report, ms: { parse: ms }, reuse: job.data.reuse }, { ...JOB_OPTIONS, jobId: job.data.fileId });
      return { passages: report.passages.length };
    });
}

export function embedProcessor(ctx: StageContext, encoder: Encoder) {
  return (job: Job<EmbedJob>) =>
    runStage(ctx, job, 'embed', async () => {
      if (job.data.modelId !== encoder.modelId) {
        // Vectors of another model would be stored under the wrong id: a deployment error.
        throw new UnrecoverableError(`batch wants model ${job.data.modelId} but this worker runs ${encoder.modelId}`);
      }
      const { report } = job.data;
      const reuse = new Set(job.data.reuse);
      const { fresh, ms } = await embedNewTexts(encoder, report, (text) => reuse.has(textKey(text)));
      const vectors = encodeVectors(report.passages.map((p) => fresh.get(p.text)));
      // The job id of a resend (see writeProcessor) is not the file id: its write job must not be
      // dropped as a duplicate of the write job that is still finishing.
      await ctx.queues.write.add('write', { ...refOf(job.data), report, vectors, ms: { ...job.data.ms, embed: ms } }, { ...JOB_OPTIONS, jobId: job.id ?? job.data.fileId });
      return { vectors: fresh.size };
    });
}

export interface WriterFence {
  /** False once the writer lock is known lost: commit nothing more. */
  isWriter(): boolean;
  /** Called with the refusal when the store fenced this writer out; its promise never settles. */
  onFenced(err: Error): Promise<never>;
}

/** `own`: the writer's store (its id and data directory), which a job's batch must be for. */
export function writeProcessor(ctx: StageContext, store: Store, fence: WriterFence, own: StoreTarget) {
  return (job: Job<WriteJob>) =>
    runStage(ctx, job, 'write', async () => {
      if (!fence.isWriter()) return fence.onFenced(new Error('the writer lock was lost; not committing'));
      // The producer's check that the queue is bound to its store only works once a writer bound
      // it: a batch queued before the first writer started was committed into that writer's store.
      const refused = refusedStore(job.data.store, own);
      if (refused) throw new UnrecoverableError(refused);
      const { report } = job.data;
      const version = await ctx.state.commitVersion(refOf(job.data));
      if (version !== null && (report.parser ?? 0) < PARSER_VERSION) {
        // Stored, it would count as current for its bytes while `fazhi status` asks to parse it again.
        throw new UnrecoverableError(
          `parsed by parser version ${report.parser ?? 0}, older than this writer's ${PARSER_VERSION} ` +
            '(by a parse worker of an earlier fazhi version, or before an upgrade): ingest it again once every worker runs this version',
        );
      }
      const vectors = version === null ? [] : withStoredVectors(store, report, decodeVectors(job.data.vectors), job.data.modelId);
      if (vectors === null) {
        // The stored version changed since the producer looked (another version of the source was
        // committed or it was removed): the file goes back to be embedded whole.
        await ctx.queues.embed.add('embed', { ...refOf(job.data), report, ms: { parse: job.data.ms.parse }, reuse: [] }, { ...JOB_OPTIONS, jobId: `${job.data.fileId}-whole` });
        return { resent: true };
      }
      let committed: FileDone;
      try {
        committed =
          version === null
            ? { outcome: 'superseded', passages: report.passages.length }
            : await commitStage(store, report, vectors, job.data.modelId, version);
      } catch (err) {
        // Not a failure of the file: another writer owns the store now and will commit it.
        if (err instanceof WriterFencedError) return fence.onFenced(err);
        throw err;
      }
      const done: FileDone = { ...committed, ms: { ...job.data.ms, ...committed.ms } };
      await ctx.state.settleDone(refOf(job.data), done);
      return done;
    });
}

/**
 * Why a job of a batch for `wanted` is not committed into `own`, or null when it is the same
 * store. Its id decides where the producer's store had one (one store may be mounted at other
 * paths on other machines); without one, the real path of the data directory does.
 */
function refusedStore(wanted: StoreTarget | undefined, own: StoreTarget): string | null {
  if (!wanted || (wanted.id !== null ? wanted.id === own.id : wanted.dataDir === own.dataDir)) return null;
  return (
    `not stored: the batch is for the data directory ${wanted.dataDir} (${wanted.id === null ? 'no queue writer has written it' : `store ${wanted.id}`}), ` +
    `but this queue's writer writes to ${own.dataDir} (store ${own.id}); ingest with that data directory, or run a separate Redis for ${wanted.dataDir}`
  );
}

/**
 * The write job's vectors with those it left to the store (see ParseJob.reuse) taken from the
 * store's version of the source, by passage text; null when the store no longer has one of them.
 */
function withStoredVectors(store: Store, report: ParsedReport, carried: (PassageVectors | undefined)[], modelId: string): PassageVectors[] | null {
  if (carried.every((v) => v !== undefined)) return carried as PassageVectors[];
  const stored = store.vectorsOfSource(report.source, modelId);
  const vectors = carried.map((v, i) => v ?? stored.get(report.passages[i]!.text));
  return vectors.every((v) => v !== undefined) ? (vectors as PassageVectors[]) : null;
}
