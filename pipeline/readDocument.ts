import path from 'node:path';
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

/**
 * Any supported file → its text. Throws InputError naming `source` for unusable input. Each
 * format's reader is imported when a file of that format comes: together (cheerio, mammoth,
 * unpdf) they took 0.9 s of CPU to load, which `fazhi ingest` of one text report paid before
 * it could be searchable.
 */
export async function readDocumentText(source: string, bytes: Buffer): Promise<DocumentText> {
  checkFileInput(source, bytes);
  const ext = path.extname(source).toLowerCase();
  if (TEXT_EXTENSIONS.includes(ext)) return decodeText(source, bytes);
  if (HTML_EXTENSIONS.includes(ext)) return (await import('./readHtml.ts')).readHtml(source, bytes);
  if (ext === '.docx') return (await import('./readDocx.ts')).readDocx(source, bytes);
  return (await import('./readPdf.ts')).readPdf(source, bytes);
}
