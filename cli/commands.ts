// One function per CLI command. They print; the pieces they call do not. Heavy modules (the
// encoder with transformers.js, the document parsers, jieba) are imported inside the commands
// that use them, so `status`, `list`, `remove` and `--help` start in a fraction of the time.
import path from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { InputError } from '../pipeline/errors.ts';
import type { IngestSummary } from '../search/ingest.ts';
import { refreshDerivedOnce } from '../search/derivedRefresh.ts';
import { STORE_FILE, Store, WriterBusyError } from '../search/store.ts';
import type { SimilarSource } from '../search/searchEngine.ts';
import type { App, OpenOptions } from './app.ts';
import { requireModelCurrent, staleSources } from '../search/modelCurrent.ts';
import { type ModelChoice, BUNDLED_MODELS_DIR, REPO_ROOT, defaultModelName, findModel, modelsDir, resolveModelDir, selectedModelSubject, selectionName, writeDataConfig, readDataConfig } from './config.ts';
import { canonicalOfStored, canonicalSources, sourceCandidates } from './identity.ts';
import type { Jurisdiction } from '../pipeline/types.ts';
import { flagOf, parseIntFlag, parseWholeNumber } from './options.ts';
import type { RawFilter } from '../search/filter.ts';
import type { SearchFilter } from '../search/store.ts';
import type { SearchParam } from '../search/errors.ts';
import { listToJson, listToText, toJson, toRows, toText, type ResultRow } from './format.ts';
import { startProgress } from './progress.ts';
import type { HeartbeatView } from '../workers/heartbeat.ts';
import { fileNameForTerminal, forTerminal, jsonForTerminal } from './terminal.ts';

interface Base {
  dataDir: string;
  model?: string;
  /** Checks the model and the data dir; called once the command's own flags are valid (flags first). */
  checkStore?: () => void;
}

/** Commands that name files: their sources are canonical paths under this root (cli/identity.ts). */
interface Rooted {
  root: string;
}

function log(line: string): void {
  process.stderr.write(`${forTerminal(line)}\n`);
}

/**
 * A writer command refused because a `fazhi worker` writer holds the data dir (the store's
 * WriterBusyError), with what this command can do instead: the store's message knows only
 * ingest's way around it, and `remove` has no queue mode at all.
 */
export class QueueWriterHoldsError extends Error {
  constructor(busy: WriterBusyError, instead: string) {
    super(
      `${busy.path}: a queue writer (\`fazhi worker\` ${busy.holder}) is writing to this data directory ` +
        `(its hold ends at most ${Math.max(1, Math.ceil((busy.untilMs - Date.now()) / 1000))} s after it stops); ${instead}`,
    );
    this.name = 'QueueWriterHoldsError';
  }
}

async function refusedWhileQueueWrites<T>(instead: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof WriterBusyError && error.kind === 'queue') throw new QueueWriterHoldsError(error, instead);
    throw error;
  }
}

function printSummary(s: IngestSummary): void {
  const aliased = s.aliased > 0 ? `, ${s.aliased} recorded as aliases (same bytes as a stored report)` : '';
  log(`ingested: ${s.added} added, ${s.replaced} replaced, ${s.unchanged} unchanged, ${s.passages} passages, ${s.failed.length} failed${aliased}`);
  for (const f of s.failed) log(`  skipped ${fileNameForTerminal(f.source)}: ${f.reason}`);
}

/**
 * Vectors from another model cannot be compared with this one's queries: re-embed first.
 * This is what makes switching model (flag, env or `fazhi model use`) trigger a reindex.
 */
async function ensureModelCurrent(app: App): Promise<void> {
  const stale = staleSources(app.store, app.encoder.modelId);
  if (stale.length === 0) return;
  log(`${stale.length} report(s) were embedded with another model; re-embedding with ${app.encoder.modelId}…`);
  await reembed(app);
}

