// The one content hash of a file version, in both modes: what "unchanged" compares, and part of
// a queue job's id.
import { createHash } from 'node:crypto';

export function hashBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
