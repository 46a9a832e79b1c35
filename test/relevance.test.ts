// Scores a user can read: with the default model (installed bge-small-zh-v1.5) a real match scores
// well above a query of emoji or random characters, in every mode, and every score is in [0, 1].
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fazhi, fazhiJson } from './helpers/cli.ts';

let dataDir: string;

beforeAll(() => {
  dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fazhi-relevance-')), 'data');
  const r = fazhi(['ingest', 'corpus', '--data-dir', dataDir]);
  expect(r.code, r.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

const top = (query: string, mode: string): number => {
  const [hit] = fazhiJson(['search', query, '--mode', mode, '--k', '1', '--data-dir', dataDir]);
  return hit ? (hit.score as number) : 0;
};

describe('relevance scores', () => {
  const real = ['双随机、一公开', '行政复议体制改革'];
  const nonsense = ['😀🎉🚀🌈', '鬻彘黉畲犴彧', 'qzxv wprt klmn'];

  for (const mode of ['hybrid', 'lexical', 'dense']) {
    it(`${mode}: a real match scores ≥ 0.5, nonsense ≤ 0.2`, () => {
      for (const q of real) {
        const s = top(q, mode);
        expect(s, q).toBeGreaterThanOrEqual(0.5);
        expect(s, q).toBeLessThanOrEqual(1);
      }
      for (const q of nonsense) {
        const s = top(q, mode);
        expect(s, q).toBeGreaterThanOrEqual(0);
        expect(s, q).toBeLessThanOrEqual(0.2);
      }
    });
  }
});
