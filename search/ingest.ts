// Ingestion, the one module both modes run: list → read + hash → parse → embed → commit, one
// file version at a time, reported in one set of outcome, failure and timing types. Embedded mode
// runs the stages in-process (indexFiles); queue mode runs the same stage functions in workers
// (workers/stages.ts) and only moves their typed outputs between queues. Derived data
// (boilerplate scores, the HNSW file) follows the commits: search/derivedRefresh.ts.
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { hashBytes } from '../pipeline/contentHash.ts';
import { checkFileInput, SUPPORTED_EXTENSIONS } from '../pipeline/readText.ts';
import { InputError } from '../pipeline/errors.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import type { Encoder, PassageVectors } from '../models/encoder.ts';
import type { Store } from './store.ts';
import { documentShingles } from './boilerplate.ts';

/** Where a file's ingestion happens; in queue mode `read` is the producer's, the others workers'. */
export type Stage = 'read' | 'parse' | 'embed' | 'write';

/** Milliseconds spent in each stage, summed over a batch (for the bench). */
export type StageTimings = Record<Stage, number>;

/** `superseded`: the store holds a newer version of the source (see Store.writeIfNewer); nothing written. */
export type CommitOutcome = 'added' | 'replaced' | 'unchanged' | 'superseded' | 'aliased';

/** How one file version ended. */
export interface FileDone {
  outcome: CommitOutcome;
  passages: number;
  /** Time per stage; absent for files skipped before parsing in another process. */
  ms?: Partial<StageTimings>;
}

export interface FileFailure {
  stage: Stage;
  reason: string;
}

export interface IngestFailure extends FileFailure {
  source: string;
}

export interface IngestSummary {
  added: number;
  replaced: number;
  unchanged: number;
  /** Files whose bytes equal a stored report under another path, recorded as its aliases. */
  aliased: number;
  passages: number;
  failed: IngestFailure[];
  timings: StageTimings;
}

export interface IngestProgress {
  done: number;
  total: number;
  source: string;
}

export function emptySummary(): IngestSummary {
  return { added: 0, replaced: 0, unchanged: 0, aliased: 0, passages: 0, failed: [], timings: { read: 0, parse: 0, embed: 0, write: 0 } };
}

/** Counts one file's end into a summary, in either mode. */
export function countDone(summary: IngestSummary, done: FileDone): void {
  // Superseded (a newer version came through the other mode meanwhile): the store is unchanged.
  summary[done.outcome === 'superseded' ? 'unchanged' : done.outcome]++;
  if (done.outcome === 'added' || done.outcome === 'replaced') summary.passages += done.passages;
  for (const stage of Object.keys(summary.timings) as Stage[]) summary.timings[stage] += done.ms?.[stage] ?? 0;
}

/** The user-facing reason: InputError already names the file, which the report lists anyway. */
export function reasonOf(err: unknown, source: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
}

/**
 * A failure of the file itself (bad input, a file system error on it), which the batch reports
 * and goes on from; null for anything else, which is a bug or an outage and should propagate.
 */
export function fileFailure(err: unknown, source: string, stage: Stage): IngestFailure | null {
  const fsError = err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
  return err instanceof InputError || fsError ? { source, stage, reason: reasonOf(err, source) } : null;
}

/** Sources are stored as given, minus `./` noise, so re-ingesting the same path finds its document. */
export function normalizeSource(p: string): string {
  return path.normalize(p);
}

/**
 * Names starting with `.` or `_` are site/collection metadata, version control or drafts
 * (`_index.md`, `.DS_Store`, `.git/`, `_drafts/`), not documents, when met in a directory walk:
 * files, folders and links alike. A path named on the command line is read whatever its name.
 */
function isSkippedName(name: string): boolean {
  return /^[._]/.test(name);
}

