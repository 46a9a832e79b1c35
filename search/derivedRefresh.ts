// Keeps the derived data — the HNSW file and the boilerplate scores — following the store
// without blocking the writer: the heavy work runs in a worker thread (search/derivedWorker.ts)
// and only its small results (a generation to prune the change log to, score changes) are
// written here, under the writer's fence. Used the same way by `fazhi ingest` and the queue writer.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { boilerplateSweepDue, documentShingles } from './boilerplate.ts';
import type { PassageId, Store } from './store.ts';
import { inspectIndexFile } from './vectorIndex.ts';

/**
 * Vector changes the writer leaves for readers to replay before it saves the index file. Every
 * search replays them onto the loaded file (adding a point to a 250k-point graph costs ~0.3 ms
 * at efConstruction 200), so a single report's commit never waits for a save of the whole file
 * while a search never replays more than a few hundred milliseconds' worth.
 */
export const INDEX_SAVE_AFTER_CHANGES = 1000;
/** Score updates per write transaction when applying a sweep: bounds one transaction's pause. */
const SCORE_CHUNK = 2000;
/**
 * Logged shingle sets (one per committed document) the writer lets pile up before merging them
 * into the document-frequency table: each merge rewrites most of the table's pages once (~6,000
 * at 250k passages), so it pays off once it carries a few dozen documents.
 */
export const SHINGLE_MERGE_AFTER = 32;
/**
 * Shingles per merge transaction. At 250k passages (1.96M shingles) 1,000 took ~10 ms, plus
 * ~50 ms when the commit ran SQLite's WAL checkpoint; 4,000 took 200 ms, a pause the writer's
 * event loop would show.
 */
const SHINGLE_MERGE_CHUNK = 1000;

export type DerivedRequest = { id: number; kind: 'index'; modelId: string } | { id: number; kind: 'boilerplate' } | { id: number; kind: 'close' };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export type DerivedResponse =
  | { id: number; kind: 'index'; generation: number; count: number; rebuilt: boolean; reason: string | null; saved: boolean; warnings: string[] }
  | { id: number; kind: 'boilerplate'; changes: [PassageId, number][]; documents: number }
  | { id: number; kind: 'error'; message: string };

export interface DerivedOutcome {
  /** Score changes applied by a full sweep; null when no sweep was due. */
  boilerplateChanged: number | null;
  /** Shingle sets merged into the document frequencies; null when no merge was due. */
  shinglesMerged: number | null;
  /** The index file's state after a sync; null when no sync was due. */
  index: { generation: number; rebuilt: boolean; reason: string | null; saved: boolean } | null;
}

export interface RefreshOptions {
  /**
   * Idle (nothing more to commit soon): save the index file even when fewer than
   * INDEX_SAVE_AFTER_CHANGES changes are pending, and merge every logged shingle set.
   */
  saveIndex?: boolean;
}

export class DerivedRefresher {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: DerivedResponse) => void; reject: (e: Error) => void }>();
  private running: Promise<DerivedOutcome> | null = null;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether a refresh would do anything now. */
  due(modelId: string, options: RefreshOptions = {}): { boilerplate: boolean; index: boolean; shingles: boolean } {
    const pendingShingles = this.store.pendingShingleSets();
    const shingles = pendingShingles >= SHINGLE_MERGE_AFTER || (options.saveIndex === true && pendingShingles > 0);
    const boilerplate = boilerplateSweepDue(this.store.distinctDocuments(), this.store.boilerplateSweptAt()) || this.store.documentsWithoutShingles().length > 0;
    const file = inspectIndexFile(this.dataDir, modelId);
    const pending = this.store.countVectorChanges();
    // Not countVectors: counting 250k vectors took 30–160 ms of the writer's event loop.
    const index =
      'reason' in file
        ? this.store.hasVectors(modelId)
        : file.sidecar.generation !== this.store.generation() && (pending >= INDEX_SAVE_AFTER_CHANGES || (options.saveIndex === true && pending > 0));
    return { boilerplate, index, shingles };
  }

  /**
   * Runs what is due, off the event loop. One refresh at a time: a call while one runs waits
   * for it and then runs again (commits made meanwhile are covered).
   */
  refresh(modelId: string, options: RefreshOptions = {}): Promise<DerivedOutcome> {
    const previous = this.running ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.runOnce(modelId, options));
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = null;
    }).catch(() => undefined);
    return run;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Waits for a running refresh, then stops the thread. */
  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private async runOnce(modelId: string, options: RefreshOptions): Promise<DerivedOutcome> {
    const outcome: DerivedOutcome = { boilerplateChanged: null, shinglesMerged: null, index: null };
    this.backfillShingles();
    const due = this.due(modelId, options);
    if (due.shingles) {
      outcome.shinglesMerged = this.store.pendingShingleSets();
      while (!this.store.mergeShingleFrequencies(SHINGLE_MERGE_CHUNK)) await yieldToLoop();
    }
    if (due.boilerplate) {
      const response = await this.call({ kind: 'boilerplate' });
      if (response.kind !== 'boilerplate') throw new Error('derived worker: unexpected reply');
      for (let at = 0; at < response.changes.length || at === 0; at += SCORE_CHUNK) {
        const chunk = response.changes.slice(at, at + SCORE_CHUNK);
        const last = at + SCORE_CHUNK >= response.changes.length;
        this.store.applyBoilerplateChanges(chunk, last ? response.documents : null);
        if (!last) await yieldToLoop();
      }
      outcome.boilerplateChanged = response.changes.length;
    }
    if (due.index) {
      const response = await this.call({ kind: 'index', modelId });
      if (response.kind !== 'index') throw new Error('derived worker: unexpected reply');
      for (const warning of response.warnings) this.log(warning);
      if (response.saved) this.store.pruneVectorChanges(response.generation);
      outcome.index = { generation: response.generation, rebuilt: response.rebuilt, reason: response.reason, saved: response.saved };
    }
    return outcome;
  }

  /** Documents stored before shingle sets were kept get theirs once (a one-time migration). */
  private backfillShingles(): void {
    const missing = this.store.documentsWithoutShingles();
    if (missing.length === 0) return;
    this.log(`boilerplate: adding ${missing.length} document(s) to the document frequencies`);
    for (const { id, texts } of missing) this.store.addShingles(id, documentShingles(texts));
  }

  private call(request: WithoutId<DerivedRequest>): Promise<DerivedResponse> {
    const worker = this.startWorker();
    const id = this.nextId++;
    // Referenced only while a request is in flight: a pending promise alone keeps no process alive.
    worker.ref();
    return new Promise<DerivedResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    }).then((response) => {
      if (this.pending.size === 0) worker.unref();
      if (response.kind === 'error') throw new Error(`derived-data worker: ${response.message}`);
      return response;
    });
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./derivedWorker.boot.mjs', import.meta.url), { workerData: { dataDir: this.dataDir } });
    worker.on('message', (response: DerivedResponse) => {
      const waiter = this.pending.get(response.id);
      this.pending.delete(response.id);
      waiter?.resolve(response);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`derived-data worker exited with ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** One refresh in a short-lived process (`fazhi ingest`, `remove`, `reindex`): runs what is due, then stops the thread. */
export async function refreshDerivedOnce(store: Store, dataDir: string, modelId: string, log: (line: string) => void, options: RefreshOptions = {}): Promise<DerivedOutcome> {
  const refresher = new DerivedRefresher(store, dataDir, log);
  try {
    return await refresher.refresh(modelId, options);
  } finally {
    await refresher.close();
  }
}
