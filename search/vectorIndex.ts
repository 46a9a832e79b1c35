// Approximate nearest-neighbour index (hnswlib, cosine) over the passage vectors of one model,
// in `<dataDir>/hnsw.bin` with a JSON sidecar `<dataDir>/hnsw.json`. The SQLite store is the
// record; this file is a cache of it at a recorded store generation. Any process brings its
// in-memory copy up to the store's generation by replaying the store's vector change log;
// only the writer saves the file, and only a missing or foreign file means a full rebuild.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { PassageId, Store, VectorChanges } from './store.ts';
import { dot, normalised } from '../models/vectors.ts';

export const INDEX_FILE = 'hnsw.bin';
export const SIDECAR_FILE = 'hnsw.json';

// M 16 / efConstruction 200 is hnswlib's recommended recall-oriented setting. On 5,000 random
// 64-d vectors (harder for HNSW than real embeddings, whose intrinsic dimension is low) recall@10
// measured 0.96 at ef 100, 0.99 at ef 150 and 0.996 at ef 200, at well under 1 ms a query.
export const M = 16;
export const EF_CONSTRUCTION = 200;
export const RANDOM_SEED = 100;
const MIN_EF = 200;
const EF_PER_K = 4;
/**
 * An allow-list at most this large is searched exactly: HNSW with a tight filter has to walk
 * far through disallowed nodes and loses recall, while scoring 10k vectors directly takes about
 * 50 ms (getPoint costs ~4 µs).
 */
export const EXACT_SEARCH_MAX_ALLOWED = 10_000;
/** Headroom added when (re)building, so incremental adds rarely have to resize. */
export const GROWTH = 1.25;

/** Restricts results: a predicate on passage ids, or the exact set of allowed ids. */
export type LabelFilter = ((label: PassageId) => boolean) | ReadonlySet<PassageId>;

export interface Neighbour {
  id: PassageId;
  /** Cosine similarity, -1..1. */
  score: number;
}

export interface Sidecar {
  modelId: string;
  dim: number;
  /** Live vectors. */
  count: number;
  /** The store generation the file reflects. */
  generation: number;
  fileBytes: number;
}

export interface VectorIndexOptions {
  /** Where rebuild reasons go; console.warn by default. */
  warn?: (message: string) => void;
}

export interface FreshResult {
  rebuilt: boolean;
  /** Why the file could not be used (null when it could). */
  reason: string | null;
}

export class VectorIndex {
  private index: hnswlib.HierarchicalNSW | null = null;
  private state: Omit<Sidecar, 'fileBytes'> | null = null;
  private points: { ids: number[]; data: Float32Array } | null = null;
  private readonly warn: (message: string) => void;

