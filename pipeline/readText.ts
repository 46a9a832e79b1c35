import path from 'node:path';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { InputError } from './errors.ts';

export const SUPPORTED_EXTENSIONS: readonly string[] = ['.txt', '.md'];
/** Reports are a few dozen KB; anything this large is a wrong file, not a report. */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;

export type TextEncoding = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE' | 'GB18030';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
}

const BINARY_SAMPLE_BYTES = 64 * 1024;
/** Share of control bytes above which a file is taken for binary. Real reports have none besides tab/CR/LF/FF. */
const MAX_CONTROL_SHARE = 0.05;
/** A GB18030 decoding is only believed when nearly all characters are CJK, ASCII or CJK punctuation. */
const MIN_PLAUSIBLE_SHARE = 0.9;

export function decodeText(source: string, bytes: Buffer): DecodedText {
  const ext = path.extname(source).toLowerCase();
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    throw new InputError(
      source,
      `unsupported file type "${ext || '(none)'}"; supported: ${SUPPORTED_EXTENSIONS.join(', ')}`,
    );
  }
  if (bytes.length > MAX_REPORT_BYTES) {
    throw new InputError(source, `file is ${bytes.length} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
  }
  const decoded = decodeBytes(source, bytes);
  if (decoded.text.trim() === '') throw new InputError(source, 'file is empty');
  return decoded;
}

function decodeBytes(source: string, bytes: Buffer): DecodedText {
  // UTF-16 contains NUL bytes by nature, so its BOM must be honoured before the binary check.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(bytes, 'utf-16le'), encoding: 'UTF-16LE' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(bytes, 'utf-16be'), encoding: 'UTF-16BE' };
  if (looksBinary(bytes)) throw new InputError(source, 'file looks binary (NUL or control bytes), not a text report');

  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text, encoding: 'UTF-8' };
  } catch {
    // not UTF-8: try the Chinese national encoding next
  }
  const text = iconv.decode(bytes, 'gb18030');
  if (!text.includes('\ufffd') && plausibleChineseShare(text) >= MIN_PLAUSIBLE_SHARE) {
    return { text, encoding: 'GB18030' };
  }
  const guess = chardet.detect(bytes);
  throw new InputError(
    source,
    `cannot decode as UTF-8 or GB18030/GBK${guess ? ` (looks like ${guess})` : ''}; convert it to UTF-8`,
  );
}

function looksBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, BINARY_SAMPLE_BYTES);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
  }
  return sample.length > 0 && control / sample.length > MAX_CONTROL_SHARE;
}

function plausibleChineseShare(text: string): number {
  let total = 0;
  let plausible = 0;
  for (const ch of text) {
    if (/\s/.test(ch)) continue;
    total++;
    if (/[\x21-\x7e\u3000-\u303f\u4e00-\u9fff\u3400-\u4dbf\uff00-\uffef\u2010-\u2027\u2030-\u205e\u00b7\u00d7]/.test(ch)) plausible++;
  }
  return total === 0 ? 1 : plausible / total;
}