async function reembed(app: App): Promise<number> {
  const { reembedStale } = await import('../search/ingest.ts');
  const bar = startProgress('reindex');
  try {
    return await reembedStale(app, (done, total) => bar.update(done, total));
  } finally {
    bar.stop();
    // A model switch replaces every vector: save the index rather than leave a log that long.
    await refreshDerivedOnce(app.store, app.dataDir, app.encoder.modelId, log, { saveIndex: true });
  }
}

async function withApp<T>(base: Base & Pick<OpenOptions, 'readonly' | 'thesaurus'>, fn: (app: App) => Promise<T>): Promise<T> {
  const { openApp } = await import('./app.ts');
  const app = await openApp(base);
  try {
    return await fn(app);
  } finally {
    app.close();
  }
}

/** The selected model's id, read from its directory without loading it. */
async function selectedModelId(o: Base): Promise<{ modelDir: string; modelId: string }> {
  const modelDir = resolveModelDir(o.model, o.dataDir);
  const { readModelId } = await import('../models/encoder.ts');
  return { modelDir, modelId: await readModelId(modelDir) };
}

/**
 * Stores from before canonical sources kept paths as typed; the writer rewrites them once
 * (merging documents that were one file under several spellings).
 */
function migrateSources(store: Store, root: string): void {
  if (store.sourcesAreCanonical()) return;
  const { renamed, merged, aliased } = store.canonicalizeSources((source) => canonicalOfStored(source, root));
  log(`sources: ${renamed} stored path(s) rewritten as canonical paths under ${root}, ${merged} duplicate document(s) merged, ${aliased} copy(ies) recorded as aliases`);
}

/** Commands with --queue: the producer's bound on a Redis that stopped answering. */
interface QueueFlags {
  queue: boolean;
  redisDownMs?: string;
}

export async function ingestCommand(o: Base & Rooted & QueueFlags & { paths: string[]; json?: boolean }): Promise<void> {
  const { listReportFiles } = await import('../search/ingest.ts');
  const { files: found, failed } = await listReportFiles(o.paths);
  if (found.length === 0 && failed.length > 0) {
    throw new InputError(failed[0].source, failed[0].reason);
  }
  const files = canonicalSources(found, o.root);
  const summary = o.queue
    ? await runQueueBatch(o, files)
    : await refusedWhileQueueWrites('ingest through it with --queue, or stop it first', () =>
        withApp(o, async (app) => {
          const { indexFiles } = await import('../search/ingest.ts');
          migrateSources(app.store, o.root);
          const bar = startProgress('ingest');
          const s = await indexFiles({ ...app, root: o.root }, files, (p) => bar.update(p.done, p.total, fileNameForTerminal(path.basename(p.source))));
          bar.stop();
          // A store of two models answers no search: reports embedded with another (FAZHI_MODEL
          // changed between ingests) are re-embedded with this one, which the data dir then selects
          // where it was named (--model, FAZHI_MODEL), so later commands without it agree.
          // Not where nothing could be ingested: a command that failed changes nothing else.
          if (s.added + s.replaced + s.unchanged + s.aliased > 0) {
            await ensureModelCurrent(app);
            selectIfAllEmbeddedWith(app.store, app.dataDir, app.model, app.encoder.modelId, 'ingest');
          }
          await refreshDerivedOnce(app.store, app.dataDir, app.encoder.modelId, log);
          return s;
        }),
      );
  summary.failed.unshift(...failed);
  printSummary(summary);
  if (o.json) {
    // For a script driving a batch: which files failed, at which stage, and why.
    const { added, replaced, unchanged, aliased, passages } = summary;
    const failures = summary.failed.map((f) => ({ source: f.source, stage: f.stage, reason: f.reason }));
    process.stdout.write(jsonForTerminal({ added, replaced, unchanged, aliased, passages, failed: failures }) + '\n');
  }
  if (summary.added + summary.replaced + summary.unchanged + summary.aliased === 0) process.exitCode = 1;
}

