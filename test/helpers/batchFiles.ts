// Batches of distinct files for the queue reliability tests, and the check that the store holds
// exactly them: every document once, each with exactly its parsed passages, nothing orphaned.
import { readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parseReport } from '../../pipeline/parseReport.ts';
import { integrityCounts, snapshotStore } from './storeSnapshot.ts';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../corpus');

/** `copies` copies of each sample report in `dir`, under distinct names (so distinct documents). */
export function copySeeds(dir: string, copies: number): string[] {
  const seeds = readdirSync(CORPUS).filter((f) => f.endsWith('.txt')).sort();
  const sources: string[] = [];
  for (let i = 0; i < copies; i++) {
    for (const seed of seeds) {
      const target = path.join(dir, `copy${i}_${seed}`);
      // Trailing newlines make each copy's bytes its own (equal bytes would be one document with
      // aliases) while it parses to the same passages.
      writeFileSync(target, Buffer.concat([readFileSync(path.join(CORPUS, seed)), Buffer.from('\n'.repeat(i + 1))]));
      sources.push(target);
    }
  }
  return sources;
}

export function expectStoreHoldsExactly(dataDir: string, sources: string[]): void {
  // Files are compared by real path: the CLI stores them relative to the source root (by default
  // the folder holding the data dir), the queue API as given.
  const expected = new Map(sources.map((s) => [realpathSync(s), parseReport(s, readFileSync(s)).passages.map((p) => p.hash)]));
  const root = realpathSync(path.dirname(dataDir));
  const docs = snapshotStore(dataDir).map((d) => ({ ...d, source: path.resolve(root, d.source) }));
  expect(docs.map((d) => d.source).sort((a, b) => a.localeCompare(b))).toEqual([...expected.keys()].sort((a, b) => a.localeCompare(b)));
  for (const doc of docs) expect(doc.passages.map((p) => p.hash), doc.source).toEqual(expected.get(doc.source));
  const total = [...expected.values()].reduce((n, h) => n + h.length, 0);
  expect(integrityCounts(dataDir)).toEqual({ documents: sources.length, passages: total, vectors: total, fts: total, orphanPassages: 0, orphanVectors: 0, duplicateOrdinals: 0 });
}
