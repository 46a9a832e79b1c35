// Embedded-mode ingestion: the same stage functions the queue workers run, wired in-process.
import { createHash } from 'node:crypto';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from '../pipeline/parseReport.ts';
import { SUPPORTED_EXTENSIONS } from '../pipeline/readText.ts';
import { InputError } from '../pipeline/errors.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Store } from './store.ts';
import { documentShingles } from './boilerplate.ts';

export interface IngestFailure {
  source: string;
  reason: string;
}

/** Milliseconds spent in each stage, summed over a batch (for the bench). */
export interface StageTimings {
  read: number;
  parse: number;
  embed: number;
  write: number;
}

export interface IngestSummary {
  added: number;
  replaced: number;
  unchanged: number;
  passages: number;
  failed: IngestFailure[];
  timings: StageTimings;
}

export interface IngestProgress {
  done: number;
  total: number;
  source: string;
}

/** Sources are stored as given, minus `./` noise, so re-ingesting the same path finds its document. */
export function normalizeSource(p: string): string {
  return path.normalize(p);
}

export function hashBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Names starting with `.` or `_` are site/collection metadata (`_index.md`, `.DS_Store`), not
 * documents, when met in a directory walk.
 */
function isReportName(name: string): boolean {
  return !/^[._]/.test(name) && SUPPORTED_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/**
 * Expands files and directories (recursively) into the list of report files. Files in
 * directories with other extensions are skipped silently (a download folder has images,
 * stylesheets…); a file named explicitly with an unsupported extension is a failure the user
 * should hear about.
 *
 * Symbolic links met in a directory are resolved: one to a report file inside the given
 * directory is ingested under the link's path; one leading outside it is refused with that
 * reason, so that ingesting a directory never reads files the user did not point at. Links to
 * directories inside are not followed (their files are reached by their real path, and a link
 * cannot make the walk loop).
 */
export async function listReportFiles(paths: string[]): Promise<{ files: string[]; failed: IngestFailure[] }> {
  const files: string[] = [];
  const failed: IngestFailure[] = [];
  const walk = async (dir: string, root: { given: string; real: string }): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, root);
      else if (e.isFile() && isReportName(e.name)) files.push(normalizeSource(p));
      else if (e.isSymbolicLink()) {
        const link = await resolveLink(p, root);
        // Only links that would have been ingested (reports, directories) are worth a reason.
        const wanted = isReportName(e.name) || link.kind === 'directory';
        if (link.kind === 'file' && link.inside && isReportName(e.name)) files.push(normalizeSource(p));
        else if (wanted && link.kind === 'broken') failed.push({ source: normalizeSource(p), reason: 'broken symlink' });
        else if (wanted && !link.inside) failed.push({ source: normalizeSource(p), reason: `symlink points outside ${root.given}` });
      }
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) failed.push({ source: p, reason: 'no such file or directory' });
    else if (st.isDirectory()) await walk(p, { given: p, real: await realpath(p) });
    else files.push(normalizeSource(p));
  }
  return { files, failed };
}

async function resolveLink(link: string, root: { real: string }): Promise<{ kind: 'file' | 'directory' | 'other' | 'broken'; inside: boolean }> {
  const target = await realpath(link).catch(() => null);
  if (target === null) return { kind: 'broken', inside: false };
  const rel = path.relative(root.real, target);
  const inside = rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  const st = await stat(target);
  return { kind: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other', inside };
}

export async function embedReport(encoder: Encoder, report: ParsedReport): Promise<Float32Array[]> {
  return encoder.embed(report.passages.map((p) => p.text));
}

/** `superseded`: the store holds a newer version of the source (see Store.writeIfNewer); nothing written. */
export type CommitOutcome = 'added' | 'replaced' | 'unchanged' | 'superseded';

/**
 * The version stamp of a file read now, in embedded mode: wall clock in µs, the unit of the
 * queue's stamps (Redis's clock), so that both modes order the versions of one source.
 */
export function localVersionStamp(): number {
  return Date.now() * 1000;
}

/**
 * The single write step of both modes. Idempotent: committing a version the store already
 * holds (same bytes, same model) writes nothing, so a retried queue job cannot duplicate; and
 * a version older than the newest committed for its source writes nothing either.
 */
export function commitReport(store: Store, report: ParsedReport, vectors: Float32Array[], modelId: string, version: number = localVersionStamp()): CommitOutcome {
  const existed = store.getDocumentBySource(report.source) !== null;
  const write = store.writeIfNewer(report.source, version, () =>
    store.putReport(report, vectors, modelId, documentShingles(report.passages.map((p) => p.text))),
  );
  if (write.superseded) return 'superseded';
  return !write.result.changed ? 'unchanged' : existed ? 'replaced' : 'added';
}

export interface IndexerDeps {
  store: Store;
  encoder: Encoder;
}

/**
 * Ingests files one by one: an unchanged file (same bytes, same model) is skipped before
 * parsing; a bad file is recorded and the batch goes on; each report is committed in its own
 * transaction so an interruption never leaves a half-written document.
 */
export async function indexFiles(
  deps: IndexerDeps,
  files: string[],
  onProgress?: (p: IngestProgress) => void,
): Promise<IngestSummary> {
  const summary: IngestSummary = { added: 0, replaced: 0, unchanged: 0, passages: 0, failed: [], timings: { read: 0, parse: 0, embed: 0, write: 0 } };
  const t = summary.timings;
  let done = 0;
  for (const source of files) {
    try {
      let start = performance.now();
      const version = localVersionStamp();
      const bytes = await readFile(source);
      t.read += performance.now() - start;
      if (deps.store.hasCurrent(source, hashBytes(bytes), deps.encoder.modelId)) {
        summary.unchanged++;
      } else {
        start = performance.now();
        const report = await parseDocument(source, bytes);
        t.parse += performance.now() - start;
        start = performance.now();
        const vectors = await embedReport(deps.encoder, report);
        t.embed += performance.now() - start;
        start = performance.now();
        const outcome = commitReport(deps.store, report, vectors, deps.encoder.modelId, version);
        t.write += performance.now() - start;
        // Superseded (a newer version came through the queue meanwhile): the store is unchanged.
        summary[outcome === 'superseded' ? 'unchanged' : outcome]++;
        if (outcome === 'added' || outcome === 'replaced') summary.passages += report.passages.length;
      }
    } catch (err) {
      if (!(err instanceof InputError) && !isFsError(err)) throw err;
      summary.failed.push({ source, reason: err instanceof InputError ? err.message.replace(`${source}: `, '') : (err as Error).message });
    }
    onProgress?.({ done: ++done, total: files.length, source });
  }
  return summary;
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

const REEMBED_BATCH = 256;

/**
 * Re-embeds, from the stored passage texts, every passage whose vector is missing or from
 * another model. Committed batch by batch, so an interrupted reindex resumes where it stopped.
 */
export async function reembedStale(deps: IndexerDeps, onProgress?: (done: number, total: number) => void): Promise<number> {
  const { store, encoder } = deps;
  const total = store.countPassagesNeedingVectors(encoder.modelId);
  let done = 0;
  while (done < total) {
    const batch = [...takeFirst(store.iteratePassagesNeedingVectors(encoder.modelId), REEMBED_BATCH)];
    if (batch.length === 0) break;
    const vectors = await encoder.embed(batch.map((p) => p.text));
    store.replaceVectors(encoder.modelId, batch.map((p, i) => ({ id: p.id, vector: vectors[i]! })));
    done += batch.length;
    onProgress?.(done, total);
  }
  return done;
}

function* takeFirst<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}