async function runQueueBatch(o: Base & Rooted & QueueFlags, files: string[]): Promise<IngestSummary> {
  const redisDownMs = parseIntFlag('--redis-down-ms', o.redisDownMs ?? '60000', 1000, 86_400_000);
  // The producer only reads the store: opening it as a writer would claim the fencing epoch and
  // stop the queue's writer. A store not there yet is created (canonical) by that writer.
  if (existsSync(path.join(o.dataDir, STORE_FILE))) {
    const store = Store.openReadOnly(o.dataDir);
    try {
      if (!store.sourcesAreCanonical()) {
        throw new InputError('--data-dir', `${o.dataDir} holds sources recorded as typed (before canonical paths); run \`fazhi ingest\` once without --queue (workers stopped) to migrate them`);
      }
    } finally {
      store.close();
    }
  }
  const { runBatch } = await import('../workers/batch.ts');
  const bar = startProgress('queue');
  // Ctrl-C stops this producer only: the workers go on with what it queued, which a user who
  // sees the command end would not expect.
  const interrupted = () => {
    bar.stop();
    log('interrupted: the files queued so far are still ingested by the workers (`fazhi status` shows the batch); run the same ingest again for the rest (what is stored by then is skipped)');
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    return await runBatch({ dataDir: o.dataDir, modelDir: resolveModelDir(o.model, o.dataDir), files, root: o.root, redisDownMs, onProgress: (p) => bar.update(p.done, p.total) });
  } finally {
    process.off('SIGINT', interrupted);
    bar.stop();
  }
}

export async function removeCommand(o: Base & Rooted & { source: string }): Promise<void> {
  const store = await refusedWhileQueueWrites('`fazhi remove` has no queue mode: stop the writer first, then remove', async () => Store.open(o.dataDir));
  try {
    migrateSources(store, o.root);
    const typed = sourceCandidates(o.source, o.root);
    const source = typed.find((s) => store.hasSource(s)) ?? shownAs(store, typed);
    if (source === undefined) throw new InputError(o.source, 'is not in the store (`fazhi list` shows what is)');
    const removed = store.removeSource(source)!;
    if (removed.removed === 'document' && removed.keptAs === undefined) {
      await refreshDerivedOnce(store, o.dataDir, (await selectedModelId(o)).modelId, log);
    }
    if (removed.removed === 'alias') log(`removed ${fileNameForTerminal(source)} (an alias; the report stays stored under its other path)`);
    else if (removed.keptAs) log(`removed ${fileNameForTerminal(source)}; its report stays stored under ${fileNameForTerminal(removed.keptAs)} (same bytes)`);
    else log(`removed ${fileNameForTerminal(source)}`);
  } finally {
    store.close();
  }
}

/**
 * The stored path `fazhi list` printed as one of `typed`: a file name holding escape sequences or
 * control characters or line breaks is shown without them (fileNameForTerminal), and the user types what was shown.
 */
function shownAs(store: Store, typed: readonly string[]): string | undefined {
  const matching = store
    .documents()
    .flatMap((d) => [d.source, ...d.aliases])
    .filter((stored) => typed.includes(fileNameForTerminal(stored)));
  if (matching.length > 1) throw new InputError(typed[0]!, `names ${matching.length} stored paths once their control characters are left out; remove them by their path as stored (\`fazhi list --json\`)`);
  return matching[0];
}

export async function listCommand(o: Base & Rooted & { flags: Omit<RawFilter, 'section'> & { json?: boolean } }): Promise<void> {
  const { parseFilter } = await import('../search/filter.ts');
  const { json, ...raw } = o.flags;
  const filter = parseFilter(raw, note);
  // Only reads: it answers while another process writes, and in a directory it cannot write.
  const store = Store.openReadOnly(o.dataDir);
  try {
    const { catalogueEntry } = await import('../server/catalogue.ts');
    // A report whose file was deleted or moved since stays stored until removed: said, so that a
    // spring's re-ingest of a folder can be followed by removing what left it.
    // Looked for where ingest would have named it from: under the root, or (a store that kept
    // sources as typed) from here.
    const gone = (source: string) => canonicalOfStored(source, o.root) === null;
    const reports = store.documentsMatching(filter).map((d) => ({ ...catalogueEntry(d), missing: gone(d.source), aliasesMissing: d.aliases.filter(gone) }));
    process.stdout.write((json ? listToJson(reports) : listToText(reports, o.root, Object.keys(filter).length > 0)) + '\n');
  } finally {
    store.close();
  }
}

