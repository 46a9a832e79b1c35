// `npm run eval`: nDCG@10, Recall@10 and MRR@10 of lexical, dense and hybrid search, per query
// group, on the dev set and the automatic set, over the sample reports mixed into distractors.
// The index is built once per model under .tmp/eval/index/<model>/ and reused.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../pipeline/errors.ts';
import { configuredThesaurus, openApp, type App } from '../../cli/app.ts';
import { REPO_ROOT, resolveModelDir } from '../../cli/config.ts';
import { indexFiles } from '../../search/ingest.ts';
import { updateBoilerplate } from '../../search/boilerplate.ts';
import { DEFAULT_DENSE_WEIGHTS, MAX_K, search, type SearchMode } from '../../search/searchEngine.ts';
import { buildEvalCorpus, modelFingerprint } from './evalCorpus.ts';
import { cachingEncoder } from './embeddingCache.ts';
import type { DenseCalibration } from '../../models/encoder.ts';
import { DEVSET2_FILE, DEVSET3_FILE, DEVSET4_FILE, loadDevSet, type EvalQuery } from './evalSet.ts';
import { meanScores, normalizeForMatch, pairedRandomizationP, scoreQuery, type QueryScores } from './metrics.ts';

const K = 10;
const LAW_COUNT = 300;
const AUTO_COUNT = 200;
/** Extra depth fetched for queries whose own report is left out of the ranking. */
const FROM_OVERFETCH = 40;
const MODES: readonly SearchMode[] = ['lexical', 'dense', 'hybrid'];

const SET_NAMES = ['dev', 'dev2', 'dev3', 'dev4', 'auto'] as const;
type SetName = (typeof SET_NAMES)[number];
const isSetName = (name: string): name is SetName => (SET_NAMES as readonly string[]).includes(name);

interface Args {
  /** undefined: the CLI's default model. */
  models: (string | undefined)[];
  sets: SetName[];
  rebuild: boolean;
  json: string | undefined;
  evalDir: string;
  corporaDir: string;
  /** undefined: the search engine's default (by lexical coverage). */
  denseWeight: number | undefined;
  /** false: queries searched without the reports' words for their users' words (search/searchEngine.ts queryTerms). */
  expand: boolean;
  laws: number;
  national: number | undefined;
  /** Overrides the model's fitted dense calibration, to compare alternatives. */
  denseCalibration: DenseCalibration | undefined;
}

