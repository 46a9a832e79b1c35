// Files built to hurt the readers (a security tester's): each is refused as that file's failure, or
// read, without exhausting the stack or the memory, and the rest of a batch goes on.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
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
      () => 'read',
      (e: unknown) => (e as Error).message,
    );
    expect(wide).toMatch(/^read$|no report text/);
  });

  it('a page declaring charset=base64 is read as its bytes, not decoded from base64 into hidden text', async () => {
    const hidden = Buffer.from('<html><body><p>隐藏的内容与浏览器显示的完全不同，深入推进法治政府建设，取得明显成效。</p></body></html>').toString('base64');
    const page = Buffer.from(`<html><head><meta charset="base64"><title>页面</title></head><body><p>法治政府建设年度报告正文，依法行政取得新进展。</p></body></html><!-- ${hidden} -->`);
    const { passages } = await parseDocument('page.html', page);
    expect(passages.map((p) => p.text).join('')).not.toContain('隐藏的内容');
    expect(passages.map((p) => p.text).join('')).toContain('依法行政取得新进展');
  });

  it('a page is read in linear time, and a script\'s a<b>c is no tag: a page of 3,000 such statements is read', async () => {
    const unclosed = await parseDocument('open.html', Buffer.from(`<html><body><p>依法行政，建设法治政府，取得明显成效。</p>${'<a'.repeat(200_000)}</body></html>`)).then(
      () => 'read',
      (e: unknown) => (e as Error).message,
    );
    expect(unclosed).toBe('read');
    const script = `<script>${Array.from({ length: 3000 }, (_, i) => `if(i<n${i}){x=a>b}`).join(';')}</script>`;
    const page = await parseDocument('script.html', Buffer.from(`<html><head>${script}</head><body><div><p>依法行政，建设法治政府，取得明显成效，群众满意度提升。</p></div></body></html>`));
    expect(page.passages.map((p) => p.text)).toEqual(['依法行政，建设法治政府，取得明显成效，群众满意度提升。']);
  });

  it('a declared charset that is no text encoding is ignored however it is spelt (base-64, utf_16le)', async () => {
    for (const charset of ['base-64', 'utf_16le', 'UCS-2']) {
      const { passages } = await parseDocument('page.html', Buffer.from(`<html><head><meta charset="${charset}"></head><body><p>法治政府建设年度报告正文，依法行政取得新进展。</p></body></html>`));
      expect(passages.map((p) => p.text).join(''), charset).toContain('依法行政取得新进展');
    }
  });

  it('a DOCX holding a large image that compresses well is read: images are not inflated for the text', async () => {
    const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
    const rels = (type: string, target: string) =>
      `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/></Relationships>`;
    const zip = new JSZip();
    zip.file('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>');
    zip.file('_rels/.rels', rels('officeDocument', 'word/document.xml'));
    zip.file('word/_rels/document.xml.rels', rels('numbering', 'numbering.xml'));
    zip.file('word/numbering.xml', `<w:numbering ${W}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>`);
    zip.file('word/document.xml', `<w:document ${W}><w:body><w:p><w:r><w:t>某县2023年法治政府建设年度报告</w:t></w:r></w:p><w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>主要举措和成效</w:t></w:r></w:p><w:p><w:r><w:t>全年完成合法性审查事项126件。</w:t></w:r></w:p></w:body></w:document>`);
    // A 40 MB bitmap of one colour: over the 32 MiB limit on what the text's parts may inflate to.
    zip.file('word/media/image1.bmp', Buffer.alloc(40 * 1024 * 1024));
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const { passages } = await parseDocument('photo.docx', bytes);
    expect(passages.map((p) => [p.headingPath, p.text])).toEqual([[['一、主要举措和成效'], '全年完成合法性审查事项126件。']]);
  });

  it('a run of mark-only lines is one mark opening the text after it', async () => {
    const text = ['某区2023年法治政府建设年度报告', '2023年，本区扎实推进法治政府建设。', ...Array(200).fill('——'), '本区深入推进依法行政工作。'].join('\n');
    const { passages } = await parseDocument('marks.txt', Buffer.from(text));
    expect(passages.map((p) => p.text)).toEqual(['2023年，本区扎实推进法治政府建设。', '——本区深入推进依法行政工作。']);
    // A rule between sections opens nothing: the heading after it stays a heading, its part its own.
    const ruled = ['某区2023年法治政府建设年度报告', '一、主要成效', '2023年，本区扎实推进法治政府建设。', '**********', '二、存在不足', '与群众期待仍有差距。', '——', '三、下一步工作安排', '持续深化法治政府建设。'].join('\n');
    const sections = (await parseDocument('ruled.txt', Buffer.from(ruled))).passages.map((p) => [p.section, p.text]);
    expect(sections).toEqual([['成效', '2023年，本区扎实推进法治政府建设。'], ['不足', '与群众期待仍有差距。'], ['安排', '持续深化法治政府建设。']]);
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
