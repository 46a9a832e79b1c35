import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { InputError } from '../pipeline/errors.ts';
import { formatListNumber } from '../pipeline/listNumberFormat.ts';
import { parseDocument } from '../pipeline/parseReport.ts';
import { readDocumentText } from '../pipeline/readDocument.ts';
import { decodeText } from '../pipeline/readText.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'readers');
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('PDF', () => {
  it('a PDF in a standard Chinese font it does not embed (STSong-Light) gives its text', async () => {
    // Made by fixtures/readers/make-cid-pdf.py with reportlab, as many government templates write such PDFs.
    const { text } = await readDocumentText('cid.pdf', fs.readFileSync(path.join(FIXTURES, 'cid-stsong.pdf')));
    expect(lines(text)).toEqual(['某县2023年法治政府建设年度报告', '一、主要举措和成效', '全年完成合法性审查事项126件。']);
  });
});

describe('DOCX list numbers drawn by Word', () => {
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/';
  const rels = (targets: [string, string][]) =>
    `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${targets
      .map(([type, target], i) => `<Relationship Id="rId${i + 1}" Type="${REL}${type}" Target="${target}"/>`)
      .join('')}</Relationships>`;
  /** A DOCX as Word writes one: the paragraphs name a list (numId) and level (ilvl); numbering.xml says how it is drawn. */
  async function docx(body: string, numbering: string, styles = ''): Promise<Buffer> {
    const zip = new JSZip();
    zip.file(
      '[Content_Types].xml',
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    );
    zip.file('_rels/.rels', rels([['officeDocument', 'word/document.xml']]));
    zip.file('word/_rels/document.xml.rels', rels([['numbering', 'numbering.xml'], ['styles', 'styles.xml']]));
    zip.file('word/document.xml', `<w:document ${W}><w:body>${body}</w:body></w:document>`);
    zip.file('word/numbering.xml', `<w:numbering ${W}>${numbering}</w:numbering>`);
    zip.file('word/styles.xml', `<w:styles ${W}>${styles}</w:styles>`);
    return zip.generateAsync({ type: 'nodebuffer' });
  }
  const p = (text: string, pPr = '') => `<w:p>${pPr && `<w:pPr>${pPr}</w:pPr>`}<w:r><w:t>${text}</w:t></w:r></w:p>`;
  const lvl = (ilvl: number, numFmt: string, lvlText: string, extra = '', start = '1') =>
    `<w:lvl w:ilvl="${ilvl}"><w:start w:val="${start}"/><w:numFmt w:val="${numFmt}"/>${extra}<w:lvlText w:val="${lvlText}"/></w:lvl>`;
  /** Lists 1, 2, … each of one level 0 as given, and a paragraph for each [numId, ilvl, text]. */
  async function numberedLines(levels: string[], paragraphs: [number, number, string][], overrides: string[] = []): Promise<string[]> {
    const numbering =
      levels.map((level, i) => `<w:abstractNum w:abstractNumId="${i}">${level}</w:abstractNum>`).join('') +
      levels.map((_, i) => `<w:num w:numId="${i + 1}"><w:abstractNumId w:val="${i}"/>${overrides[i] ?? ''}</w:num>`).join('');
    const body = paragraphs.map(([numId, ilvl, text]) => p(text, `<w:numPr><w:ilvl w:val="${ilvl}"/><w:numId w:val="${numId}"/></w:numPr>`)).join('');
    return lines((await readDocumentText('list.docx', await docx(body, numbering))).text);
  }

  it('headings numbered by their styles get 一、 and （一）, and the report its sections', async () => {
    // Heading styles link to a two-level list, as a Chinese Word template does; the second level is found
    // by the style it names (w:pStyle), since that style's numPr gives the list only.
    const numbering =
      `<w:abstractNum w:abstractNumId="0">${lvl(0, 'chineseCounting', '%1、')}${lvl(1, 'chineseCounting', '（%2）', '<w:pStyle w:val="H2"/>')}</w:abstractNum>` +
      '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>';
    const style = (id: string, numPr: string) => `<w:style w:type="paragraph" w:styleId="${id}"><w:name w:val="${id}"/><w:pPr><w:numPr>${numPr}</w:numPr></w:pPr></w:style>`;
    const styles = style('H1', '<w:ilvl w:val="0"/><w:numId w:val="1"/>') + style('H2', '<w:numId w:val="1"/>');
    const h1 = '<w:pStyle w:val="H1"/>';
    const h2 = '<w:pStyle w:val="H2"/>';
    const body = [
      p('某县2023年法治政府建设年度报告'),
      p('2023年，全县扎实推进法治政府建设，各项工作取得明显成效。现将有关情况报告如下：'),
      p('2023年推进法治政府建设的主要举措和成效', h1),
      p('健全依法决策机制', h2),
      p('全年完成合法性审查事项126件，提出修改意见300余条，确保决策程序合法、内容合规。'),
      p('深化行政执法改革', h2),
      p('全面推行行政执法三项制度，组织联合抽查45次，覆盖市场主体1496户。'),
      p('存在的不足和原因', h1),
      p('一是法治队伍专业化水平有待提高。二是行政复议纠错力度仍需加大，部分案件办理周期较长。'),
      p('2024年推进法治政府建设的主要安排', h1),
      p('持续提升依法行政能力', h2),
      p('组织领导干部旁听庭审，开展行政执法人员全员轮训，提升依法行政能力和水平。'),
    ].join('');
    const bytes = await docx(body, numbering, styles);
    const { text } = await readDocumentText('numbered.docx', bytes);
    expect(lines(text).filter((l) => !l.endsWith('。') && !l.endsWith('：'))).toEqual([
      '某县2023年法治政府建设年度报告',
      '一、2023年推进法治政府建设的主要举措和成效',
      '（一）健全依法决策机制',
      '（二）深化行政执法改革',
      '二、存在的不足和原因',
      '三、2024年推进法治政府建设的主要安排',
      '（一）持续提升依法行政能力',
    ]);
    const { passages } = await parseDocument('numbered.docx', bytes);
    const shortcoming = passages.find((x) => x.text.startsWith('一是法治队伍'));
    expect(shortcoming?.headingPath[0]).toBe('二、存在的不足和原因');
    expect(shortcoming?.section).toBe('不足');
  });

  it('counts as Word does: lists of one definition continue, a start override restarts, an empty item counts unnumbered', async () => {
    const numbering =
      `<w:abstractNum w:abstractNumId="0">${lvl(0, 'decimal', '%1.')}</w:abstractNum>` +
      '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>' +
      '<w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>' +
      '<w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>';
    const item = (numId: number) => `<w:numPr><w:ilvl w:val="0"/><w:numId w:val="${numId}"/></w:numPr>`;
    const body = [
      p('2023年完成立法项目', item(1)),
      '<w:p><w:pPr>' + item(1) + '</w:pPr></w:p>',
      p('规范涉企检查', item(2)),
      p('重新编号的第一项', item(3)),
      p('第二项', item(3)),
      p('不编号的段落', item(0)),
    ].join('');
    const { text } = await readDocumentText('decimal.docx', await docx(body, numbering));
    // A space after a Latin number, or 1. and 2023年 would read as the decimal 1.2023.
    expect(lines(text)).toEqual(['1. 2023年完成立法项目', '3. 规范涉企检查', '1. 重新编号的第一项', '2. 第二项', '不编号的段落']);
  });

  it('number formats', () => {
    const cases: [number, string, string][] = [
      [3, 'chineseCounting', '三'], [10, 'chineseCounting', '十'], [12, 'chineseCountingThousand', '十二'],
      [20, 'chineseCounting', '二十'], [105, 'chineseCounting', '一百零五'], [11, 'chineseLegalSimplified', '拾壹'],
      [2, 'ideographTraditional', '乙'], [3, 'decimalEnclosedCircle', '③'], [3, 'decimalEnclosedParen', '⑶'],
      [12, 'decimalFullWidth', '１２'], [4, 'upperRoman', 'IV'], [28, 'lowerLetter', 'bb'], [7, 'unknownFormat', '7'],
    ];
    expect(cases.map(([n, numFmt]) => formatListNumber(n, numFmt))).toEqual(cases.map(([, , drawn]) => drawn));
  });

  it('a number a format would draw long or not at all is drawn in decimal', () => {
    expect(formatListNumber(3999, 'lowerRoman')).toBe('mmmcmxcix');
    // 40 M's before; 1e12 ran out of memory, Infinity never returned.
    expect(formatListNumber(40_000, 'upperRoman')).toBe('40000');
    expect(formatListNumber(780, 'lowerLetter')).toBe('z'.repeat(30));
    // 100 million a's before.
    expect(formatListNumber(2.6e9, 'lowerLetter')).toBe('2600000000');
    expect(formatListNumber(Number.NaN, 'chineseCounting')).toBe('NaN');
    expect(formatListNumber(Infinity, 'lowerRoman')).toBe('Infinity');
  });

  it('a list has levels 0–8: a level defined past them is ignored, and a paragraph naming one gets no number', async () => {
    const decimal = lvl(0, 'decimal', '%1.');
    expect(await numberedLines([decimal + lvl(9, 'decimal', '(%1)')], [[1, 0, '甲'], [1, 9, '乙']])).toEqual(['1. 甲', '乙']);
    // Levels stored at the index given made sparse arrays that copying filled in: out of memory.
    const far = lvl(1_000_000_000, 'decimal', '%1.') + lvl(4_294_967_294, 'decimal', '%1.');
    const override = '<w:lvlOverride w:ilvl="1000000000"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:lvlOverride>';
    expect(await numberedLines([decimal + far], [[1, 0, '甲'], [1, 100_000_000, '乙'], [1, 1, '丙']], [override])).toEqual(['1. 甲', '乙', '丙']);
  });

  it('a start that is no integer counts as none given (from 0), a negative one from 0, one past 32767 from 32767', async () => {
    // Word takes 0–32767. A start of "abc" drew "undefined百undefined十undefined、", and -5 drew 五, its minus lost.
    const levels = [lvl(0, 'chineseCounting', '%1、', '', 'abc'), lvl(0, 'ideographDigital', '%1、', '', '-5'), lvl(0, 'decimal', '%1.', '', '99999')];
    const items: [number, number, string][] = [[1, 0, '甲'], [1, 0, '乙'], [2, 0, '丙'], [2, 0, '丁'], [3, 0, '戊']];
    expect(await numberedLines(levels, items)).toEqual(['0、甲', '一、乙', '〇、丙', '一、丁', '32767. 戊']);
    // Starts that ran out of memory (roman 1e12, letters 2.6e9) or never ended (roman Infinity).
    const huge = [lvl(0, 'upperRoman', '%1.', '', '1000000000000'), lvl(0, 'lowerLetter', '%1)', '', '2600000000'), lvl(0, 'lowerRoman', '%1.')];
    const infinite = [undefined, undefined, '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1e999"/></w:lvlOverride>'] as string[];
    expect(await numberedLines(huge, [[1, 0, '甲'], [2, 0, '乙'], [3, 0, '丙']], infinite)).toEqual(['32767. 甲', '32767) 乙', 'i. 丙']);
  });

  it('a level text longer than Word allows (31 characters, a %1 counted as one) draws no number', async () => {
    const levels = [lvl(0, 'decimal', '%1'.repeat(31)), lvl(0, 'decimal', '%1'.repeat(32))];
    expect(await numberedLines(levels, [[1, 0, '甲'], [2, 0, '乙']])).toEqual([`${'1'.repeat(31)} 甲`, '乙']);
    // Drawn in every numbered paragraph, '%1' × 200,000 ran out of string length on the first.
    expect(await numberedLines([lvl(0, 'decimal', '%1'.repeat(200_000))], [[1, 0, '甲']])).toEqual(['甲']);
  });
});