function parseCli(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', multiple: true },
      set: { type: 'string', default: 'all' },
      rebuild: { type: 'boolean', default: false },
      json: { type: 'string' },
      'eval-dir': { type: 'string' },
      corpora: { type: 'string' },
      'dense-weight': { type: 'string' },
      'no-expand': { type: 'boolean', default: false },
      laws: { type: 'string' },
      national: { type: 'string' },
      'dense-calibration': { type: 'string' },
    },
    strict: true,
  });
  const sets = values.set === 'all' ? [...SET_NAMES] : values.set.split(',');
  if (!sets.every(isSetName)) throw new InputError('--set', `must be all or some of ${SET_NAMES.join(', ')} joined by commas, not ${values.set}`);
  const denseWeight = values['dense-weight'] === undefined ? undefined : Number(values['dense-weight']);
  if (denseWeight !== undefined && !(denseWeight >= 0 && denseWeight <= 1)) throw new InputError('--dense-weight', `must be a number between 0 and 1, not ${values['dense-weight']}`);
  const laws = values.laws === undefined ? LAW_COUNT : Number(values.laws);
  if (!(Number.isInteger(laws) && laws >= 0)) throw new InputError('--laws', `must be a whole number, not ${values.laws}`);
  const national = values.national === undefined ? undefined : Number(values.national);
  if (national !== undefined && !(Number.isInteger(national) && national >= 0)) throw new InputError('--national', `must be a whole number, not ${values.national}`);
  const dc = values['dense-calibration']?.split(':').map(Number);
  if (dc && !(dc.length === 2 && dc[1]! > dc[0]!)) throw new InputError('--dense-calibration', 'must be floor:median with median > floor');
  return {
    denseCalibration: dc ? { floor: dc[0]!, median: dc[1]! } : undefined,
    laws,
    national,
    models: values.model ?? [undefined],
    sets,
    rebuild: values.rebuild,
    json: values.json,
    evalDir: path.resolve(values['eval-dir'] ?? path.join(REPO_ROOT, '.tmp', 'eval')),
    corporaDir: path.resolve(values.corpora ?? process.env.FAZHI_CORPORA ?? path.join(REPO_ROOT, '..', 'shared', 'corpora')),
    denseWeight,
    expand: !values['no-expand'],
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Opens (building or updating as needed) the eval index for one model. The indexer skips
 * unchanged files, so a rerun costs seconds; documents no longer in the corpus are dropped.
 */
async function openEvalIndex(modelDir: string, files: string[], evalDir: string, rebuild: boolean, calibration: DenseCalibration | undefined): Promise<App> {
  const dataDir = path.join(evalDir, 'index', path.basename(modelDir));
  const stampFile = path.join(dataDir, 'eval-model.json');
  const fingerprint = modelFingerprint(modelDir);
  const stamp = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, 'utf8')) as { fingerprint?: string }) : null;
  if (rebuild || (stamp && stamp.fingerprint !== fingerprint)) {
    if (!rebuild) log(`${modelDir} changed since its eval index was built; rebuilding`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ modelDir, fingerprint }) + '\n');

  const opened = await openApp({ dataDir, model: modelDir, thesaurus: configuredThesaurus() });
  // Every text, queries too, goes through the cache; the app's own encoder goes unused.
  const cached = await cachingEncoder(modelDir, path.join(evalDir, 'embeddings'));
  if (calibration) cached.calibration = calibration;
  const app = { ...opened, encoder: cached };
  const wanted = new Set(files);
  for (const d of app.store.documents()) if (!wanted.has(d.source)) app.store.removeBySource(d.source);
  const started = performance.now();
  let lastLog = 0;
  const summary = await indexFiles(app, files, (p) => {
    if (performance.now() - lastLog > 10_000 || p.done === p.total) {
      lastLog = performance.now();
      log(`  [${app.encoder.modelId}] indexed ${p.done}/${p.total} files`);
    }
  });
  // A distractor the pipeline rejects (a record too short to be a report) only shrinks the haystack;
  // a rejected judged report shows up below as unreachable judgements.
  for (const f of summary.failed) log(`  skipped ${f.source}: ${f.reason}`);
  if (summary.added + summary.replaced > 0) {
    const seconds = (performance.now() - started) / 1000;
    log(`  [${app.encoder.modelId}] ${summary.added + summary.replaced} files, ${summary.passages} passages in ${seconds.toFixed(0)} s: ${app.encoder.misses} texts embedded (passages and their clauses)${app.encoder.misses > 0 ? ` at ${((app.encoder.misses / summary.timings.embed) * 1000).toFixed(1)} texts/s` : ''}, ${app.encoder.hits} from the cache`);
  }
  updateBoilerplate(app.store);
  app.index.ensureFresh(app.store, app.encoder.modelId);
  return app;
}

/** Judgements no indexed passage satisfies: the pipeline split or cleaned the text differently. */
function unreachableJudgements(app: App, queries: EvalQuery[]): string[] {
  const byBasename = new Map(app.store.documents().map((d) => [path.basename(d.source), d]));
  const texts = new Map<string, string[]>();
  const passagesOf = (doc: string): string[] => {
    let t = texts.get(doc);
    if (!t) {
      const d = byBasename.get(doc);
      t = d ? app.store.getPassages(app.store.passageIdsOf(d.id)).map((p) => normalizeForMatch(p.text)) : [];
      texts.set(doc, t);
    }
    return t;
  };
  return queries.flatMap((q) =>
    q.relevant
      .filter((j) => !passagesOf(j.doc).some((t) => t.includes(normalizeForMatch(j.contains))))
      .map((j) => `${q.id} ${j.doc} "${j.contains}"`),
  );
}

