import mammoth from 'mammoth';
import { withListNumbers } from './docxListNumbers.ts';
import { InputError } from './errors.ts';
import type { DocumentText } from './readDocument.ts';

/** A DOCX is a ZIP archive; anything else (a renamed .doc, an HTML "Word" export) fails here with a clear message. */
const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

/**
 * Word document → its paragraphs, one per line (mammoth's raw text, which ignores styling), with the list
 * numbers Word draws (一、, （一）) written in, since mammoth drops them and headings need their markers.
 */
export async function readDocx(source: string, bytes: Buffer): Promise<DocumentText> {
  if (!bytes.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    throw new InputError(source, 'not a DOCX file (no ZIP signature; an old .doc must be saved as .docx first)');
  }
  let raw: string;
  try {
    raw = (await mammoth.extractRawText({ buffer: await withListNumbers(bytes) })).value;
  } catch (e) {
    throw new InputError(source, `cannot read DOCX, the file is damaged or truncated (${(e as Error).message})`);
  }
  const text = raw.replace(/\n{2,}/g, '\n');
  if (text.trim() === '') throw new InputError(source, 'DOCX contains no text');
  return { text, encoding: 'DOCX' };
}