function isReportName(name: string): boolean {
  return SUPPORTED_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

const NO_REPORT_FILES = `no report files (${SUPPORTED_EXTENSIONS.join(', ')}) in it or its subfolders (names starting with . or _ are skipped)`;

/**
 * Expands files and directories (recursively) into the list of report files. Files in
 * directories with other extensions are skipped silently (a download folder has images,
 * stylesheets…); a file named explicitly with an unsupported extension is a failure the user
 * should hear about, and so is a directory named explicitly that holds no report file at all
 * (a mistyped or wrong folder would otherwise ingest nothing without saying why).
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
      if (isSkippedName(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, root);
      else if (e.isFile() && isReportName(e.name)) files.push(normalizeSource(p));
      else if (e.isSymbolicLink()) {
        const link = await resolveLink(p, root);
        // Only links that would have been ingested (reports, directories) are worth a reason.
        const wanted = isReportName(e.name) || link.kind === 'directory';
        if (link.kind === 'file' && link.inside && isReportName(e.name)) files.push(normalizeSource(p));
        else if (wanted && link.kind === 'broken') failed.push({ source: normalizeSource(p), stage: 'read', reason: 'broken symlink' });
        else if (wanted && !link.inside) failed.push({ source: normalizeSource(p), stage: 'read', reason: `symlink points outside ${root.given}` });
      }
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) failed.push({ source: p, stage: 'read', reason: 'no such file or directory' });
    else if (st.isDirectory()) {
      const before = files.length + failed.length;
      await walk(p, { given: p, real: await realpath(p) });
      if (files.length + failed.length === before) failed.push({ source: p, stage: 'read', reason: NO_REPORT_FILES });
    } else if (!isReportName(p)) {
      // Named, yet no report by its type: bad input like a folder holding none (exit 2 when alone).
      failed.push({ source: p, stage: 'read', reason: `unsupported file type "${path.extname(p) || '(none)'}"; supported: ${SUPPORTED_EXTENSIONS.join(', ')}` });
    } else files.push(normalizeSource(p));
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

/** A file version as the read stage leaves it: checked bytes and the one content hash. */
export interface SourceFile {
  source: string;
  bytes: Buffer;
  contentHash: string;
}

/** Read stage, I/O: a file's bytes from under the source root; a missing or unreadable file is its own failure. */
export async function readSource(source: string, root = '.'): Promise<Buffer> {
  try {
    return await readFile(path.resolve(root, source));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code !== 'string') throw err;
    throw new InputError(source, e.code === 'ENOENT' ? 'no such file or directory' : e.message);
  }
}

/**
 * Read stage, pure: the pipeline's first checks (type, size, empty), so an unusable file never
 * travels further (in queue mode: never through Redis), and the content hash.
 */