interface QueryResult {
  id: string;
  group: string;
  mode: SearchMode;
  scores: QueryScores;
}

async function evaluate(app: App, queries: EvalQuery[], denseWeight: number | undefined, expand: boolean): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const mode of MODES) {
    for (const q of queries) {
      const k = q.from ? Math.min(MAX_K, K + FROM_OVERFETCH) : K;
      const hits = (await search(app, q.query, { k, mode, filter: {}, by: 'passage', denseWeight, expand })).filter((h) => path.basename(h.source) !== q.from);
      results.push({ id: q.id, group: q.group, mode, scores: scoreQuery(hits, q.relevant, K) });
    }
  }
  return results;
}

interface Row {
  set: SetName;
  group: string;
  n: number;
  byMode: Record<SearchMode, QueryScores>;
}

function summarise(set: SetName, results: QueryResult[]): Row[] {
  const groups = [...new Set(results.map((r) => r.group))];
  const row = (group: string, rs: QueryResult[]): Row => ({
    set,
    group,
    n: rs.length / MODES.length,
    byMode: Object.fromEntries(MODES.map((m) => [m, meanScores(rs.filter((r) => r.mode === m).map((r) => r.scores))])) as Record<SearchMode, QueryScores>,
  });
  const rows = groups.map((g) => row(g, results.filter((r) => r.group === g)));
  return groups.length > 1 ? [...rows, row('all', results)] : rows;
}

function table(modelId: string, rows: Row[]): string {
  const f = (x: number): string => x.toFixed(3);
  const metric = (name: string): string[] => MODES.map((m) => `${name} ${m}`);
  const header = ['set', 'group', 'n', ...metric('nDCG@10'), ...metric('R@10'), ...metric('MRR@10')];
  const lines = [`### ${modelId}`, '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = (pick: (s: QueryScores) => number): string[] => MODES.map((m) => f(pick(r.byMode[m])));
    lines.push(`| ${[r.set, r.group, String(r.n), ...cells((s) => s.ndcg), ...cells((s) => s.recall), ...cells((s) => s.mrr)].join(' | ')} |`);
  }
  return lines.join('\n');
}

function ndcgsOf(results: QueryResult[], mode: SearchMode): Map<string, number> {
  return new Map(results.filter((r) => r.mode === mode).map((r) => [r.id, r.scores.ndcg]));
}

/** Mean nDCG@10 difference of `a` over `b` on the same queries, with its paired-test p-value. */
function comparison(label: string, a: Map<string, number>, b: Map<string, number>): string {
  const ids = [...a.keys()].filter((id) => b.has(id));
  const xs = ids.map((id) => a.get(id)!);
  const ys = ids.map((id) => b.get(id)!);
  const delta = (xs.reduce((s, x) => s + x, 0) - ys.reduce((s, y) => s + y, 0)) / (ids.length || 1);
  const p = pairedRandomizationP(xs, ys);
  return `| ${label} | ${ids.length} | ${delta >= 0 ? '+' : ''}${delta.toFixed(3)} | ${p < 0.001 ? '<0.001' : p.toFixed(3)} |`;
}

const COMPARISON_HEADER = ['| comparison (nDCG@10) | n | Δ | p (paired randomization) |', '|---|---|---|---|'];

function modeComparisons(perSet: Partial<Record<SetName, QueryResult[]>>): string {
  const lines = [...COMPARISON_HEADER];
  for (const [set, results] of Object.entries(perSet) as [SetName, QueryResult[]][]) {
    const lexical = ndcgsOf(results, 'lexical');
    lines.push(comparison(`${set}: hybrid − lexical`, ndcgsOf(results, 'hybrid'), lexical));
    lines.push(comparison(`${set}: dense − lexical`, ndcgsOf(results, 'dense'), lexical));
  }
  return lines.join('\n');
}

