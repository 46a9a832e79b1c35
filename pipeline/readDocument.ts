import path from 'node:path';
import { readDocx } from './readDocx.ts';
import { readHtml } from './readHtml.ts';
import { readPdf } from './readPdf.ts';
import { checkFileInput, decodeText, HTML_EXTENSIONS, TEXT_EXTENSIONS } from './readText.ts';

/** Fields a web page states outside its article text (<meta name="PubDate">, the 发布日期/来源 line). */
export interface PageFields {
  title?: string;
  /** ISO YYYY-MM-DD. */
  publishedAt?: string;
  articleSource?: string;
}

/** A document's text, one paragraph per line, before cleaning. */
export interface DocumentText {
  text: string;
  /** Character encoding of a text or web page; "DOCX" / "PDF" for documents whose text the format itself encodes. */
  encoding: string;
  fields?: PageFields;
}

/** Any supported file → its text. Throws InputError naming `source` for unusable input. */
export async function readDocumentText(source: string, bytes: Buffer): Promise<DocumentText> {
  checkFileInput(source, bytes);
  const ext = path.extname(source).toLowerCase();
  if (TEXT_EXTENSIONS.includes(ext)) return decodeText(source, bytes);
  if (HTML_EXTENSIONS.includes(ext)) return readHtml(source, bytes);
  if (ext === '.docx') return readDocx(source, bytes);
  return readPdf(source, bytes);
}
