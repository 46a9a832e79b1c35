import path from 'node:path';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { InputError } from './errors.ts';

/** Plain-text reports, read synchronously by parseReport. */
export const TEXT_EXTENSIONS: readonly string[] = ['.txt', '.md'];
export const HTML_EXTENSIONS: readonly string[] = ['.html', '.htm', '.shtml'];
/** Every format parseDocument reads; directory walks pick files by these. */
export const SUPPORTED_EXTENSIONS: readonly string[] = [...TEXT_EXTENSIONS, ...HTML_EXTENSIONS, '.docx', '.pdf'];
/** Reports are a few dozen KB; anything this large is a wrong file, not a report. */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;

export interface DecodedText {
  text: string;
  /** UTF-8, UTF-16LE, UTF-16BE, GB18030, or a charset a web page declared (e.g. Big5). */
  encoding: string;
}

/**
 * Names iconv decodes that are no text encodings: a page declaring charset=base64 or hex was read as
 * junk of that kind instead of as its bytes (those are then detected as any undeclared page's are).
 * Compared without punctuation, as iconv reads names (base-64, utf_16le).
 */
const NOT_A_CHARSET = /^(?:base64|hex|binary|ucs2|utf16(?:le|be)?|utf32(?:le|be)?|utf7(?:imap)?|cesu8)$/;
/** GB2312 and GBK are subsets of GB18030; decoding a page declared as either with GB18030 loses nothing. */
const GB_FAMILY = new Set(['gb2312', 'gbk', 'gb18030', 'x-gbk', 'cp936', 'euc-cn']);
const BINARY_SAMPLE_BYTES = 64 * 1024;
/** Share of control bytes above which a file is taken for binary. Real reports have none besides tab/CR/LF/FF. */
const MAX_CONTROL_SHARE = 0.05;
/** A GB18030 decoding is only believed when nearly all characters are CJK, ASCII, punctuation or GB symbols. */
const MIN_PLAUSIBLE_SHARE = 0.9;
/**
 * What Chinese text holds: ASCII, CJK ideographs and punctuation, full-width forms, and the symbols of
 * GB2312's rows 1–9 that reports use in lists and tables (① ⑴ ⒈ ㈠, Ⅰ ⅰ, √ × ÷ ∑ ≤, ■ □ ○ ● ★ → ↑, ℃ ㎡ ㎏ №,
 * box drawing, Greek letters, pinyin vowels). Without them a GBK report with a table of ticks and circled
 * numbers fell below the share and was refused. GB2312's kana are left out: Japanese EUC-JP text, whose kana
 * sit at the same codes, would otherwise pass for Chinese.
 */
const PLAUSIBLE_CHAR = new RegExp(
  '[\\x21-\\x7e\\u00a4\\u00a7\\u00a8\\u00b0\\u00b1\\u00b7\\u00d7\\u00e0-\\u00fc\\u0101-\\u01dc\\u02c7-\\u02d9' +
    '\\u0391-\\u03c9\\u2010-\\u2027\\u2030-\\u205e\\u2103-\\u2121\\u2160-\\u2179\\u2190-\\u2199\\u2200-\\u22bf\\u2312' +
    '\\u2460-\\u249b\\u2500-\\u2595\\u25a0-\\u25e5\\u2605\\u2606\\u2609\\u2640\\u2642\\u3000-\\u303f' +
    '\\u3220-\\u3229\\u32a3\\u338e-\\u33d5\\u3400-\\u4dbf\\u4e00-\\u9fff\\ufe30-\\ufe6b\\uff00-\\uffef]',
);

/** Checks what every reader needs: a known extension (one of `accepted`) and a size within the limit. */
export function checkFileInput(source: string, bytes: Buffer, accepted: readonly string[] = SUPPORTED_EXTENSIONS): void {
  const ext = path.extname(source).toLowerCase();
  if (!accepted.includes(ext)) {
    throw new InputError(source, `unsupported file type "${ext || '(none)'}"; supported: ${accepted.join(', ')}`);
  }
  if (bytes.length > MAX_REPORT_BYTES) {
    throw new InputError(source, `file is ${bytes.length} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
  }
  if (bytes.length === 0) throw new InputError(source, 'file is empty');
}

export function decodeText(source: string, bytes: Buffer): DecodedText {
  checkFileInput(source, bytes, TEXT_EXTENSIONS);
  const decoded = decodeBytes(source, bytes);
  if (decoded.text.trim() === '') throw new InputError(source, 'file is empty');
  return decoded;
}

/**
 * Bytes → text: a BOM, else strict UTF-8, else the charset the file declares (web pages), else GB18030
 * when the result reads as Chinese. Valid UTF-8 wins over a declaration because pages copied between
 * CMSs often keep a stale gb2312 meta tag, while GBK text is practically never valid UTF-8.
 */
export function decodeBytes(source: string, bytes: Buffer, declaredCharset?: string): DecodedText {
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
  const declared = declaredCharset?.trim().toLowerCase();
  if (declared && !GB_FAMILY.has(declared) && !/^utf-?8$/.test(declared) && !NOT_A_CHARSET.test(declared.replace(/[^0-9a-z]/g, '')) && iconv.encodingExists(declared)) {
    return { text: iconv.decode(bytes, declared), encoding: declared.toUpperCase() };
  }
  const text = iconv.decode(bytes, 'gb18030');
  const invalid = text.match(/\ufffd/g)?.length ?? 0;
  const share = plausibleChineseShare(text);
  if (invalid === 0 && share >= MIN_PLAUSIBLE_SHARE) return { text, encoding: 'GB18030' };
  // chardet's guess names another encoding to convert from; when it guesses GB18030 itself, the reason the
  // decoding was refused is what helps.
  const guess = chardet.detect(bytes);
  const why =
    guess && !GB_FAMILY.has(guess.toLowerCase())
      ? `looks like ${guess}`
      : invalid > 0
        ? `${invalid} byte sequence${invalid === 1 ? ' is' : 's are'} not valid GB18030`
        : `only ${Math.round(share * 100)}% of it reads as Chinese text in GB18030`;
  throw new InputError(source, `cannot decode as UTF-8 or GB18030/GBK (${why}); convert it to UTF-8`);
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
    if (PLAUSIBLE_CHAR.test(ch)) plausible++;
  }
  return total === 0 ? 1 : plausible / total;
}