function print(rows: ResultRow[], json: boolean, offset: number): void {
  process.stdout.write((json ? toJson(rows) : toText(rows, offset)) + '\n');
}

/** A region flag read as something else (a former county name), said on stderr. */
function note(param: SearchParam, line: string): void {
  log(`${flagOf(param)} ${line}`);
}

export async function searchCommand(
  o: Base & { query: string; flags: RawFilter & { k: string; offset: string; mode: string; by: string; expand?: boolean; json?: boolean } },
): Promise<void> {
  // The search layer's own checks, before the model loads; its errors name the flag (cli/main.ts).
  const { searchWithMatches, nothingMatchesWell, NOISE_LEVEL, validateQuery, validateK, validateOffset, validateMode, validateBy } = await import('../search/searchEngine.ts');
  const { parseFilter } = await import('../search/filter.ts');
  const query = validateQuery(o.query);
  const k = validateK(parseWholeNumber('--k', o.flags.k));
  const offset = validateOffset(parseWholeNumber('--offset', o.flags.offset));
  const mode = validateMode(o.flags.mode);
  const by = validateBy(o.flags.by);
  const filter = parseFilter(o.flags, note);
  // A bad FAZHI_THESAURUS is named before the model loads; only search reads it.
  const { configuredThesaurus } = await import('./app.ts');
  const thesaurus = configuredThesaurus();
  o.checkStore?.();
  await withApp({ ...o, readonly: true, thesaurus }, async (app) => {
    requireModelCurrent(app.store, app.encoder.modelId, app.dataDir, app.model);
    // Lexical search reads only the store: loading the vector index cost it 1.1 s of its 4.9 s
    // (and 0.6 GB) on a 250k-passage store.
    if (mode !== 'lexical') app.index.ensureFresh(app.store, app.encoder.modelId);
    const { results, matches, terms } = await searchWithMatches(app, query, { k, offset, mode, by, filter, expand: o.flags.expand !== false });
    if (terms.expansion.length > 0) log(`note: also searched for the reports' words ${terms.expansion.join(' ')} (--no-expand: only the query's own words)`);
    if (nothingMatchesWell(mode, matches)) log(`note: the best match scores ${matches[0]!.score.toFixed(2)}, below ${NOISE_LEVEL}: nothing matches the query well`);
    print(toRows(results), !!o.flags.json, offset);
  });
}

export async function similarCommand(o: Base & { id?: string; flags: RawFilter & { k: string; offset: string; mode: string; text?: string; otherRegions?: boolean; json?: boolean } }): Promise<void> {
  const { similar, nothingMatchesWell, NOISE_LEVEL, validateText, validateK, validateOffset, validateMode, validateHome } = await import('../search/searchEngine.ts');
  const { parseFilter, parseHomeRegion } = await import('../search/filter.ts');
  if ((o.id === undefined) === (o.flags.text === undefined)) throw new InputError('similar', 'give either a passage id or --text "…"');
  const k = validateK(parseWholeNumber('--k', o.flags.k));
  const offset = validateOffset(parseWholeNumber('--offset', o.flags.offset));
  const mode = validateMode(o.flags.mode);
  const otherRegions = !!o.flags.otherRegions;
  let target: SimilarSource;
  let filter: SearchFilter;
  let region: Jurisdiction | undefined;
  if (o.id !== undefined) {
    target = { passageId: o.id };
    filter = parseFilter(o.flags, note);
  } else {
    target = { text: validateText(o.flags.text!) };
    // A text has no region of its own: with --other-regions the region flags say where "home" is.
    if (otherRegions) {
      region = parseHomeRegion(o.flags, note);
      validateHome({ otherRegions, region });
      const { province: _province, city: _city, county: _county, ...rest } = o.flags;
      filter = parseFilter(rest, note);
    } else filter = parseFilter(o.flags, note);
  }
  o.checkStore?.();
  await withApp({ ...o, readonly: true }, async (app) => {
    requireModelCurrent(app.store, app.encoder.modelId, app.dataDir, app.model);
    app.index.ensureFresh(app.store, app.encoder.modelId);
    const results = await similar(app, target, { k, offset, mode, otherRegions, filter, region });
    const home = o.id === undefined ? undefined : app.store.getPassage(Number(o.id))?.jurisdiction;
    // A passage of no known region (a national report, a law): --other-regions had nothing to leave out.
    if (otherRegions && home && !home.province && !home.city && !home.county) log(`note: passage ${o.id}'s document is of no known region; --other-regions left nothing out`);
    // As search says it: on the first page, whose first result is the best.
    if (offset === 0 && nothingMatchesWell(mode, results)) log(`note: the best match scores ${results[0]!.score.toFixed(2)}, below ${NOISE_LEVEL}: nothing is similar to it`);
    print(results, !!o.flags.json, offset);
  });
}

