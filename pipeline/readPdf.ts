import { createRequire } from 'node:module';
import path from 'node:path';
import { extractTextItems, getDocumentProxy, type StructuredTextItem } from 'unpdf';
import { InputError } from './errors.ts';
import { headingRank, SENTENCE_END } from './headingMarkers.ts';
import type { DocumentText } from './readDocument.ts';

/** A PDF starts with this within its first KB, and ends with %%EOF within its last KB (the tolerance readers apply). */
const PDF_HEADER = '%PDF-';
const PDF_TRAILER = '%%EOF';
const MARKER_WINDOW = 1024;
/** Line breaking leaves up to about this many ems free at a wrapped line's end (punctuation compression, kinsoku). */
const WRAP_SLACK = 1;
const LATIN_EM = 0.6;
/** Opening marks stay with what follows; a Latin word or number is unbreakable; closing marks cannot start a line. */
const FIRST_PIECE = /^[“‘《（(【「〔]*(?:[A-Za-z0-9][\w.%/:-]*|.)[，。、；：？！”’》）)】」〕,.;:?!%]*/u;
/**
 * Most lines of body text run to the right margin, a few overhang it (hanging punctuation, Latin text),
 * so the margin is taken at this percentile of right edges rather than at the maximum.
 */
const RIGHT_MARGIN_PERCENTILE = 0.9;
/** A first line starting this many font sizes right of the margin is indented: a new paragraph. */
const INDENT = 0.5;
/** Baselines further apart than this many font sizes have paragraph spacing between them. */
const MAX_LINE_PITCH = 1.9;
/** Page numbers in headers and footers: "3", "- 3 -", "— 3 —", "第3页 共10页". */
const PAGE_NUMBER = /^(?:[-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*\/\s*\d+)$/;
const CJK = '\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uff00-\\uffef';
/** PDF text layers put a space where the font changes or glyphs are spaced out ("2023 年"); Chinese text has none. */
const SPACE_AT_CJK = new RegExp(`(?<=[${CJK}])\\s+|\\s+(?=[${CJK}])`, 'g');
/**
 * pdf.js's character maps (pdfjs-dist, the version unpdf bundles): a PDF in one of the standard Chinese fonts
 * it does not embed (STSong-Light, encoding UniGB-UCS2-H, as reportlab and many government templates write)
 * maps its glyph codes to text only through them; without them every such page has no text. unpdf's own
 * default is a file: URL, which pdf.js's Node reader hands to fs.readFile as a string and cannot open, so
 * the directory is given as a path, with the trailing separator pdf.js appends file names to.
 */
const CMAP_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'cmaps') + path.sep;

/**
 * unpdf opens every page at once: a 9.7 MB PDF of 30,000 trivial pages took 4.3 GB before the
 * process died. An annual report runs to tens of pages, a law to a few hundred.
 */
const MAX_PDF_PAGES = 2000;

interface PdfLine {
  text: string;
  page: number;
  left: number;
  right: number;
  /** Baseline, PDF coordinates (origin bottom left). */
  y: number;
  fontSize: number;
}

/**
 * PDF text layer → paragraphs, one per line. Lines the layout wrapped at the page width are joined back
 * (see `continuesParagraph`), and page numbers are dropped, so that a PDF gives the same paragraphs as the
 * text it was printed from.
 */
export async function readPdf(source: string, bytes: Buffer): Promise<DocumentText> {
  if (!bytes.subarray(0, MARKER_WINDOW).toString('latin1').includes(PDF_HEADER)) {
    throw new InputError(source, 'not a PDF file (no %PDF- header)');
  }
  if (!bytes.subarray(-MARKER_WINDOW).toString('latin1').includes(PDF_TRAILER)) {
    throw new InputError(source, 'PDF is truncated (no %%EOF at the end); download it again');
  }
  const pages = await textItems(source, bytes);
  const lines = pages.flatMap((items, i) => dropPageNumbers(pageLines(items, i)));
  if (lines.every((l) => l.text === '')) {
    throw new InputError(source, 'PDF has no text layer (scanned?); OCR it first');
  }
  return { text: joinWrappedLines(lines).join('\n'), encoding: 'PDF' };
}

