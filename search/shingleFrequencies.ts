// Boilerplate document frequencies (issue 10): how many distinct documents hold each sampled
// shingle, maintained by each document's own commit. Shingle hashes are random, so updating the
// table row by row made one document's ~1,500 shingles dirty ~1,100 of its pages (2,550 pages at
// 98k passages, more at 250k): commits grew from p50 24 ms to 151 ms with the store. Now a commit
// appends its shingle set to a pending log, lookups add the log to the table, and the writer
// folds the log into the table one key range per transaction — every page written once per
// merge instead of once per document.
import type Database from 'better-sqlite3';

export const SHINGLE_DF_SCHEMA = `
CREATE TABLE IF NOT EXISTS shingle_df (shingle INTEGER PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shingle_df_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, sign INTEGER NOT NULL, shingles BLOB NOT NULL);
`;

/**
 * meta value `<through>:<upTo>` while a merge is part-way: pending entries up to seq `through`
 * are in the table for shingles below `upTo`, not yet for the others.
 */
const MERGE_PROGRESS_KEY = 'shingle_df_merge';

interface MergePlan {
  through: number;
  /** Shingles with a non-zero net change, ascending, and their changes. */
  keys: number[];
  deltas: number[];
}

export class ShingleFrequencies {
  /** The merge under way, kept between its transactions (rebuilt from the log after a restart). */
  private plan: MergePlan | null = null;

  constructor(private readonly db: Database.Database) {}

  /** Inside a write: one more (+1) or one fewer (-1) distinct document holds these shingles. */
  record(sign: 1 | -1, shingles: Uint32Array): void {
    this.db.prepare(`INSERT INTO shingle_df_pending (sign, shingles) VALUES (?, ?)`).run(sign, Buffer.from(shingles.buffer, shingles.byteOffset, shingles.byteLength));
  }

  /** Entries in the pending log. */
  pending(): number {
    return this.db.prepare(`SELECT count(*) FROM shingle_df_pending`).pluck().get() as number;
  }

  /** Document frequencies of the given shingles (0 for unknown ones): the table plus the pending log. */
  frequencies(shingles: Iterable<number>): Map<number, number> {
    const lookup = this.db.prepare(`SELECT docs FROM shingle_df WHERE shingle = ?`).pluck();
    const frequency = new Map<number, number>();
    for (const shingle of shingles) frequency.set(shingle, (lookup.get(shingle) as number | undefined) ?? 0);
    const progress = this.progress();
    const rows = this.db.prepare(`SELECT seq, sign, shingles FROM shingle_df_pending`).raw().iterate() as IterableIterator<[number, number, Buffer]>;
    for (const [seq, sign, blob] of rows) {
      const merged = progress !== null && seq <= progress.through;
      for (const shingle of blobToUint32(blob)) {
        const docs = frequency.get(shingle);
        if (docs === undefined || (merged && shingle < progress.upTo)) continue;
        frequency.set(shingle, docs + sign);
      }
    }
    return frequency;
  }

  /**
   * Inside a write: folds the pending log into the table for at most `maxKeys` shingles (the
   * next key range of the merge under way, or of a new one). True when the log is empty after it.
   */
  mergeStep(maxKeys: number): boolean {
    let progress = this.progress();
    if (progress === null) {
      const through = this.db.prepare(`SELECT max(seq) FROM shingle_df_pending`).pluck().get() as number | null;
      if (through === null) return true;
      progress = { through, upTo: 0 };
    }
    if (this.plan?.through !== progress.through) this.plan = this.planMerge(progress.through);
    const { keys, deltas } = this.plan;
    const start = lowerBound(keys, progress.upTo);
    const end = Math.min(keys.length, start + maxKeys);
    const add = this.db.prepare(`INSERT INTO shingle_df (shingle, docs) VALUES (?, ?) ON CONFLICT(shingle) DO UPDATE SET docs = docs + excluded.docs`);
    const subtract = this.db.prepare(`UPDATE shingle_df SET docs = docs + ? WHERE shingle = ?`);
    const dropEmpty = this.db.prepare(`DELETE FROM shingle_df WHERE shingle = ? AND docs <= 0`);
    for (let i = start; i < end; i++) {
      if (deltas[i]! > 0) {
        add.run(keys[i]!, deltas[i]!);
      } else {
        subtract.run(deltas[i]!, keys[i]!);
        dropEmpty.run(keys[i]!);
      }
    }
    if (end < keys.length) {
      this.setProgress(`${progress.through}:${keys[end]!}`);
      return false;
    }
    this.db.prepare(`DELETE FROM shingle_df_pending WHERE seq <= ?`).run(progress.through);
    this.setProgress(null);
    this.plan = null;
    return this.pending() === 0;
  }

  private planMerge(through: number): MergePlan {
    const net = new Map<number, number>();
    const rows = this.db.prepare(`SELECT sign, shingles FROM shingle_df_pending WHERE seq <= ?`).raw().iterate(through) as IterableIterator<[number, Buffer]>;
    for (const [sign, blob] of rows) for (const shingle of blobToUint32(blob)) net.set(shingle, (net.get(shingle) ?? 0) + sign);
    const keys = [...net.keys()].filter((key) => net.get(key) !== 0).sort((a, b) => a - b);
    return { through, keys, deltas: keys.map((key) => net.get(key)!) };
  }

  private progress(): { through: number; upTo: number } | null {
    const value = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(MERGE_PROGRESS_KEY) as string | undefined;
    if (value === undefined) return null;
    const [through, upTo] = value.split(':').map(Number);
    return { through: through!, upTo: upTo! };
  }

  private setProgress(value: string | null): void {
    if (value === null) this.db.prepare(`DELETE FROM meta WHERE key = ?`).run(MERGE_PROGRESS_KEY);
    else this.db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(MERGE_PROGRESS_KEY, value);
  }
}

/** A stored shingle set (uint32, native byte order) as an array; copied, since SQLite's buffers need not be aligned. */
export function blobToUint32(blob: Buffer): Uint32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Uint32Array(copy.buffer);
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
