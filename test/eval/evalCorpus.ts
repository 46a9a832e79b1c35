// The evaluation corpus: the five sample reports mixed into distractors from the shared corpora
// (national government work reports, party congress reports, a fixed sample of laws), as a real
// index is. On the five reports alone every system scores alike; mixed in, they separate.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../pipeline/errors.ts';
import { holdOutTopicSentences, type CorpusDoc } from './autoSet.ts';
import type { EvalQuery } from './evalSet.ts';

export interface EvalCorpusOptions {
  /** The sample reports (corpus/ in the repository). */
  reportsDir: string;
  /** The shared corpora: *.jsonl files and lawrefbook/. */
  corporaDir: string;
  /** Brought up to date on every build (unchanged files are left alone). */
  outDir: string;
  lawCount: number;
  /** National records outside the automatic set's kept as distractors (first N in file order); default all. */
  nationalCount?: number;
  autoCount: number;
}

export interface EvalCorpus {
  files: string[];
  autoQueries: EvalQuery[];
}

const JSONL_FILES = [
  { file: 'government_work_reports.jsonl', prefix: 'gwr' },
  { file: 'cpc_congress_reports.jsonl', prefix: 'cpc' },
];
const LAW_DIR = 'lawrefbook';
const SAMPLE_SEED = 'fazhi-eval-v1';
/** Few held-out reports are long enough to give many topic paragraphs each. */
const AUTO_PER_DOC = 20;

/**
 * The bundled model's training holds out every fifth record of each jsonl file
 * (models/train/pairs.py is_dev_doc) and mines its training pairs from the rest; automatic
 * queries come only from the held-out ones, or the test would be the training data.
 */
export function isHeldOutRecord(indexInFile: number): boolean {
  return indexInFile % 5 === 0;
}

interface JsonlRecord {
  title: string;
  content: string;
}

function readJsonl(file: string): JsonlRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const r = JSON.parse(l) as Partial<JsonlRecord>;
      if (typeof r.title !== 'string' || typeof r.content !== 'string') throw new InputError(`${file}:${i + 1}`, 'record needs title and content');
      return { title: r.title, content: r.content };
    });
}

function listMarkdown(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.md') && e.name !== '_index.md') out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The same laws for every run and every machine: hash order of the paths relative to lawrefbook/. */
function sampleLaws(lawRoot: string, count: number): string[] {
  const key = (p: string): string => createHash('sha256').update(`${SAMPLE_SEED}\n${path.relative(lawRoot, p)}`).digest('hex');
  return listMarkdown(lawRoot)
    .map((p) => ({ p, k: key(p) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .slice(0, count)
    .map((x) => x.p);
}

/**
 * Writes only what changed, atomically: another eval run may be ingesting these files right now,
 * and an unchanged file must keep its bytes (and so its content hash) for the indexer to skip it.
 */
function writeDoc(dir: string, doc: CorpusDoc): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, doc.file);
  if (existsSync(file) && readFileSync(file, 'utf8') === doc.text) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.text);
  renameSync(tmp, file);
  return file;
}

/** Files of an earlier recipe would otherwise stay in the eval index. */
function removeOthers(dir: string, keep: ReadonlySet<string>): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removeOthers(p, keep);
    else if (!keep.has(p) && !e.name.endsWith('.tmp')) rmSync(p);
  }
}

export function buildEvalCorpus(o: EvalCorpusOptions): EvalCorpus {
  const reports: CorpusDoc[] = readdirSync(o.reportsDir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ file: f, text: readFileSync(path.join(o.reportsDir, f), 'utf8') }));
  if (reports.length === 0) throw new InputError(o.reportsDir, 'no sample reports (*.txt)');

  // Each record becomes one plain-text report: the title line, then the body.
  const national = JSONL_FILES.flatMap(({ file, prefix }) =>
    readJsonl(path.join(o.corporaDir, file)).map((r, i) => ({
      heldOut: isHeldOutRecord(i),
      doc: { file: `${prefix}-${String(i).padStart(3, '0')}.txt`, text: `${r.title}\n\n${r.content}\n` },
    })),
  );

  const lawRoot = path.join(o.corporaDir, LAW_DIR);
  const laws: CorpusDoc[] = sampleLaws(lawRoot, o.lawCount).map((p, i) => ({
    file: `law-${String(i).padStart(3, '0')}-${path.basename(p)}`,
    text: readFileSync(p, 'utf8'),
  }));

  const trainedOn = national.filter((n) => !n.heldOut).map((n) => n.doc);
  const auto = holdOutTopicSentences(
    national.filter((n) => n.heldOut).map((n) => n.doc),
    [...trainedOn, ...reports].map((d) => d.text),
    { count: o.autoCount, perDoc: AUTO_PER_DOC, seed: SAMPLE_SEED, anchorChars: 24 },
  );

  const files = [
    ...reports.map((d) => writeDoc(path.join(o.outDir, 'reports'), d)),
    ...[...auto.docs, ...trainedOn.slice(0, o.nationalCount ?? trainedOn.length)].map((d) => writeDoc(path.join(o.outDir, 'national'), d)),
    ...laws.map((d) => writeDoc(path.join(o.outDir, 'laws'), d)),
  ];
  const autoFile = writeDoc(o.outDir, { file: 'autoset.json', text: JSON.stringify({ queries: auto.queries }, null, 1) + '\n' });
  removeOthers(o.outDir, new Set([...files, autoFile]));
  return { files, autoQueries: auto.queries };
}

/** Size and mtime of every file in a model directory: retrained weights under the same name must not reuse old vectors. */
export function modelFingerprint(modelDir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = statSync(p);
        h.update(`${path.relative(modelDir, p)}\t${st.size}\t${st.mtimeMs}\n`);
      }
    }
  };
  walk(modelDir);
  return h.digest('hex');
}
