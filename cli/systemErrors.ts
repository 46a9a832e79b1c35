// Errors from the file system and SQLite that come from where the user pointed us (a data
// directory that is a file, not writable, on a read-only mount): a sentence naming the path,
// instead of a stack trace.
import path from 'node:path';
import { STORE_FILE } from '../search/store.ts';

const ERRNO_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'exists and is not a directory',
  ENOTDIR: 'a part of this path is a file, not a directory',
  ENOSPC: 'no space left on the device',
  EISDIR: 'is a directory',
};

/** SQLite result codes (better-sqlite3's SqliteError.code) about the store file itself. */
const SQLITE_REASONS: [RegExp, string][] = [
  [/^SQLITE_READONLY/, 'cannot write to the store: it or its directory is read-only (writing commands need write access; `search`, `similar`, `list` and `status` do not)'],
  [/^SQLITE_CANTOPEN/, 'cannot open the store: the directory or the file is not accessible'],
  [/^SQLITE_PERM$/, 'permission denied'],
  [/^SQLITE_NOTADB$/, 'is not a fazhi store (not an SQLite database)'],
  [/^SQLITE_CORRUPT/, 'the store file is damaged'],
  [/^SQLITE_FULL$/, 'no space left on the device'],
];

/** A one-line description, or null for an error that is a bug and should keep its trace. */
export function describeSystemError(err: unknown, dataDir: string | undefined): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return null;
  if (err.name === 'SqliteError') {
    const reason = SQLITE_REASONS.find(([pattern]) => pattern.test(code))?.[1];
    if (!reason) return null;
    return `${dataDir ? path.join(dataDir, STORE_FILE) : 'store'}: ${reason} (${code})`;
  }
  const reason = ERRNO_REASONS[code];
  if (!reason) return null;
  const subject = (err as NodeJS.ErrnoException).path ?? dataDir ?? '';
  return `${subject}: ${reason} (${code})`;
}
