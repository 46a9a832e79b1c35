import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { InputError } from '../pipeline/errors.ts';
import { MAX_REPORT_BYTES, parseDocument, parseReport } from '../pipeline/parseReport.ts';
import { readDocumentText } from '../pipeline/readDocument.ts';
import type { ParsedReport } from '../pipeline/types.ts';

// Fixtures are renderings of seed 002 made by test/fixtures/make-fixtures.sh (GBK web page, DOCX and PDF
// by LibreOffice, an image-only PDF); they are committed so this suite needs none of those tools.
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const SEED = 'corpus/002_cdd31fdd8f412dcc.txt';
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const seedText = () => parseReport(SEED, fs.readFileSync(path.join(import.meta.dirname, '..', SEED)));
const squash = (s: string) => s.replace(/\s+/g, '');

async function inputError(source: string, bytes: Buffer): Promise<InputError> {
  const error = await parseDocument(source, bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).subject).toBe(source);
  expect((error as InputError).message).toContain(source);
  return error as InputError;
}

describe('one report in every format', () => {
  const txt = seedText();
  it.each([
    ['seed002.html', 'GB18030'],
    ['seed002.docx', 'DOCX'],
    ['seed002.pdf', 'PDF'],
  ])('%s gives the passages and metadata of the .txt', async (name, encoding) => {
    const doc: ParsedReport = await parseDocument(`test/fixtures/${name}`, fixture(name));
    expect(doc.encoding).toBe(encoding);
    expect(doc.meta).toEqual(txt.meta);
    expect(doc.passages).toEqual(txt.passages);
  });
  it('the web page: no navigation, sidebar, info line or footer in the text', async () => {
    const { text } = await readDocumentText('seed002.html', fixture('seed002.html'));
    for (const chrome of ['首页', '当前位置', '关于开展2024年度普法工作的通知', '访问次数', '打印本页', '网站标识码', 'setFontSize']) {
      expect(text).not.toContain(chrome);
    }
    expect(text.split('\n')[0]).toBe('2023年威海市法治政府建设情况报告');
  });
  it('the PDF: lines wrapped at the page width are joined back into paragraphs', async () => {
    const { text } = await readDocumentText('seed002.pdf', fixture('seed002.pdf'));
    const seedParagraphs = fs.readFileSync(path.join(import.meta.dirname, '..', SEED), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(text.split('\n').map(squash)).toEqual(seedParagraphs.map(squash));
  });
  it('a .txt through parseDocument equals parseReport', async () => {
    const bytes = fs.readFileSync(path.join(import.meta.dirname, '..', SEED));
    expect(await parseDocument(SEED, bytes)).toEqual(txt);
  });
});

describe('web pages', () => {
  const page = (head: string, body: string) => `<!DOCTYPE html><html><head>${head}</head><body>${body}</body></html>`;
  const article = '<p>（一）推进依法行政。全面落实行政执法“三项制度”，组织开展行政执法案卷评查，抽查案卷三十三本并逐一反馈评查意见，督促整改到位，执法规范化水平进一步提升。</p>'.repeat(3);
  it('decodes GBK declared by a meta tag and UTF-8 declared by <meta charset>', async () => {
    const gbk = iconv.encode(page('<meta http-equiv="Content-Type" content="text/html; charset=GBK">', `<div id="zoom">${article}</div>`), 'gbk');
    const utf8 = Buffer.from(page('<meta charset="utf-8">', `<div id="zoom">${article}</div>`));
    const a = await readDocumentText('gbk.html', gbk);
    const b = await readDocumentText('utf8.htm', utf8);
    expect(a.encoding).toBe('GB18030');
    expect(b.encoding).toBe('UTF-8');
    expect(a.text).toBe(b.text);
    expect(a.text).toContain('行政执法“三项制度”');
  });
  it('believes the bytes over a stale charset declaration, and detects GBK with none', async () => {
    const stale = Buffer.from(page('<meta charset="gb2312">', `<div id="zoom">${article}</div>`));
    const undeclared = iconv.encode(page('', `<div id="zoom">${article}</div>`), 'gb18030');
    expect((await readDocumentText('stale.html', stale)).encoding).toBe('UTF-8');
    const detected = await readDocumentText('undeclared.shtml', undeclared);
    expect(detected.encoding).toBe('GB18030');
    expect(detected.text).toContain('行政执法“三项制度”');
  });
  it('without a known container takes the block with the most paragraph text; title from <title>, fields from meta tags', async () => {
    const html = page(
      '<meta charset="utf-8"><title>某县2023年法治政府建设年度报告 - 某县人民政府网</title><meta name="PubDate" content="2024-02-01 09:00"><meta name="ContentSource" content="某县司法局">',
      `<h1 class="logo">某县人民政府网</h1><div class="links"><p>友情链接：国务院</p></div><div class="wrap"><div class="txt">${article}</div></div><div class="bottom">版权所有</div>`,
    );
    const { text, fields } = await readDocumentText('page.html', Buffer.from(html));
    expect(fields).toEqual({ title: '某县2023年法治政府建设年度报告', publishedAt: '2024-02-01', articleSource: '某县司法局' });
    expect(text.split('\n')).toHaveLength(4);
    expect(text).not.toMatch(/友情链接|版权所有|人民政府网/);
  });
  it('a broken page (cut mid-tag, unclosed elements) still yields its text', async () => {
    const bytes = fixture('seed002.html');
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const r = await parseDocument('cut.html', cut);
    expect(r.meta.title).toBe('2023年威海市法治政府建设情况报告');
    expect(r.passages.length).toBeGreaterThan(5);
    expect(r.passages.length).toBeLessThan(seedText().passages.length);
    const unclosed = await readDocumentText('unclosed.html', Buffer.from(`<html><body><div id="zoom"><p>${article.replaceAll('</p>', '')}<div><span>`));
    expect(unclosed.text).toContain('执法规范化水平进一步提升。');
  });
});

describe('bad input: an InputError naming the file', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2));
  const cases: [string, string, () => Buffer, RegExp][] = [
    ['empty web page', 'empty.html', () => Buffer.alloc(0), /empty/],
    ['empty DOCX', 'empty.docx', () => Buffer.alloc(0), /empty/],
    ['empty PDF', 'empty.pdf', () => Buffer.alloc(0), /empty/],
    ['binary as a web page', 'image.html', () => png, /binary/],
    ['binary as DOCX', 'image.docx', () => png, /not a DOCX/],
    ['binary as PDF', 'image.pdf', () => png, /not a PDF/],
    ['truncated DOCX', 'cut.docx', () => half(fixture('seed002.docx')), /damaged or truncated/],
    ['truncated PDF', 'cut.pdf', () => half(fixture('seed002.pdf')), /truncated/],
    ['scanned PDF', 'scan.pdf', () => fixture('seed002-scanned.pdf'), /no text layer.*OCR/],
    ['a web page of navigation only', 'nav.html', () => Buffer.from('<html><body><nav>首页 通知公告</nav><footer>版权所有</footer></body></html>'), /no report text|empty/],
    ['a web page of one short line', 'short.html', () => Buffer.from('<html><body><p>hello world</p></body></html>'), /no report text: only a title or headings/],
    ['50 MB of text', 'huge.txt', () => Buffer.alloc(50 * 1024 * 1024, '法治'), new RegExp(`over the ${MAX_REPORT_BYTES}-byte limit`)],
    ['a 50 MB PDF', 'huge.pdf', () => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(50 * 1024 * 1024, 0x20)]), /limit/],
    ['wrong encoding (Latin-1 text)', 'latin1.txt', () => Buffer.from('Café crème brûlée à la carte, naïve façade', 'latin1'), /cannot decode/],
    ['wrong encoding (Latin-1 page declared UTF-8)', 'latin1.html', () => Buffer.from('<meta charset="utf-8"><p>Café crème brûlée, naïve façade</p>', 'latin1'), /cannot decode/],
    ['an old Word .doc', 'report.doc', () => Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), /unsupported file type "\.doc"/],
  ];
  it.each(cases)('%s', async (_, source, bytes, message) => {
    expect((await inputError(source, bytes())).message).toMatch(message);
  });
});
