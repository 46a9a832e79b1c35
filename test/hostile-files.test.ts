// Files built to hurt the readers (a security tester's): each is refused as that file's failure, or
// read, without exhausting the stack or the memory, and the rest of a batch goes on.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../pipeline/errors.ts';
import { parseDocument } from '../pipeline/parseReport.ts';
import { fazhi } from './helpers/cli.ts';

/** A PDF of `pages` pages, each drawing `content` (Helvetica as F1): objects, then an exact xref table. */
function pdf(pages: number, content: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pages} /Kids [${Array.from({ length: pages }, (_, i) => `${i + 5} 0 R`).join(' ')}] >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}\nendstream`,
    ...Array.from({ length: pages }, () => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>'),
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, i) => {
    const at = Buffer.byteLength(body);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const refusal = async (file: string, bytes: Buffer): Promise<string> => {
  const err = await parseDocument(file, bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return (err as Error).message;
};

describe('hostile files', () => {
  it('a web page nested thousands of elements deep is refused, not a stack overflow', async () => {
    const nested = (depth: number) => Buffer.from(`<html><body>${'<div>'.repeat(depth)}依法行政，建设法治政府。${'</div>'.repeat(depth)}</body></html>`);
    expect(await refusal('deep.html', nested(1500))).toMatch(/deep\.html: web page nests its elements \d+ deep, over the limit of 500/);
    // Refused before parsing: the parser itself took 44 s over 100,000.
    expect(await refusal('deeper.html', nested(100_000))).toMatch(/over 2000 deep/);
  });

  it('a PDF of more pages than any report is refused; a line of 200,000 text items is read', async () => {
    expect(await refusal('many.pdf', pdf(2001, 'BT /F1 12 Tf 72 720 Td (x) Tj ET'))).toBe('many.pdf: PDF has 2001 pages, over the 2000-page limit');
    // Math.min(...items) overflowed the stack past about 100,000.
    const items = Array.from({ length: 200_000 }, () => '(a) Tj').join(' ');
    const wide = await parseDocument('wide.pdf', pdf(1, `BT /F1 1 Tf 10 800 Td ${items} ET`)).then(
      (r) => r,
      (e: unknown) => e,
    );
    expect(wide instanceof RangeError).toBe(false);
  });

  it('a page declaring charset=base64 is read as its bytes, not decoded from base64 into hidden text', async () => {
    const hidden = Buffer.from('<html><body><p>隐藏的内容与浏览器显示的完全不同，深入推进法治政府建设，取得明显成效。</p></body></html>').toString('base64');
    const page = Buffer.from(`<html><head><meta charset="base64"><title>页面</title></head><body><p>法治政府建设年度报告正文，依法行政取得新进展。</p></body></html><!-- ${hidden} -->`);
    const { passages } = await parseDocument('page.html', page);
    expect(passages.map((p) => p.text).join('')).not.toContain('隐藏的内容');
    expect(passages.map((p) => p.text).join('')).toContain('依法行政取得新进展');
  });

  it('a run of mark-only lines is one mark opening the text after it', async () => {
    const text = ['某区2023年法治政府建设年度报告', '2023年，本区扎实推进法治政府建设。', ...Array(200).fill('——'), '本区深入推进依法行政工作。'].join('\n');
    const { passages } = await parseDocument('marks.txt', Buffer.from(text));
    expect(passages.map((p) => p.text)).toEqual(['2023年，本区扎实推进法治政府建设。', '——本区深入推进依法行政工作。']);
  });
});

describe('a batch holding a hostile file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-hostile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails that file alone, naming it, and ingests the others", () => {
    const reports = path.join(dir, 'reports');
    mkdirSync(reports);
    writeFileSync(path.join(reports, 'a-deep.html'), `<html><body>${'<div>'.repeat(3000)}依法行政。${'</div>'.repeat(3000)}</body></html>`);
    copyFileSync(path.join(import.meta.dirname, '..', 'corpus', '004_e41503e62c4741d1.txt'), path.join(reports, 'b-good.txt'));
    const r = fazhi(['ingest', reports, '--data-dir', path.join(dir, 'data'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 1, failed: [{ source: expect.stringContaining('a-deep.html'), stage: 'parse', reason: expect.stringContaining('nests its elements') }] });
  });
});