export function sourceFile(source: string, bytes: Buffer): SourceFile {
  checkFileInput(source, bytes);
  return { source, bytes, contentHash: hashBytes(bytes) };
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** Parse stage. The parsers (PDF, DOCX, HTML) take ~0.5 s to load: imported on first use. */
export async function parseStage(file: { source: string; bytes: Buffer }): Promise<{ report: ParsedReport; ms: number }> {
  const { parseDocument } = await import('../pipeline/parseReport.ts');
  try {
    const { value: report, ms } = await timed(() => parseDocument(file.source, file.bytes));
    return { report, ms };
  } catch (err) {
    // Whatever a file's content makes a reader or parser throw (a stack overflow on 200,000 PDF text
    // items, a library's RangeError on 3,000 nested <div>) is that file's failure: the batch goes on.
    if (err instanceof InputError) throw err;
    throw new InputError(file.source, `cannot parse it (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`);
  }
}

/**
 * Embed stage: one vector per passage (with its pieces, PassageVectors). Passages whose text has
 * vectors in `known` (the stored version of the same file, Store.vectorsOfSource) take those.
 */
export async function embedStage(
  encoder: Encoder,
  report: ParsedReport,
  known: ReadonlyMap<string, PassageVectors> = new Map(),
): Promise<{ vectors: PassageVectors[]; ms: number }> {
  const { fresh, ms } = await embedNewTexts(encoder, report, (text) => known.has(text));
  return { vectors: report.passages.map((p) => fresh.get(p.text) ?? known.get(p.text)!), ms };
}

/** The vectors of the report's distinct passage texts that `stored` does not claim, each embedded once. */
export async function embedNewTexts(
  encoder: Encoder,
  report: ParsedReport,
  stored: (text: string) => boolean,
): Promise<{ fresh: Map<string, PassageVectors>; ms: number }> {
  const texts = [...new Set(report.passages.map((p) => p.text).filter((text) => !stored(text)))];
  const { value: vectors, ms } = await timed(() => (texts.length > 0 ? encoder.embedPassages(texts) : []));
  return { fresh: new Map(texts.map((text, i) => [text, vectors[i]!])), ms };
}

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
 * a version older than the newest committed for its source writes nothing either. Bytes already
 * stored under another path are recorded as an alias of that document.
 */
export function commitReport(store: Store, report: ParsedReport, vectors: PassageVectors[], modelId: string, version: number = localVersionStamp()): CommitOutcome {
  const existed = store.getDocumentBySource(report.source) !== null;
  const write = store.writeIfNewer(report.source, version, () =>
    store.putReport(report, vectors, modelId, documentShingles(report.passages.map((p) => p.text))),
  );
  if (write.superseded) return 'superseded';
  if (write.result.aliasOf !== undefined) return 'aliased';
  return !write.result.changed ? 'unchanged' : existed ? 'replaced' : 'added';
}

/** Write stage: commitReport, timed, as a FileDone. */
export async function commitStage(store: Store, report: ParsedReport, vectors: PassageVectors[], modelId: string, version: number): Promise<FileDone> {
  const { value: outcome, ms } = await timed(() => commitReport(store, report, vectors, modelId, version));
  return { outcome, passages: report.passages.length, ms: { write: ms } };
}

export interface IndexerDeps {
  store: Store;
  encoder: Encoder;
  /** Directory relative sources are read from (the source root); default the current one. */
  root?: string;
}

/**
 * Embedded mode: the stages in-process, file by file. An unchanged file (same bytes, same model,
 * parsed by this parser) is skipped before parsing; a changed one embeds only the passages its
 * stored version lacks; a bad file is recorded and the batch goes on; each report is committed in
 * its own transaction so an interruption never leaves a half-written document.
 */
export async function indexFiles(
  deps: IndexerDeps,
  files: string[],
  onProgress?: (p: IngestProgress) => void,
): Promise<IngestSummary> {
  const { store, encoder } = deps;
  const summary = emptySummary();
  let done = 0;
  for (const source of files) {
    let stage: Stage = 'read';
    try {
      const version = localVersionStamp();
      const read = await timed(async () => sourceFile(source, await readSource(source, deps.root)));
      const file = read.value;
      if (store.hasCurrent(source, file.contentHash, encoder.modelId)) {
        countDone(summary, { outcome: 'unchanged', passages: 0, ms: { read: read.ms } });
      } else if (store.recordAliasIfDuplicate(source, file.contentHash)) {
        // Same bytes as a stored report: no need to parse or embed them again.
        countDone(summary, { outcome: 'aliased', passages: 0, ms: { read: read.ms } });
      } else {
        stage = 'parse';
        const parsed = await parseStage(file);
        stage = 'embed';
        const embedded = await embedStage(encoder, parsed.report, store.vectorsOfSource(source, encoder.modelId));
        stage = 'write';
        const committed = await commitStage(store, parsed.report, embedded.vectors, encoder.modelId, version);
        countDone(summary, { ...committed, ms: { ...committed.ms, read: read.ms, parse: parsed.ms, embed: embedded.ms } });
      }
    } catch (err) {
      const failure = fileFailure(err, source, stage);
      if (!failure) throw err;
      summary.failed.push(failure);
    }
    onProgress?.({ done: ++done, total: files.length, source });
  }
  return summary;
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
    const vectors = await encoder.embedPassages(batch.map((p) => p.text));
    store.replaceVectors(encoder.modelId, batch.map((p, i) => ({ id: p.id, ...vectors[i]! })));
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