interface ModelRun {
  modelId: string;
  modelDir: string;
  passages: number;
  rows: Row[];
  perSet: Partial<Record<SetName, QueryResult[]>>;
}

/** The first model against each other one (e.g. the bundled model against its step 0). */
function modelComparisons(runs: ModelRun[]): string {
  const [base, ...others] = runs;
  const lines = [...COMPARISON_HEADER];
  for (const other of others) {
    for (const set of Object.keys(base!.perSet) as SetName[]) {
      for (const mode of ['dense', 'hybrid'] as const) {
        lines.push(comparison(`${set} ${mode}: ${base!.modelId} − ${other.modelId}`, ndcgsOf(base!.perSet[set]!, mode), ndcgsOf(other.perSet[set]!, mode)));
      }
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  if (!existsSync(args.corporaDir)) throw new InputError('--corpora', `${args.corporaDir} not found`);
  const corpus = buildEvalCorpus({
    reportsDir: path.join(REPO_ROOT, 'corpus'),
    corporaDir: args.corporaDir,
    outDir: path.join(args.evalDir, 'corpus'),
    lawCount: args.laws,
    nationalCount: args.national,
    autoCount: AUTO_COUNT,
  });
  const load: Record<SetName, () => EvalQuery[]> = {
    dev: () => loadDevSet(),
    dev2: () => loadDevSet(DEVSET2_FILE),
    dev3: () => loadDevSet(DEVSET3_FILE),
    dev4: () => loadDevSet(DEVSET4_FILE),
    auto: () => corpus.autoQueries,
  };
  const sets = Object.fromEntries(args.sets.map((set) => [set, load[set]()])) as Partial<Record<SetName, EvalQuery[]>>;
  log(`eval corpus: ${corpus.files.length} files (${args.laws} laws, ${args.national ?? 'all'} other national records); ${args.sets.map((set) => `${set} ${sets[set]!.length}`).join(', ')} queries`);

  const runs: ModelRun[] = [];
  for (const model of args.models) {
    const modelDir = resolveModelDir(model, args.evalDir);
    const app = await openEvalIndex(modelDir, corpus.files, args.evalDir, args.rebuild, args.denseCalibration);
    try {
      const counts = app.store.counts();
      log(`[${app.encoder.modelId}] index: ${counts.documents} documents, ${counts.passages} passages`);
      const run: ModelRun = { modelId: app.encoder.modelId, modelDir, passages: counts.passages, rows: [], perSet: {} };
      for (const set of args.sets) {
        const unreachable = unreachableJudgements(app, sets[set]!);
        if (unreachable.length > 0) log(`warning: ${unreachable.length} ${set} judgements match no indexed passage:\n  ${unreachable.join('\n  ')}`);
        const results = await evaluate(app, sets[set]!, args.denseWeight, args.expand);
        run.perSet[set] = results;
        run.rows.push(...summarise(set, results));
      }
      const c = app.encoder.calibration;
      const weights = app.encoder.denseWeights ?? DEFAULT_DENSE_WEIGHTS;
      process.stdout.write(`${args.expand ? '' : 'queries not expanded (--no-expand); '}hybrid dense weight ${args.denseWeight ?? `${weights.covered} where lexical covers the query, else ${weights.uncovered}`}; dense calibration ${c ? `floor ${c.floor}, median ${c.median}` : 'none'}\n\n${table(run.modelId, run.rows)}\n\n${modeComparisons(run.perSet)}\n\n`);
      runs.push(run);
    } finally {
      app.close();
    }
  }
  if (runs.length > 1) process.stdout.write(`### models\n\n${modelComparisons(runs)}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ k: K, modes: MODES, models: runs }, null, 1) + '\n');
}

main().catch((err: unknown) => {
  if (err instanceof InputError) {
    log(`error: ${err.message}`);
    process.exitCode = 2;
  } else throw err;
});
