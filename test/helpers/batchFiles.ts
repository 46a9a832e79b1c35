// Batches of distinct files for the queue reliability tests, and the check that the store holds
// exactly them: every document once, each with exactly its parsed passages, nothing orphaned.
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
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
      copyFileSync(path.join(CORPUS, seed), target);
      sources.push(target);
    }
  }
  return sources;
}

export function expectStoreHoldsExactly(dataDir: string, sources: string[]): void {
  const expected = new Map(sources.map((s) => [s, parseReport(s, readFileSync(s)).passages.map((p) => p.hash)]));
  const docs = snapshotStore(dataDir);
  expect(docs.map((d) => d.source)).toEqual([...expected.keys()].sort((a, b) => a.localeCompare(b)));
  for (const doc of docs) expect(doc.passages.map((p) => p.hash), doc.source).toEqual(expected.get(doc.source));
  const total = [...expected.values()].reduce((n, h) => n + h.length, 0);
  expect(integrityCounts(dataDir)).toEqual({ documents: sources.length, passages: total, vectors: total, fts: total, orphanPassages: 0, orphanVectors: 0, duplicateOrdinals: 0 });
}
