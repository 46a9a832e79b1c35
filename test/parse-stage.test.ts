// Whatever a file's content makes a reader throw is that file's failure (search/ingest.ts parseStage):
// a RangeError deep inside a library, such as the stack overflow 200,000 PDF text items caused,
// becomes an InputError naming the file, which the batch reports and goes on from.
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../pipeline/errors.ts';
import { parseStage } from '../search/ingest.ts';

vi.mock('../pipeline/parseReport.ts', () => ({
  parseDocument: (source: string) => {
    if (source.endsWith('bad.txt')) throw new InputError(source, 'no report text');
    throw new RangeError('Maximum call stack size exceeded');
  },
}));

describe('parseStage', () => {
  it("turns a reader's unexpected error into that file's InputError, and leaves an InputError as it is", async () => {
    const crash = await parseStage({ source: 'reports/odd.pdf', bytes: Buffer.from('x') }).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(InputError);
    expect((crash as Error).message).toBe('reports/odd.pdf: cannot parse it (RangeError: Maximum call stack size exceeded)');
    const bad = await parseStage({ source: 'reports/bad.txt', bytes: Buffer.from('x') }).catch((e: unknown) => e);
    expect((bad as Error).message).toBe('reports/bad.txt: no report text');
  });
});
