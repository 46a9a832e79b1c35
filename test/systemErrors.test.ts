// Real errors from SQLite and the file system become one line naming the path; bugs keep their trace.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSystemError } from '../cli/systemErrors.ts';
import { STORE_FILE } from '../search/store.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'fazhi-syserr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('describeSystemError', () => {
  it('names the store for a write to a read-only database', () => {
    const file = path.join(work, STORE_FILE);
    new Database(file).exec('CREATE TABLE t (x)');
    const db = new Database(file, { readonly: true });
    const err = thrown(() => db.exec('INSERT INTO t VALUES (1)'));
    db.close();
    expect(describeSystemError(err, work)).toBe(`${file}: cannot write to the store: it or its directory is read-only (writing commands need write access; \`search\`, \`similar\`, \`list\` and \`status\` do not) (SQLITE_READONLY)`);
  });

  it('names the store for a file that is not a database', () => {
    const dir = path.join(work, 'junk');
    mkdirSync(dir);
    writeFileSync(path.join(dir, STORE_FILE), 'this is not sqlite '.repeat(100));
    const err = thrown(() => new Database(path.join(dir, STORE_FILE)).pragma('journal_mode = WAL'));
    expect(describeSystemError(err, dir)).toMatch(new RegExp(`^${path.join(dir, STORE_FILE)}: is not a fazhi store`));
  });

  it('names the path of a file-system error; leaves other errors alone', () => {
    const file = path.join(work, 'plain');
    writeFileSync(file, '');
    const err = thrown(() => mkdirSync(path.join(file, 'data'), { recursive: true }));
    expect(describeSystemError(err, undefined)).toMatch(/plain.*: (a part of this path is a file, not a directory \(ENOTDIR\)|exists and is not a directory \(EEXIST\))$/);
    expect(describeSystemError(new TypeError('x is undefined'), work)).toBeNull();
  });
});