describe('DOCX inflating past the limit', () => {
  /** A ZIP of raw-deflated parts, each declaring the uncompressed size given (CRCs 0: JSZip checks none unless asked). */
  function zipOf(parts: [name: string, deflated: Buffer, declared: number][]): Buffer {
    const entries: Buffer[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    for (const [name, deflated, declared] of parts) {
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(8, 8);
      local.writeUInt32LE(deflated.length, 18);
      local.writeUInt32LE(declared, 22);
      local.writeUInt16LE(name.length, 26);
      const record = Buffer.alloc(46);
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE(20, 4);
      record.writeUInt16LE(20, 6);
      record.writeUInt16LE(8, 10);
      record.writeUInt32LE(deflated.length, 20);
      record.writeUInt32LE(declared, 24);
      record.writeUInt16LE(name.length, 28);
      record.writeUInt32LE(offset, 42);
      entries.push(local, Buffer.from(name), deflated);
      central.push(record, Buffer.from(name));
      offset += 30 + name.length + deflated.length;
    }
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(parts.length, 8);
    end.writeUInt16LE(parts.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...entries, directory, end]);
  }
  // Deflate blocks chain: a MiB of one byte deflates to 1 KB, so the test can make a GiB out of a MB.
  const mebibyte = zlib.deflateRawSync(Buffer.alloc(1 << 20, 'a'), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const inflatingTo = (mebibytes: number) => Buffer.concat([...Array<Buffer>(mebibytes).fill(mebibyte), zlib.deflateRawSync(Buffer.alloc(0))]);
  const part = (name: string, xml: string): [string, Buffer, number] => [name, zlib.deflateRawSync(xml), Buffer.byteLength(xml)];
  const bomb = (document: Buffer, declared: number) =>
    zipOf([
      part('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
      part('_rels/.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
      ['word/document.xml', document, declared],
    ]);
  const refusal = (bytes: Buffer) => readDocumentText('bomb.docx', bytes).then(() => undefined, (e: unknown) => e);

  it('a DOCX whose parts declare more than 32 MiB is refused before anything inflates them', async () => {
    const error = await refusal(bomb(inflatingTo(40), 40 << 20));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/^bomb\.docx: DOCX content is \d+ bytes uncompressed, over the 33554432-byte limit$/);
  });

  it('a DOCX whose headers understate what it inflates to is refused once 32 MiB have inflated', async () => {
    // Declared 1 KB, inflating to 1 GiB: JSZip compares the sizes only once a part has wholly inflated.
    const error = await refusal(bomb(inflatingTo(1024), 1000));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/^bomb\.docx: DOCX content inflates to over the 33554432-byte limit, though its ZIP headers declare \d+ bytes$/);
  });
});

describe('GBK text', () => {
  const report = '某县2023年法治政府建设年度报告\n一、主要举措和成效\n全年完成合法性审查事项126件，提出修改意见300余条。\n';
  it('a GBK report with a table of symbols (①②③ ■ √ ℃ ㎡ Ⅰ Ⅱ) is read', () => {
    const table = Array.from({ length: 30 }, (_, i) => `${i + 1} 事项${i + 1} √ ■ ①②③ ℃ ㎡ Ⅰ Ⅱ ★ → ㈠ №`).join('\n');
    const decoded = decodeText('symbols.txt', iconv.encode(report + table, 'gbk'));
    expect(decoded).toEqual({ text: report + table, encoding: 'GB18030' });
  });
  it('a GBK file with a byte that is not GB18030 says so, not that it looks like GB18030', () => {
    const bytes = Buffer.concat([iconv.encode(report, 'gbk'), Buffer.from([0x81])]);
    expect(() => decodeText('stray.txt', bytes)).toThrow(InputError);
    expect(() => decodeText('stray.txt', bytes)).toThrow(/cannot decode as UTF-8 or GB18030\/GBK \(1 byte sequence is not valid GB18030\)/);
  });
  it('Japanese EUC-JP, whose kana sit where GB2312 has them, is still refused', () => {
    const japanese = iconv.encode('行政手続の透明性を確保するため、全ての処分について理由を示す。東京都の報告書です。', 'euc-jp');
    expect(() => decodeText('japanese.txt', japanese)).toThrow(/cannot decode/);
  });
});

describe('web page fields', () => {
  const page = (title: string, info = '') =>
    Buffer.from(`<html><head><meta charset="utf-8"><title>${title}</title></head><body>${info}<div id="zoom"><p>全年完成合法性审查事项126件。</p></div></body></html>`);
  it.each([
    ['潍坊市奎文区2023年法治政府建设年度报告-潍坊市奎文区人民政府', '潍坊市奎文区2023年法治政府建设年度报告'],
    ['潍坊市奎文区2023年法治政府建设年度报告—潍坊市奎文区人民政府', '潍坊市奎文区2023年法治政府建设年度报告'],
    ['潍坊市奎文区人民政府－潍坊市奎文区2023年法治政府建设年度报告', '潍坊市奎文区2023年法治政府建设年度报告'],
    ['潍坊市奎文区2023年法治政府建设年度报告_潍坊市奎文区人民政府', '潍坊市奎文区2023年法治政府建设年度报告'],
    ['潍坊市奎文区2023年法治政府建设年度报告|潍坊市奎文区人民政府', '潍坊市奎文区2023年法治政府建设年度报告'],
    ['某县2022-2023年法治政府建设情况报告', '某县2022-2023年法治政府建设情况报告'],
    ['法治政府建设年度报告——以某县为例-某县人民政府', '法治政府建设年度报告——以某县为例'],
  ])('<title>%s → %s', async (title, expected) => {
    expect((await readDocumentText('page.html', page(title))).fields?.title).toBe(expected);
  });
  it('the source on an info line ends before the page widgets (【字体：大 中 小】)', async () => {
    const info = '<div class="sj">发布日期：2024年1月30日　　信息来源：寿光市司法局　　【字体：<a>大</a> <a>中</a> <a>小</a>】</div>';
    expect((await readDocumentText('page.html', page('报告', info))).fields).toMatchObject({ publishedAt: '2024-01-30', articleSource: '寿光市司法局' });
  });
  it('date and source in elements of their own are both found', async () => {
    const info = '<div class="info"><span>发布时间：2024-02-05 09:30</span> <span>来源：奎文区司法局</span> <span>浏览次数：123</span></div>';
    expect((await readDocumentText('page.html', page('报告', info))).fields).toMatchObject({ publishedAt: '2024-02-05', articleSource: '奎文区司法局' });
  });
});
