// Approximate nearest-neighbour index (hnswlib, cosine) over the passage vectors of one model,
// in `<dataDir>/hnsw.bin` with a JSON sidecar `<dataDir>/hnsw.json`. The SQLite store is the
// record; this file is a cache of it, rebuilt whenever the sidecar says it no longer matches.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { PassageId, Store, StoredVector } from './store.ts';

export const INDEX_FILE = 'hnsw.bin';
export const SIDECAR_FILE = 'hnsw.json';

// M 16 / efConstruction 200 is hnswlib's recommended recall-oriented setting. On 5,000 random
// 64-d vectors (harder for HNSW than real embeddings, whose intrinsic dimension is low) recall@10
// measured 0.96 at ef 100, 0.99 at ef 150 and 0.996 at ef 200, at well under 1 ms a query.
const M = 16;
const EF_CONSTRUCTION = 200;
const RANDOM_SEED = 100;
const MIN_EF = 200;
const EF_PER_K = 4;
/**
 * An allow-list at most this large is searched exactly: HNSW with a tight filter has to walk
 * far through disallowed nodes and loses recall, while scoring 10k vectors directly takes about
 * 50 ms (getPoint costs ~4 µs).
 */
export const EXACT_SEARCH_MAX_ALLOWED = 10_000;
/** Headroom added when (re)building, so incremental adds rarely have to resize. */
const GROWTH = 1.25;

/** Restricts results: a predicate on passage ids, or the exact set of allowed ids. */
export type LabelFilter = ((label: PassageId) => boolean) | ReadonlySet<PassageId>;

export interface Neighbour {
  id: PassageId;
  /** Cosine similarity, -1..1. */
  score: number;
}

interface Sidecar {
  modelId: string;
  dim: number;
  count: number;
  labelsChecksum: string;
  fileBytes: number;
}

export interface VectorIndexOptions {
  /** Where rebuild reasons go; console.warn by default. */
  warn?: (message: string) => void;
}

export class VectorIndex {
  private index: hnswlib.HierarchicalNSW | null = null;
  private sidecar: Sidecar | null = null;
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
    return this.sidecar?.modelId ?? null;
  }

  get dim(): number | null {
    return this.sidecar?.dim ?? null;
  }

  /** Number of live vectors. */
  get size(): number {
    return this.sidecar?.count ?? 0;
  }

  /**
   * Makes the index match the store's vectors for `modelId`: loads the file when its sidecar
   * agrees with the store (same model, count and id checksum), otherwise rebuilds it from the
   * store, saying why. Returns whether it rebuilt.
   */
  ensureFresh(store: Store, modelId: string): { rebuilt: boolean; reason: string | null } {
    const fingerprint = store.vectorFingerprint(modelId);
    if (this.index && this.sidecar && matches(this.sidecar, modelId, fingerprint)) return { rebuilt: false, reason: null };
    const reason = this.loadIfCurrent(modelId, fingerprint);
    if (reason === null) return { rebuilt: false, reason: null };
    this.warn(`vector index ${join(this.dataDir, INDEX_FILE)}: ${reason}; rebuilding from the store (${fingerprint.count} vectors)`);
    this.rebuild(store, modelId);
    return { rebuilt: true, reason };
  }

  /** Builds the index from scratch from the store's vectors for `modelId` and saves it. */
  rebuild(store: Store, modelId: string): void {
    const { count, checksum } = store.vectorFingerprint(modelId);
    const usage = store.modelsInUse().find((model) => model.modelId === modelId);
    const dim = usage?.dim ?? 0;
    const index = new hnswlib.HierarchicalNSW('cosine', Math.max(dim, 1));
    index.initIndex({ maxElements: Math.max(16, Math.ceil(count * GROWTH)), m: M, efConstruction: EF_CONSTRUCTION, randomSeed: RANDOM_SEED });
    for (const { id, vector } of store.iterateVectors(modelId)) index.addPoint(Array.from(vector), id);
    this.index = index;
    this.points = null;
    this.sidecar = { modelId, dim, count, labelsChecksum: checksum, fileBytes: 0 };
    this.save();
  }

  /**
   * Applies a store change without a rebuild (after Store.putReport / removeBySource), then
   * saves with the store's new fingerprint. Vectors must be of the index's model.
   */
  update(store: Store, change: { removed: readonly PassageId[]; added: readonly StoredVector[] }): void {
    const index = this.requireIndex();
    const sidecar = this.sidecar!;
    if (sidecar.dim === 0) {
      this.rebuild(store, sidecar.modelId); // built while the store had no vectors: dimension unknown until now
      return;
    }
    for (const id of change.removed) {
      try {
        index.markDelete(id);
      } catch {
        // not indexed (e.g. stored under another model): nothing to remove
      }
    }
    this.points = null;
    const needed = index.getCurrentCount() + change.added.length;
    if (needed > index.getMaxElements()) index.resizeIndex(Math.ceil(needed * GROWTH));
    for (const { id, vector } of change.added) {
      if (vector.length !== sidecar.dim) throw new Error(`vector of dimension ${vector.length} for an index of ${sidecar.dim}`);
      index.addPoint(Array.from(vector), id);
    }
    const { count, checksum } = store.vectorFingerprint(sidecar.modelId);
    this.sidecar = { ...sidecar, count, labelsChecksum: checksum };
    this.save();
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

  private loadIfCurrent(modelId: string, fingerprint: Fingerprint): string | null {
    const checked = checkFiles(this.dataDir, modelId, fingerprint);
    if ('reason' in checked) return checked.reason;
    const { sidecar } = checked;
    if (fingerprint.count === 0) {
      this.adopt(null, sidecar);
      return null;
    }
    const index = new hnswlib.HierarchicalNSW('cosine', sidecar.dim);
    try {
      index.readIndexSync(join(this.dataDir, INDEX_FILE));
    } catch (error) {
      return `unreadable (${(error as Error).message})`;
    }
    if (index.getNumDimensions() !== sidecar.dim) return 'unreadable (dimension differs from the sidecar)';
    this.adopt(index, sidecar);
    return null;
  }

  private adopt(index: hnswlib.HierarchicalNSW | null, sidecar: Sidecar): void {
    if (index === null) {
      index = new hnswlib.HierarchicalNSW('cosine', Math.max(sidecar.dim, 1));
      index.initIndex({ maxElements: 16, m: M, efConstruction: EF_CONSTRUCTION, randomSeed: RANDOM_SEED });
    }
    this.index = index;
    this.points = null;
    this.sidecar = sidecar;
  }

  /** Writes the index then the sidecar, each via rename, so a crash leaves a detectable mismatch. */
  private save(): void {
    const index = this.requireIndex();
    const indexPath = join(this.dataDir, INDEX_FILE);
    const sidecarPath = join(this.dataDir, SIDECAR_FILE);
    rmSync(sidecarPath, { force: true });
    index.writeIndexSync(`${indexPath}.tmp`);
    renameSync(`${indexPath}.tmp`, indexPath);
    this.sidecar = { ...this.sidecar!, fileBytes: statSync(indexPath).size };
    writeFileSync(`${sidecarPath}.tmp`, `${JSON.stringify(this.sidecar, null, 2)}\n`);
    renameSync(`${sidecarPath}.tmp`, sidecarPath);
  }

  private requireIndex(): hnswlib.HierarchicalNSW {
    if (!this.index) throw new Error('vector index not loaded: call ensureFresh(store, modelId) first');
    return this.index;
  }
}

