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
  const split = splitPassages(blocks);
  if (split.length === 0) throw new InputError(source, 'no report text left after removing page chrome');
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
