// A report's identity is its file's canonical path: the real path (symlinks and `.`/`..`
// resolved) relative to the source root, or absolute when the file lies outside the root. So
// `corpus`, `/abs/path/corpus` and `.` typed from inside it name the same documents.
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../pipeline/errors.ts';

/**
 * `--root` > `FAZHI_ROOT` > the directory holding the data directory (for the default `./data`,
 * the folder the command runs in). Sources stay valid when the root moves with its data dir.
 */
export function resolveRoot(flag: string | undefined, dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = flag ?? env.FAZHI_ROOT;
  if (given === undefined) return realOrSelf(path.dirname(path.resolve(dataDir)));
  const name = flag !== undefined ? '--root' : 'FAZHI_ROOT';
  const st = statSync(given, { throwIfNoEntry: false });
  if (!st) throw new InputError(name, `${given} does not exist`);
  if (!st.isDirectory()) throw new InputError(name, `${given} is not a directory`);
  return realpathSync(given);
}

function realOrSelf(p: string): string {
  return existsSync(p) ? realpathSync(p) : p;
}

/** Relative to the root when inside it, else absolute. */
function relativeToRoot(real: string, root: string): string {
  const rel = path.relative(root, real);
  const inside = rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  return inside ? rel : real;
}

/** The source a file is stored under; the file must exist. */
export function canonicalSource(file: string, root: string): string {
  return relativeToRoot(realpathSync(file), root);
}

/**
 * Sources a user's spelling of a path may be stored under, best first: the canonical path of a
 * file still on disk; for one already deleted, its path resolved from here (with its folder's
 * real path) and the spelling read relative to the root (as `fazhi list` prints it); last the
 * spelling as typed, for stores that kept sources as typed.
 */
export function sourceCandidates(spelling: string, root: string): string[] {
  const candidates: string[] = [];
  if (existsSync(spelling)) candidates.push(canonicalSource(spelling, root));
  const absolute = path.resolve(spelling);
  const realFolder = realOrSelf(path.dirname(absolute));
  candidates.push(relativeToRoot(path.join(realFolder, path.basename(absolute)), root));
  if (!path.isAbsolute(spelling)) candidates.push(path.normalize(spelling));
  candidates.push(relativeToRoot(path.resolve(root, spelling), root), spelling);
  return [...new Set(candidates)];
}

/**
 * For stores that recorded sources as typed: the canonical form of a stored source whose file
 * is still there (read relative to the root, then to the current folder), else null.
 */
export function canonicalOfStored(source: string, root: string): string | null {
  for (const candidate of path.isAbsolute(source) ? [source] : [path.resolve(root, source), path.resolve(source)]) {
    if (existsSync(candidate)) return canonicalSource(candidate, root);
  }
  return null;
}

/**
 * Canonical sources for the files a directory walk found, each once: a symlink and its target,
 * or the same folder given twice, are one document.
 */
export function canonicalSources(files: string[], root: string): string[] {
  return [...new Set(files.map((f) => canonicalSource(f, root)))];
}