type Fingerprint = { count: number; checksum: string };

export interface IndexHealth {
  present: boolean;
  modelId: string | null;
  dim: number | null;
  count: number | null;
  /** Whether the files match the store's vectors for their model (a search would not rebuild). */
  fresh: boolean;
  /** Why it is not fresh. */
  reason: string | null;
}

/** The index files' state against the store, without loading or rebuilding anything. */
export function readIndexHealth(dataDir: string, store: Store): IndexHealth {
  const sidecar = readSidecar(dataDir);
  if (sidecar === null) return { present: false, modelId: null, dim: null, count: null, fresh: false, reason: 'missing' };
  const checked = checkFiles(dataDir, sidecar.modelId, store.vectorFingerprint(sidecar.modelId));
  const reason = 'reason' in checked ? checked.reason : null;
  return { present: true, modelId: sidecar.modelId, dim: sidecar.dim, count: sidecar.count, fresh: reason === null, reason };
}

function readSidecar(dataDir: string): Sidecar | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, SIDECAR_FILE), 'utf8')) as Sidecar;
  } catch {
    return null;
  }
}

/** Everything that can be told about the files without reading the index itself. */
function checkFiles(dataDir: string, modelId: string, fingerprint: Fingerprint): { sidecar: Sidecar } | { reason: string } {
  const indexPath = join(dataDir, INDEX_FILE);
  if (!existsSync(indexPath) || !existsSync(join(dataDir, SIDECAR_FILE))) return { reason: 'missing' };
  const sidecar = readSidecar(dataDir);
  if (sidecar === null) return { reason: 'sidecar unreadable' };
  if (sidecar.modelId !== modelId) return { reason: `built for model ${sidecar.modelId}, not ${modelId}` };
  if (!matches(sidecar, modelId, fingerprint)) {
    const detail = sidecar.count === fingerprint.count ? ' with different ids' : '';
    return { reason: `stale (${sidecar.count} vectors indexed, the store has ${fingerprint.count}${detail})` };
  }
  if (statSync(indexPath).size !== sidecar.fileBytes) return { reason: 'truncated or overwritten (size differs from the sidecar)' };
  return { sidecar };
}

function matches(sidecar: Sidecar, modelId: string, fingerprint: Fingerprint): boolean {
  return sidecar.modelId === modelId && sidecar.count === fingerprint.count && sidecar.labelsChecksum === fingerprint.checksum;
}

function toPredicate(filter: LabelFilter | undefined): ((label: number) => boolean) | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') return filter;
  return (label) => filter.has(label);
}

function normalised(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return vector.map((x) => x / norm);
}

function dot(a: Float32Array, b: ArrayLike<number>, offset: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[offset + i]!;
  return sum;
}