/**
 * Embedded mode re-embeds the stored passages (no source files needed). Queue mode sends the
 * stale reports' source files through the workers, so other machines share the work; files that
 * are gone are reported and keep their old vectors.
 */
export async function reindexCommand(o: Base & Rooted & QueueFlags): Promise<void> {
  if (!o.queue) {
    await refusedWhileQueueWrites('reindex through it with `fazhi reindex --queue`, or stop it first', () =>
      withApp(o, async (app) => {
        log(`reindex: ${await reembed(app)} passages re-embedded`);
        selectIfAllEmbeddedWith(app.store, app.dataDir, app.model, app.encoder.modelId);
      }),
    );
    return;
  }
  const { sources, model, modelId } = await withApp({ ...o, readonly: true }, async (app) => ({
    sources: staleSources(app.store, app.encoder.modelId),
    model: app.model,
    modelId: app.encoder.modelId,
  }));
  printSummary(await runQueueBatch(o, sources));
  const store = Store.openReadOnly(o.dataDir);
  try {
    selectIfAllEmbeddedWith(store, o.dataDir, model, modelId);
  } finally {
    store.close();
  }
}

/**
 * A reindex with a model of its own (--model, FAZHI_MODEL) leaves the store embedded with it, so
 * the data dir selects it too: otherwise every later plain command would refuse the store. Only
 * once no report is left with another model: a partial reindex keeps the old selection working
 * wherever it still can, and rerunning finishes it.
 */
function selectIfAllEmbeddedWith(store: Store, dataDir: string, model: ModelChoice, modelId: string, command = 'reindex'): void {
  const { name, origin, dir } = model;
  if (origin !== '--model' && origin !== 'FAZHI_MODEL') return;
  const selected = readDataConfig(dataDir).model;
  if (selected !== undefined && selectedDir(selected, dataDir) === dir) return;
  const left = staleSources(store, modelId).length;
  if (left > 0) {
    log(`${command}: ${left} report(s) still embedded with another model; ${dataDir} keeps ${selected ?? 'the default model'} selected until they are re-embedded too`);
    return;
  }
  writeDataConfig(dataDir, { ...readDataConfig(dataDir), model: selectionName(name) });
  log(`selected model ${name} for ${dataDir} (as \`fazhi model use ${name}\` does): commands without ${origin} now use it`);
}

/** Where the data dir's selection points, or undefined when it points at no model (any other is then better). */
function selectedDir(selected: string, dataDir: string): string | undefined {
  try {
    return findModel(selected, selectedModelSubject(dataDir));
  } catch {
    return undefined;
  }
}

