import { createHash } from 'node:crypto';
import { cleanReport } from './cleanReport.ts';
import { InputError } from './errors.ts';
import { extractMetadata } from './extractMetadata.ts';
import { decodeText } from './readText.ts';
import { splitPassages } from './splitPassages.ts';
import { structureReport } from './structureReport.ts';
import type { ParsedReport } from './types.ts';

export { MAX_REPORT_BYTES, SUPPORTED_EXTENSIONS } from './readText.ts';

/** Raw file bytes → typed passages with metadata. Throws InputError naming `source` for unusable input. */
export function parseReport(source: string, bytes: Buffer): ParsedReport {
  const { text, encoding } = decodeText(source, bytes);
  const cleaned = cleanReport(text);
  const blocks = structureReport(cleaned.text);
  const passages = splitPassages(blocks);
  if (passages.length === 0) throw new InputError(source, 'no report text left after removing page chrome');
  return {
    source,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
    encoding,
    meta: extractMetadata(source, cleaned, blocks),
    passages,
  };
}
