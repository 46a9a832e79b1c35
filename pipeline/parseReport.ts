import { hashBytes } from './contentHash.ts';
import { classifyDocument } from './classifyDocument.ts';
import { cleanReport } from './cleanReport.ts';
import { InputError } from './errors.ts';
import { extractMetadata } from './extractMetadata.ts';
import { PARSER_VERSION } from './parserVersion.ts';
import { readDocumentText, type DocumentText } from './readDocument.ts';
import { decodeText } from './readText.ts';
import { splitPassages } from './splitPassages.ts';
import { segmentContext } from './segment.ts';
import { structureReport } from './structureReport.ts';
import type { ParsedReport } from './types.ts';

export { MAX_REPORT_BYTES, SUPPORTED_EXTENSIONS } from './readText.ts';

/**
 * Control characters no report has (tab, LF, CR and FF aside). The byte check before decoding
 * refuses a file only above a 5 % share of them, and never a UTF-16 one, so a file that yields
 * no passage and has any is told as binary rather than as a report that is too short.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/;

/**
 * A plain-text report (.txt, .md) → typed passages with metadata, synchronously.
 * Throws InputError naming `source` for unusable input.
 */
export function parseReport(source: string, bytes: Buffer): ParsedReport {
  return parseText(source, bytes, decodeText(source, bytes));
}

/** Any supported file (text, web page, DOCX, PDF) → the same passages and metadata its text would give. */
export async function parseDocument(source: string, bytes: Buffer): Promise<ParsedReport> {
  return parseText(source, bytes, await readDocumentText(source, bytes));
}

function parseText(source: string, bytes: Buffer, { text, encoding, fields }: DocumentText): ParsedReport {
  const cleaned = cleanReport(text);
  // Fields a web page states outside its article outrank what cleaning finds in the text.
  cleaned.chrome.articleSource = fields?.articleSource ?? cleaned.chrome.articleSource;
  cleaned.chrome.pageDate = fields?.publishedAt ?? cleaned.chrome.pageDate;
  const blocks = structureReport(cleaned.text);
  const split = keptOnce(splitPassages(blocks));
  if (split.length === 0) throw new InputError(source, noPassagesReason(text, cleaned.text));
  const meta = extractMetadata(source, cleaned, blocks);
  const passages = split.map((passage) => ({ ...passage, context: segmentContext(meta.title, passage.headingPath) }));
  return {
    source,
    contentHash: hashBytes(bytes),
    parser: PARSER_VERSION,
    encoding,
    meta: { ...meta, kind: classifyDocument({ ...meta, texts: passages.map((p) => p.text), sections: passages.map((p) => p.section) }) },
    passages,
  };
}

/**
 * A passage the document already holds word for word under the same headings (a web page carrying
 * the report twice, a file of one phrase repeated) is kept once: its copies filled every page of
 * results for their words, and the retrieval's depth held nothing else. The same sentence under
 * another heading (成效 and 安排) is kept there too. Ordinals run on without gaps.
 */
function keptOnce<P extends { hash: string; ordinal: number; headingPath: string[] }>(passages: P[]): P[] {
  const seen = new Set<string>();
  const kept = passages.filter((p) => {
    const key = `${p.headingPath.join('\u0000')}\u0001${p.hash}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return kept.map((p, ordinal) => ({ ...p, ordinal }));
}

/**
 * Why a file gave no passage, in the terms of what it holds: every line was page chrome (a web
 * page of navigation only), the bytes are not text, or what is left is only a title or headings.
 */
function noPassagesReason(text: string, cleanedText: string): string {
  if (CONTROL_CHARACTER.test(text)) return 'file looks binary (control bytes), not a text report';
  if (cleanedText.trim() === '') return 'no report text left after removing page chrome (navigation, headers, footers)';
  return 'no report text: only a title or headings, no paragraph to index (too short, or not a report)';
}
