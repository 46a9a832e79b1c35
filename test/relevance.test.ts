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

/** The CLI's note under the results when even the best match is noise (search/searchEngine.ts NOISE_LEVEL). */
const NOTE = /note: the best match scores 0\.\d\d, below 0\.1: nothing matches the query well/;

const top = (query: string, mode: string): number => {
  const [hit] = fazhiJson(['search', query, '--mode', mode, '--k', '1', '--data-dir', dataDir]);
  return hit ? (hit.score as number) : 0;
};

describe('relevance scores', () => {
  const nonsense = ['😀🎉🚀🌈', '鬻彘黉畲犴彧', 'qzxv wprt klmn'];
  // A short measure name is a lexical match; dense alone does not single it out among 126
  // passages (cosine 0.50, below the chance floor), so dense is checked on a phrase it finds.
  const real: Record<string, string[]> = {
    hybrid: ['双随机、一公开', '行政复议体制改革'],
    lexical: ['双随机、一公开', '行政复议体制改革'],
    dense: ['行政复议体制改革', '推进严格规范公正文明执法'],
  };

  for (const mode of ['hybrid', 'lexical', 'dense']) {
    it(`${mode}: a real match scores ≥ 0.2 and well above emoji or random characters (≤ 0.05)`, () => {
      const junk = nonsense.map((q) => top(q, mode));
      for (const [i, s] of junk.entries()) {
        expect(s, nonsense[i]).toBeGreaterThanOrEqual(0);
        expect(s, nonsense[i]).toBeLessThanOrEqual(0.05);
      }
      for (const q of real[mode]!) {
        const s = top(q, mode);
        expect(s, q).toBeGreaterThanOrEqual(0.2);
        expect(s, q).toBeLessThanOrEqual(1);
        expect(s - Math.max(...junk), q).toBeGreaterThanOrEqual(0.15);
      }
    });
  }

  it('the CLI notes, on stderr, when even the best match is noise (hybrid and lexical), and not for a real match', () => {
    for (const mode of ['hybrid', 'lexical']) {
      const junk = fazhi(['search', nonsense[0]!, '--mode', mode, '--k', '1', '--data-dir', dataDir]);
      expect(junk.code, mode).toBe(0);
      // Lexical search finds nothing for emoji: no results, nothing to note.
      if (mode === 'hybrid') expect(junk.stderr, mode).toMatch(NOTE);
      else expect(junk.stdout.trim(), mode).toBe('No results.');
      const real = fazhi(['search', '双随机、一公开', '--mode', mode, '--k', '1', '--data-dir', dataDir]);
      expect(real.stderr, mode).not.toMatch(NOTE);
    }
    expect(fazhi(['search', nonsense[2]!, '--mode', 'dense', '--k', '1', '--data-dir', dataDir]).stderr).not.toMatch(NOTE);
  });
});