async function textItems(source: string, bytes: Buffer): Promise<StructuredTextItem[][]> {
  let pdf;
  try {
    // pdf.js takes ownership of the array it is given, so it gets a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, cMapUrl: CMAP_DIR });
  } catch (e) {
    const reason = (e as Error).name === 'PasswordException' ? 'PDF is encrypted with a password' : `cannot read PDF (${(e as Error).message})`;
    throw new InputError(source, reason);
  }
  try {
    if (pdf.numPages > MAX_PDF_PAGES) throw new InputError(source, `PDF has ${pdf.numPages} pages, over the ${MAX_PDF_PAGES}-page limit`);
    return (await extractTextItems(pdf)).items;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(source, `cannot read PDF, the file is damaged (${(e as Error).message})`);
  } finally {
    await pdf.destroy();
  }
}

/** Items up to each end-of-line mark form a line; an empty line (a blank paragraph) stays as a paragraph break. */
function pageLines(items: readonly StructuredTextItem[], page: number): PdfLine[] {
  const lines: PdfLine[] = [];
  let parts: StructuredTextItem[] = [];
  const flush = () => {
    const visible = parts.filter((p) => p.str.trim() !== '');
    const text = parts.map((p) => p.str).join('').replace(SPACE_AT_CJK, '').replace(/\s+/g, ' ').trim();
    if (visible.length > 0 && text !== '') {
      lines.push({
        text,
        page,
        left: least(visible.map((p) => p.x)),
        right: most(visible.map((p) => p.x + p.width)),
        y: visible[0]!.y,
        fontSize: most(visible.map((p) => p.fontSize)),
      });
    } else if (parts.length > 0) {
      lines.push({ text: '', page, left: 0, right: 0, y: parts[0]!.y, fontSize: 0 });
    }
    parts = [];
  };
  for (const item of items) {
    parts.push(item);
    if (item.hasEOL) flush();
  }
  flush();
  return lines;
}

function dropPageNumbers(lines: PdfLine[]): PdfLine[] {
  const text = lines.filter((l) => l.text !== '');
  const edges = new Set([text[0], text.at(-1)].filter((l) => l !== undefined && PAGE_NUMBER.test(l.text)));
  return lines.filter((l) => !edges.has(l));
}

function joinWrappedLines(lines: readonly PdfLine[]): string[] {
  const text = lines.filter((l) => l.text !== '');
  const margins = { left: least(text.map((l) => l.left)), right: percentile(text.map((l) => l.right), RIGHT_MARGIN_PERCENTILE) };
  const paragraphs: string[] = [];
  let prev: PdfLine | undefined;
  for (const line of lines) {
    if (line.text === '') {
      prev = undefined;
      continue;
    }
    if (prev && continuesParagraph(prev, line, margins)) {
      const space = /[A-Za-z]$/.test(prev.text) && /^[A-Za-z]/.test(line.text) ? ' ' : '';
      paragraphs[paragraphs.length - 1] += space + line.text;
    } else {
      paragraphs.push(line.text);
    }
    prev = line;
  }
  return paragraphs;
}

/**
 * A line continues the one before when the layout had to wrap: its first unbreakable piece (a character,
 * a number, a quote with what it opens) would not have fitted at the end of the line before, and it
 * starts at the left margin without paragraph spacing above it. A paragraph whose last line happens to
 * end near the margin looks the same; it is kept apart only when the next line opens a numbered heading.
 */
function continuesParagraph(prev: PdfLine, line: PdfLine, margins: { left: number; right: number }): boolean {
  const needed = firstPieceWidth(line.text, line.fontSize) + WRAP_SLACK * prev.fontSize;
  const wrapped = prev.right + needed > margins.right;
  const startsAtMargin = line.left <= margins.left + INDENT * line.fontSize;
  const spaced = line.page === prev.page && Math.abs(prev.y - line.y) > MAX_LINE_PITCH * Math.max(prev.fontSize, line.fontSize);
  const opensHeading = SENTENCE_END.test(prev.text.at(-1)!) && headingRank(line.text) !== null;
  return wrapped && startsAtMargin && !spaced && !opensHeading;
}

/** Width of what line breaking keeps together at a line start, from em widths (CJK 1, Latin and digits about 0.6). */
function firstPieceWidth(text: string, fontSize: number): number {
  const piece = text.match(FIRST_PIECE)?.[0] ?? text.slice(0, 1);
  return [...piece].reduce((w, ch) => w + (ch.charCodeAt(0) < 0x80 ? LATIN_EM : 1), 0) * fontSize;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** The smallest and largest of many numbers: Math.min(...xs) overflows the stack past about 100,000 (a line of 200,000 text items). */
function least(xs: readonly number[]): number {
  return xs.reduce((min, x) => (x < min ? x : min), Infinity);
}

function most(xs: readonly number[]): number {
  return xs.reduce((max, x) => (x > max ? x : max), -Infinity);
}
