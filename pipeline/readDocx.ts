import JSZip from 'jszip';
import mammoth from 'mammoth';
import { withListNumbers } from './docxListNumbers.ts';
import { InputError } from './errors.ts';
import type { DocumentText } from './readDocument.ts';

/** A DOCX is a ZIP archive; anything else (a renamed .doc, an HTML "Word" export) fails here with a clear message. */
const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

/**
 * What a DOCX's parts may inflate to, all together. The file limit (20 MB) is on the compressed bytes, and
 * XML compresses well: a 213 KB DOCX whose document.xml inflated to 54 MB took 61 s and 3.9 GB to parse,
 * one of 300 MB ran out of memory. Real reports are far below: a 900-paragraph report's document.xml is
 * 84 KB, a DOCX made from python-docx's template inflates to 830 KB. Photos barely compress, so a DOCX of
 * photos at the 20 MB file limit inflates to about 20 MB; 32 MiB leaves it 12 MB of XML besides. The most
 * it lets through is still heavy: a 29 MB document.xml took 27 s and 2.4 GB, for 120,000 passages (a .txt
 * at the file limit gives 128,000).
 */
const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/**
 * JSZip keeps the sizes a ZIP's central directory declares on a private field (its index.d.ts names it only
 * in a comment). Were it gone, the declared sizes would pass and the count of inflated bytes still hold.
 */
type ZipPart = JSZip.JSZipObject & { _data?: { uncompressedSize?: number } };
/** Parts reading the text never inflates (mammoth's raw text skips images; list numbering copies them compressed). */
const NOT_READ = /^word\/(?:media|embeddings)\//;

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
    const zip = await JSZip.loadAsync(bytes);
    await checkInflatedSize(source, zip);
    raw = (await mammoth.extractRawText({ buffer: await withListNumbers(zip, bytes) })).value;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(source, `cannot read DOCX, the file is damaged or truncated (${(e as Error).message})`);
  }
  const text = raw.replace(/\n{2,}/g, '\n');
  if (text.trim() === '') throw new InputError(source, 'DOCX contains no text');
  return { text, encoding: 'DOCX' };
}

/**
 * Refuses a DOCX whose parts inflate past MAX_INFLATED_BYTES before this reader or mammoth inflates them
 * whole: first by the sizes its central directory declares, then, as those may lie and JSZip compares them
 * only once a part is wholly inflated, by inflating each part as a stream and counting, stopping at the
 * limit (one 16 KB block of input at most past it).
 */
async function checkInflatedSize(source: string, zip: JSZip): Promise<void> {
  // Images and embedded files are never inflated for the text: a bitmap may be large and compress well.
  const parts: ZipPart[] = Object.values(zip.files).filter((part) => !NOT_READ.test(part.name));
  const declared = parts.reduce((sum, part) => sum + (part._data?.uncompressedSize ?? 0), 0);
  if (declared > MAX_INFLATED_BYTES) {
    throw new InputError(source, `DOCX content is ${declared} bytes uncompressed, over the ${MAX_INFLATED_BYTES}-byte limit`);
  }
  let inflated = 0;
  for (const part of parts) {
    await new Promise<void>((resolve, reject) => {
      const stream = part.nodeStream();
      stream.on('data', (chunk: Buffer) => {
        inflated += chunk.length;
        if (inflated <= MAX_INFLATED_BYTES) return;
        stream.pause();
        reject(new InputError(source, `DOCX content inflates to over the ${MAX_INFLATED_BYTES}-byte limit, though its ZIP headers declare ${declared} bytes`));
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
  }
}