export async function statusCommand(o: Base & { json: boolean }): Promise<void> {
  const store = Store.openReadOnly(o.dataDir);
  try {
    const { modelDir, modelId: selectedModelIdValue } = await selectedModelId(o);
    const status: Record<string, unknown> = {
      dataDir: o.dataDir,
      selectedModel: `${path.relative(REPO_ROOT, modelDir)} (${selectedModelIdValue})`,
      ...store.stats(),
      // Searching re-embeds these first; `fazhi reindex [--queue]` does it ahead of time.
      documentsNeedingReindex: staleSources(store, selectedModelIdValue).length,
    };
    const { readIndexHealth } = await import('../search/vectorIndex.ts');
    status.index = readIndexHealth(o.dataDir, store);
    if (process.env.REDIS_URL) {
      const { queueStatus } = await import('../workers/batch.ts');
      const queue = await queueStatus(process.env.REDIS_URL);
      // A failure is over once a version as new reached the store, in either mode.
      if (!('error' in queue)) queue.failures = queue.failures.filter((f) => (store.versionOf(f.source) ?? -1) < f.version);
      status.queue = queue;
    }
    process.stdout.write((o.json ? jsonForTerminal(status) : formatStatus(status)) + '\n');
  } finally {
    store.close();
  }
}

function formatStatus(status: Record<string, unknown>): string {
  const lines = Object.entries(status).map(([k, v]) => {
    if (k !== 'queue' || v === null || typeof v !== 'object' || !('processes' in v)) return forTerminal(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    // One line per worker process: the last heartbeat is what tells a stuck or dead one.
    const { processes, ...queue } = v as { processes: HeartbeatView[] };
    const workers = processes.map(
      (p) => `  ${p.host} pid ${p.pid} [${p.roles.join(',')}] ${p.state}, last heartbeat ${formatAge(p.ageMs)} ago${p.beating ? '' : ' (not beating: stopped or stuck)'}`,
    );
    return [`queue: ${JSON.stringify(queue)}`, `worker processes: ${processes.length === 0 ? 'none' : ''}`, ...workers].map(forTerminal).join('\n');
  });
  return lines.join('\n');
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export interface WorkerFlags {
  roles: string;
  concurrency: string;
  jobLockMs: string;
  writerLockMs: string;
  drainMs: string;
  redisDownMs: string;
  healthFile?: string;
}

export async function workerCommand(o: Base & WorkerFlags): Promise<void> {
  const { runWorkers, parseRoles } = await import('../workers/runWorkers.ts');
  const roles = parseRoles(o.roles.split(',').map((r) => r.trim()).filter(Boolean));
  const code = await runWorkers({
    roles,
    // Parse and embed workers are stateless: only the writer has a data directory.
    dataDir: roles.includes('write') ? o.dataDir : undefined,
    modelDir: roles.includes('embed') ? resolveModelDir(o.model, o.dataDir) : undefined,
    concurrency: parseIntFlag('--concurrency', o.concurrency, 1, 64),
    jobLockMs: parseIntFlag('--job-lock-ms', o.jobLockMs, 500, 3_600_000),
    writerLockTtlMs: parseIntFlag('--writer-lock-ms', o.writerLockMs, 300, 3_600_000),
    drainMs: parseIntFlag('--drain-ms', o.drainMs, 0, 3_600_000),
    redisDownMs: parseIntFlag('--redis-down-ms', o.redisDownMs, 1000, 86_400_000),
    healthFile: o.healthFile ?? process.env.FAZHI_HEALTH_FILE,
  });
  // Connections to a Redis that is gone never close by themselves: end the process here.
  process.exit(code);
}

export async function healthCommand(o: { healthFile?: string; maxAgeMs: string }): Promise<void> {
  const file = o.healthFile ?? process.env.FAZHI_HEALTH_FILE;
  if (!file) throw new InputError('--health-file', 'name the file `fazhi worker --health-file` writes (or set FAZHI_HEALTH_FILE)');
  const { healthProblem } = await import('../workers/heartbeat.ts');
  const problem = healthProblem(file, parseIntFlag('--max-age-ms', o.maxAgeMs, 1000, 3_600_000));
  if (problem) {
    log(`unhealthy: ${problem}`);
    process.exitCode = 1;
  } else {
    log('healthy');
  }
}

export async function modelListCommand(o: { dataDir: string }): Promise<void> {
  const selected = readDataConfig(o.dataDir).model;
  const selectedAt = selected === undefined ? undefined : selectedDir(selected, o.dataDir);
  const defaultName = defaultModelName();
  const walk = (root: string, dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (!e.isDirectory() || e.name === 'train' || e.name === 'node_modules') return [];
      const p = path.join(dir, e.name);
      return existsSync(path.join(p, 'config.json')) ? [path.relative(root, p)] : walk(root, p);
    });
  const roots = [...new Set([modelsDir(), BUNDLED_MODELS_DIR])].filter((r) => existsSync(r));
  const found = roots.flatMap((r) => walk(r, r).map((name) => ({ name, dir: path.join(r, name) })));
  const names = [...new Set(found.map((f) => f.name))].sort();
  // A selection by path, outside the models directories, is listed too: it is what commands use.
  if (selected !== undefined && !found.some((f) => f.dir === selectedAt)) names.push(selected);
  const isSelected = (name: string) => name === selected || found.some((f) => f.name === name && f.dir === selectedAt);
  // `*` marks what commands without --model (or FAZHI_MODEL) use in this data dir.
  const inUse = (name: string) => (selected === undefined ? name === defaultName : isSelected(name));
  for (const name of names) {
    const labels = [isSelected(name) ? `selected for ${o.dataDir}` : '', name === defaultName ? 'default' : ''].filter(Boolean);
    process.stdout.write(`${inUse(name) ? '*' : ' '} ${name}${labels.length > 0 ? ` (${labels.join(', ')})` : ''}\n`);
  }
}

export async function modelPullCommand(o: { dataDir: string; hubId: string }): Promise<void> {
  const { pullModel } = await import('../models/pullModel.ts');
  const dir = await pullModel(o.hubId, modelsDir(), { endpoint: process.env.HF_ENDPOINT, log });
  log(`model saved to ${path.relative(process.cwd(), dir)}; select it with: fazhi model use ${o.hubId}`);
}

export async function modelUseCommand(o: { dataDir: string; name: string }): Promise<void> {
  findModel(o.name, `model use ${o.name}`);
  const select = () => {
    writeDataConfig(o.dataDir, { ...readDataConfig(o.dataDir), model: selectionName(o.name) });
    log(`selected model ${o.name} for ${o.dataDir}`);
  };
  // Chosen before the first ingest: nothing stored yet to re-embed.
  if (!existsSync(path.join(o.dataDir, STORE_FILE))) return select();
  // The store is opened as its writer before the selection changes: while a queue writer holds
  // it, the refusal leaves the data dir as it was instead of selecting a model nothing re-embeds.
  const instead =
    `nothing was changed; stop it first, or switch through the queue: restart the embed workers with \`--model ${o.name}\`, ` +
    `then run \`fazhi reindex --queue --model ${o.name}\` (it selects ${o.name} once every report is re-embedded)`;
  await refusedWhileQueueWrites(instead, () =>
    withApp({ dataDir: o.dataDir, model: o.name }, async (app) => {
      select();
      await ensureModelCurrent(app);
    }),
  );
}

export const DEMO_QUERY = '双随机、一公开 跨部门联合抽查';

export async function demoCommand(o: Base & Rooted): Promise<void> {
  await ingestCommand({ ...o, paths: [path.join(REPO_ROOT, 'corpus')], queue: false });
  log(`\nfazhi search "${DEMO_QUERY}" --k 5`);
  await searchCommand({ ...o, query: DEMO_QUERY, flags: { k: '5', offset: '0', mode: 'hybrid', by: 'passage' } });
  log(`\nfazhi search "领导干部带头讲法治" --by report --k 3`);
  await searchCommand({ ...o, query: '领导干部带头讲法治', flags: { k: '3', offset: '0', mode: 'hybrid', by: 'report' } });
}