  constructor(
    readonly dataDir: string,
    options: VectorIndexOptions = {},
  ) {
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  /** An index for `dataDir`, loaded lazily by ensureFresh. */
  static open(dataDir: string, options: VectorIndexOptions = {}): VectorIndex {
    return new VectorIndex(dataDir, options);
  }

  get modelId(): string | null {
    return this.state?.modelId ?? null;
  }

  get dim(): number | null {
    return this.state?.dim ?? null;
  }

  /** Number of live vectors. */
  get size(): number {
    return this.state?.count ?? 0;
  }

  /** The store generation the in-memory index reflects. */
  get generation(): number | null {
    return this.state?.generation ?? null;
  }

  /**
   * Brings the in-memory index to the store's current generation for `modelId`, writing
   * nothing: replays the store's change log onto what is loaded, else loads the file and replays
   * onto it, else (file missing, unreadable, of another model, or older than the log) builds it
   * in memory from the store, saying why. Safe in any reader process.
   */
  ensureFresh(store: Store, modelId: string): FreshResult {
    if (this.index && this.state?.modelId === modelId && this.catchUp(store)) return { rebuilt: false, reason: null };
    let reason = this.loadFile(modelId);
    if (reason === null && this.catchUp(store)) return { rebuilt: false, reason: null };
    reason ??= `older than the store's change log (generation ${this.state?.generation})`;
    // A change log never pruned means no writer has saved an index yet (sync prunes right after
    // saving): a new data dir's first build, not a lost file, so it is not worded as a fault.
    const neverSaved = reason === 'missing' && store.changesSince() === 0;
    const action = neverSaved ? 'building it from the store' : `${reason}; rebuilding from the store`;
    this.warn(`vector index ${join(this.dataDir, INDEX_FILE)}: ${action} (${store.countVectors(modelId)} vectors)`);
    this.buildFromStore(store, modelId);
    return { rebuilt: true, reason };
  }

  /**
   * The writer's refresh: ensureFresh, then saves the file when it is behind, and lets the store
   * forget the change log the file now reflects.
   */
  sync(store: Store, modelId: string): FreshResult & { saved: boolean } {
    const result = this.ensureFresh(store, modelId);
    const saved = this.saveIfBehind();
    if (saved) store.pruneVectorChanges(this.state!.generation);
    return { ...result, saved };
  }

  /** Saves the loaded index when the file on disk is missing or older; whether it saved. */
  saveIfBehind(): boolean {
    const state = this.state;
    if (!state) throw new Error('vector index not loaded: call ensureFresh(store, modelId) first');
    const onDisk = inspectIndexFile(this.dataDir, state.modelId);
    if ('sidecar' in onDisk && onDisk.sidecar.generation === state.generation) return false;
    this.save();
    return true;
  }

  /** Applies the store's changes since the loaded generation; false when they are not available. */
  private catchUp(store: Store): boolean {
    const state = this.state!;
    const changes = store.vectorChangesSince(state.generation, state.modelId);
    if (changes === null) return false;
    if (changes.generation === state.generation) return true;
    return this.apply(changes);
  }

  private apply(changes: VectorChanges): boolean {
    const index = this.index!;
    const state = this.state!;
    const dim = changes.added[0]?.vector.length;
    if (dim !== undefined && dim !== state.dim) return false; // built while empty, or a model of another size
    let count = state.count;
    for (const id of changes.removed) {
      try {
        index.markDelete(id);
        count--;
      } catch {
        // never indexed (another model's vector, or added and removed in between)
      }
    }
    const needed = index.getCurrentCount() + changes.added.length;
    if (needed > index.getMaxElements()) index.resizeIndex(Math.ceil(needed * GROWTH));
    for (const { id, vector } of changes.added) {
      // A replaced vector keeps its label; a new or once-deleted one adds a live point.
      if (!isLive(index, id)) count++;
      index.addPoint(Array.from(vector), id);
    }
    this.points = null;
    this.state = { ...state, count, generation: changes.generation };
    return true;
  }

  /** Builds the index from scratch from one snapshot of the store's vectors for `modelId`. */
  private buildFromStore(store: Store, modelId: string): void {
    const expected = store.countVectors(modelId);
    let index: hnswlib.HierarchicalNSW | null = null;
    const snapshot = store.readVectorSnapshot(modelId, ({ id, vector }) => {
      if (index === null) {
        index = new hnswlib.HierarchicalNSW('cosine', vector.length);
        index.initIndex({ maxElements: Math.max(16, Math.ceil(expected * GROWTH)), m: M, efConstruction: EF_CONSTRUCTION, randomSeed: RANDOM_SEED });
      }
      if (index.getCurrentCount() >= index.getMaxElements()) index.resizeIndex(Math.ceil(index.getMaxElements() * GROWTH));
      index.addPoint(Array.from(vector), id);
    });
    this.index = index ?? emptyIndex(1);
    this.points = null;
    this.state = { modelId, dim: snapshot.dim, count: snapshot.count, generation: snapshot.generation };
  }

  /**
   * The k nearest passages by cosine similarity. The filter is applied inside the search, never
   * to a truncated list; an allow-list small enough is searched exactly instead.
   */
  search(vector: Float32Array, k: number, filter?: LabelFilter): Neighbour[] {
    const index = this.requireIndex();
    if (filter instanceof Set && filter.size <= EXACT_SEARCH_MAX_ALLOWED) return this.exactSearch(vector, k, filter);
    const total = this.size;
    const limit = Math.min(k, total);
    if (limit === 0) return [];
    const predicate = toPredicate(filter);
    const query = Array.from(vector);
    // A filter admitting a fraction f of the points needs about 1/f times the beam to find as
    // many admitted neighbours; a predicate's selectivity is unknown, so it gets the base beam
    // and, if that comes back short, a second pass whose beam spans the whole graph.
    const selectivity = filter instanceof Set ? Math.max(filter.size / Math.max(total, 1), 1e-3) : 1;
    const maxEf = Math.max(total, MIN_EF);
    index.setEf(Math.min(Math.ceil(Math.max(MIN_EF, EF_PER_K * k) / selectivity), maxEf));
    let result = index.searchKnn(query, limit, predicate);
    const wanted = filter instanceof Set ? Math.min(filter.size, limit) : limit;
    if (predicate && result.neighbors.length < wanted && index.getEf() < maxEf) {
      index.setEf(maxEf);
      result = index.searchKnn(query, limit, predicate);
    }
    return result.neighbors.map((id, i) => ({ id, score: 1 - result.distances[i]! }));
  }

  /** Brute-force k nearest passages: the reference for recall, and the path for tight filters. */
  exactSearch(vector: Float32Array, k: number, filter?: LabelFilter): Neighbour[] {
    const index = this.requireIndex();
    const query = normalised(vector);
    const scored: Neighbour[] = [];
    if (filter instanceof Set) {
      for (const id of filter) {
        let point: number[];
        try {
          point = index.getPoint(id);
        } catch {
          continue; // not in the index, or marked deleted
        }
        scored.push({ id, score: dot(query, point, 0) });
      }
    } else {
      const predicate = toPredicate(filter);
      const { ids, data } = this.snapshot();
      for (let row = 0; row < ids.length; row++) {
        const id = ids[row]!;
        if (!predicate || predicate(id)) scored.push({ id, score: dot(query, data, row * query.length) });
      }
    }
    return scored.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
  }

  /**
   * All live points as one matrix, kept until the index changes: unfiltered exact search (the
   * bench's recall reference) would otherwise copy every point out of hnswlib per query. It
   * doubles the vectors' memory, which is why query-time search never takes this path.
   */
  private snapshot(): { ids: number[]; data: Float32Array } {
    if (this.points) return this.points;
    const index = this.requireIndex();
    const dim = index.getNumDimensions();
    const ids: number[] = [];
    const rows: number[][] = [];
    for (const id of index.getIdsList()) {
      try {
        rows.push(index.getPoint(id));
        ids.push(id);
      } catch {
        // marked deleted
      }
    }
    const data = new Float32Array(ids.length * dim);
    rows.forEach((row, i) => data.set(row, i * dim));
    this.points = { ids, data };
    return this.points;
  }

  /** Loads the file when it is usable for `modelId`; otherwise returns why not. */
  private loadFile(modelId: string): string | null {
    const checked = inspectIndexFile(this.dataDir, modelId);
    if ('reason' in checked) return checked.reason;
    const { sidecar } = checked;
    let index: hnswlib.HierarchicalNSW;
    if (sidecar.count === 0 && sidecar.dim === 0) {
      index = emptyIndex(1);
    } else {
      index = new hnswlib.HierarchicalNSW('cosine', sidecar.dim);
      try {
        index.readIndexSync(join(this.dataDir, INDEX_FILE));
      } catch (error) {
        return `unreadable (${(error as Error).message})`;
      }
      if (index.getNumDimensions() !== sidecar.dim) return 'unreadable (dimension differs from the sidecar)';
    }
    this.index = index;
    this.points = null;
    this.state = { modelId: sidecar.modelId, dim: sidecar.dim, count: sidecar.count, generation: sidecar.generation };
    return null;
  }

  /**
   * Writes the index then the sidecar, each to a temp file of its own (two processes saving
   * never share one) renamed into place; the sidecar records the index file's size, so a reader
   * that catches the pair between the two renames sees the mismatch instead of a wrong index.
   */
  private save(): void {
    const index = this.requireIndex();
    const state = this.state!;
    const indexPath = join(this.dataDir, INDEX_FILE);
    const sidecarPath = join(this.dataDir, SIDECAR_FILE);
    const suffix = `${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const indexTemp = `${indexPath}.${suffix}`;
    const sidecarTemp = `${sidecarPath}.${suffix}`;
    try {
      index.writeIndexSync(indexTemp);
      const sidecar: Sidecar = { ...state, fileBytes: statSync(indexTemp).size };
      writeFileSync(sidecarTemp, `${JSON.stringify(sidecar, null, 2)}\n`);
      renameSync(indexTemp, indexPath);
      renameSync(sidecarTemp, sidecarPath);
    } finally {
      rmSync(indexTemp, { force: true });
      rmSync(sidecarTemp, { force: true });
    }
  }

  private requireIndex(): hnswlib.HierarchicalNSW {
    if (!this.index) throw new Error('vector index not loaded: call ensureFresh(store, modelId) first');
    return this.index;
  }
}

function isLive(index: hnswlib.HierarchicalNSW, id: PassageId): boolean {
  try {
    index.getPoint(id); // throws for a label never added or marked deleted
    return true;
  } catch {
    return false;
  }
}

function emptyIndex(dim: number): hnswlib.HierarchicalNSW {
  const index = new hnswlib.HierarchicalNSW('cosine', dim);
  index.initIndex({ maxElements: 16, m: M, efConstruction: EF_CONSTRUCTION, randomSeed: RANDOM_SEED });
  return index;
}

export interface IndexHealth {
  present: boolean;
  modelId: string | null;
  dim: number | null;
  count: number | null;
  /** The store generation the file reflects. */
  generation: number | null;
  /** Whether the file reflects the store's current generation. */
  fresh: boolean;
  /** Why it is not fresh. */
  reason: string | null;
}

/** The index files' state against the store, without loading or rebuilding anything. */
export function readIndexHealth(dataDir: string, store: Store): IndexHealth {
  const sidecar = readSidecar(dataDir);
  if (sidecar === null) {
    const reason = existsSync(join(dataDir, SIDECAR_FILE)) ? `${UNREADABLE_SIDECAR}; ${REBUILD}` : 'missing';
    return { present: false, modelId: null, dim: null, count: null, generation: null, fresh: false, reason };
  }
  const checked = inspectIndexFile(dataDir, sidecar.modelId);
  let reason = 'reason' in checked ? `${checked.reason}; ${REBUILD}` : null;
  const generation = store.generation();
  if (reason === null && sidecar.generation !== generation) {
    reason =
      sidecar.generation < store.changesSince() || sidecar.generation > generation
        ? `stale (generation ${sidecar.generation}, outside the store's change log); ${REBUILD}`
        : `behind the store (generation ${sidecar.generation} of ${generation}; readers replay ${store.countVectorChanges(sidecar.generation)} vector changes in memory)`;
  }
  return { present: true, modelId: sidecar.modelId, dim: sidecar.dim, count: sidecar.count, generation: sidecar.generation, fresh: reason === null, reason };
}

function readSidecar(dataDir: string): Sidecar | null {
  try {
    const sidecar = JSON.parse(readFileSync(join(dataDir, SIDECAR_FILE), 'utf8')) as Partial<Sidecar>;
    return typeof sidecar.generation === 'number' ? (sidecar as Sidecar) : null;
  } catch {
    return null;
  }
}

const UNREADABLE_SIDECAR = 'sidecar unreadable or from an older version';
/** What to do about an index file that no writer will bring up to date by itself. */
const REBUILD = 'searches rebuild it in memory at every start until `fazhi reindex` saves it again';

/** Everything that can be told about the files without reading the index itself. */
export function inspectIndexFile(dataDir: string, modelId: string): { sidecar: Sidecar } | { reason: string } {
  const indexPath = join(dataDir, INDEX_FILE);
  if (!existsSync(indexPath) || !existsSync(join(dataDir, SIDECAR_FILE))) return { reason: 'missing' };
  const sidecar = readSidecar(dataDir);
  if (sidecar === null) return { reason: UNREADABLE_SIDECAR };
  if (sidecar.modelId !== modelId) return { reason: `built for model ${sidecar.modelId}, not ${modelId}` };
  if (statSync(indexPath).size !== sidecar.fileBytes) return { reason: 'truncated or overwritten (size differs from the sidecar)' };
  return { sidecar };
}

function toPredicate(filter: LabelFilter | undefined): ((label: number) => boolean) | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') return filter;
  return (label) => filter.has(label);
}

/** The cosine of two vectors (as the index's cosine space computes it). */
export function cosine(a: Float32Array, b: Float32Array): number {
  return dot(normalised(a), normalised(b), 0);
}
