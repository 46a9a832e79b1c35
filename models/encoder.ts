import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureExtractionPipeline, Tensor } from '@huggingface/transformers';
import { InputError } from '../pipeline/errors.ts';
import { segmentForModel } from '../pipeline/segment.ts';
import { splitClauses } from '../pipeline/splitClauses.ts';
import { blendClauses } from './vectors.ts';
import { MIN_RETRIEVAL_DEPTH } from '../search/retrievalDepth.ts';

/**
 * A passage's vectors: the one it is indexed and ranked by, and its pieces — its whole text and
 * each of its clauses embedded alone — that dense search matches clause by clause (ModelSettings's
 * clauseMatch; none for a model without it).
 */
export interface PassageVectors {
  vector: Float32Array;
  pieces: Float32Array[];
}

/** A sentence encoder: texts in, L2-normalised vectors out. */
export interface Encoder {
  /** Identifies the weights and the passage recipe; vectors from different modelIds are not comparable. */
  modelId: string;
  dim: number;
  /** Passages (what is indexed), with their clauses mixed in where the model's passageClauses says. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** `embed` with each passage's pieces (where the model has clauseMatch): what a store keeps. */
  embedPassages(texts: string[]): Promise<PassageVectors[]>;
  /** Search queries, each whole, with the model's query prefix (if it has one) put in front (search/queryVector.ts mixes in clauses). */
  embedQueries(texts: string[]): Promise<Float32Array[]>;
  calibration?: DenseCalibration;
  denseWeights?: DenseWeights;
  clauseMatch?: ClauseMatch;
  denseDepth?: number;
}

/**
 * How one model's query–passage cosines read as relevance (search/searchEngine.ts), fitted by
 * models/train/fitCalibration.ts on pairs mined from the corpora: `floor` is the 99.9th percentile
 * of cosines between a query and random passages (what any passage scores by chance), `median`
 * the median cosine of a query and a passage that answers it.
 */
export interface DenseCalibration {
  floor: number;
  median: number;
}

/**
 * This model's share of hybrid fusion (search/searchEngine.ts's fuseLists): `covered` where the best
 * lexical hit covers the query, `uncovered` where it does not. A stronger dense leg earns more.
 */
export interface DenseWeights {
  covered: number;
  uncovered: number;
}

/**
 * Dense search's clause-level match (search/searchEngine.ts): a passage's dense score is
 * (1 − share) × the cosine of the query and passage vectors plus share × the mean, over the query's
 * pieces, of the best cosine with one of the passage's pieces; `calibration` reads that score as
 * relevance, as DenseCalibration does the cosine.
 */
export interface ClauseMatch {
  share: number;
  calibration: DenseCalibration;
}

/**
 * fazhi.json: how to run a model, beside its Hugging Face files. Everything model-specific lives
 * here (written by models/install or the model's training), never in code paths.
 */
export interface ModelSettings {
  modelId?: string;
  /** Segment with jieba before the tokenizer (the bundled model's vocabulary is jieba words). */
  pretokenize?: 'jieba';
  /** How token vectors become one text vector; default mean. */
  pooling?: 'mean' | 'cls';
  /** Put before queries only (bge: an instruction the model was trained with for retrieval). */
  queryPrefix?: string;
  /** Tokens per text, special tokens included; longer texts are truncated. Default: the tokenizer's. */
  maxLength?: number;
  /** Which ONNX file: fp32 = onnx/model.onnx, q8 = onnx/model_quantized.onnx. Default fp32. */
  dtype?: 'fp32' | 'q8';
  /**
   * The share of a passage's vector that is the mean of its clauses' vectors (pipeline/splitClauses.ts;
   * the rest is the whole passage's vector), 0 < share ≤ 1; unset: the whole passage's vector alone.
   * Part of the vectors' identity: the modelId gets `+clauses<share>`.
   */
  passageClauses?: number;
  calibration?: DenseCalibration;
  /** Default: search/searchEngine.ts's DEFAULT_DENSE_WEIGHTS. */
  denseWeights?: DenseWeights;
  /** Needs passageClauses. Stores every passage's pieces: the modelId gets `+pieces`. */
  clauseMatch?: ClauseMatch;
  /** The fewest passages dense retrieval reads (search/retrievalDepth.ts: a page of k reads at least 10 k); default 100. */
  denseDepth?: number;
}

/** Small enough to keep padding waste and peak memory low on a 2-core machine. */
const BATCH_SIZE = 32;

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

async function readModelInfo(dir: string): Promise<ModelSettings | null> {
  try {
    return validateSettings(path.join(dir, 'fazhi.json'), await readJson(path.join(dir, 'fazhi.json')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function validateSettings(file: string, raw: unknown): ModelSettings {
  const s = raw as ModelSettings;
  const bad = (field: string, want: string): never => {
    throw new InputError(file, `${field} must be ${want}`);
  };
  if (s.pooling !== undefined && s.pooling !== 'mean' && s.pooling !== 'cls') bad('pooling', 'mean or cls');
  if (s.queryPrefix !== undefined && typeof s.queryPrefix !== 'string') bad('queryPrefix', 'a string');
  if (s.maxLength !== undefined && !(Number.isInteger(s.maxLength) && s.maxLength >= 8)) bad('maxLength', 'an integer ≥ 8');
  if (s.dtype !== undefined && s.dtype !== 'fp32' && s.dtype !== 'q8') bad('dtype', 'fp32 or q8');
  if (s.passageClauses !== undefined && !(typeof s.passageClauses === 'number' && s.passageClauses > 0 && s.passageClauses <= 1)) {
    bad('passageClauses', 'a number above 0 and at most 1');
  }
  const calibrated = (c: DenseCalibration | undefined): boolean => typeof c?.floor === 'number' && typeof c.median === 'number' && c.median > c.floor;
  if (s.calibration !== undefined && !calibrated(s.calibration)) bad('calibration', '{ floor, median } numbers with median > floor');
  const w = s.denseWeights;
  const share = (x: unknown): boolean => typeof x === 'number' && x >= 0 && x <= 1;
  const m = s.clauseMatch;
  if (m !== undefined && !(share(m.share) && calibrated(m.calibration))) bad('clauseMatch', '{ share from 0 to 1, calibration { floor, median } with median > floor }');
  if (m !== undefined && s.passageClauses === undefined) bad('clauseMatch', 'set only with passageClauses (the clauses it matches)');
  if (w !== undefined && !(share(w.covered) && share(w.uncovered))) bad('denseWeights', '{ covered, uncovered } numbers from 0 to 1');
  // Below the floor it would change nothing: dense retrieval never reads less than lexical (retrievalDepth).
  const d = s.denseDepth;
  if (d !== undefined && !(Number.isInteger(d) && d >= MIN_RETRIEVAL_DEPTH && d <= 1000)) bad('denseDepth', `an integer from ${MIN_RETRIEVAL_DEPTH} to 1000`);
  return s;
}

async function readHiddenSize(dir: string): Promise<number> {
  let config: { hidden_size?: unknown };
  try {
    config = (await readJson(path.join(dir, 'config.json'))) as { hidden_size?: unknown };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(dir, 'not a model directory (config.json missing)');
    }
    throw err;
  }
  if (typeof config.hidden_size !== 'number') {
    throw new InputError(path.join(dir, 'config.json'), 'hidden_size missing');
  }
  return config.hidden_size;
}

/** Vectors made another way are not comparable either: the passage recipe is part of the id. */
function modelIdOf(dir: string, info: ModelSettings | null): string {
  const weights = info?.modelId ?? path.basename(dir);
  const recipe = info?.passageClauses === undefined ? weights : `${weights}+clauses${info.passageClauses}`;
  return info?.clauseMatch === undefined ? recipe : `${recipe}+pieces`;
}

/** The id this model's vectors are stored under, without loading the weights. */
export async function readModelId(modelDir: string): Promise<string> {
  const dir = path.resolve(modelDir);
  return modelIdOf(dir, await readModelInfo(dir));
}

/** What is known about a model directory before its weights are loaded. */
export interface ModelDirInfo {
  dir: string;
  dim: number;
  modelId: string;
  settings: ModelSettings | null;
}

/** Reads a model directory's config.json and fazhi.json (cheap; the weights stay unread). */
export async function readModelDir(modelDir: string): Promise<ModelDirInfo> {
  const dir = path.resolve(modelDir);
  const dim = await readHiddenSize(dir);
  const settings = await readModelInfo(dir);
  return { dir, dim, modelId: modelIdOf(dir, settings), settings };
}

/** Runs the model on texts already prepared (pretokenized, prefixed): L2-normalised vectors out. */
export type ModelRunner = (inputs: string[]) => Promise<Float32Array[]>;

/**
 * Loads the weights of a local ONNX model directory (Hugging Face layout: config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx or onnx/model_quantized.onnx) with
 * transformers.js. Never downloads.
 */
export async function loadModelRunner({ dir, dim, modelId, settings: info }: ModelDirInfo): Promise<ModelRunner> {
  // Imported here: loading transformers.js takes ~1.3 s of CPU, which commands that only read a
  // model's id (`fazhi status`) should not pay.
  const { env, mean_pooling, pipeline } = await import('@huggingface/transformers');
  const pooling = info?.pooling ?? 'mean';

  // transformers.js resolves local models as <localModelPath>/<name>; its env is
  // library-global, so it is set right before the load that reads it.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(dir) + path.sep;
  const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', path.basename(dir), {
    dtype: info?.dtype ?? 'fp32',
    local_files_only: true,
    // ONNX runtime's pool threads busy-wait for work after each run by default. On 2 cores that
    // spinning took CPU from everything else: `fazhi serve` (fazhi-mini-zh, eval index) spent
    // 16.5 → 5.7 ms CPU per dense query and 30.8 → 13.1 per hybrid one without it, and batch
    // embedding (512 passages, 32 a batch) ran at 300 → 540–680 passages/s (a shared machine).
    session_options: { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } },
  });
  const maxLength = info?.maxLength ?? extractor.tokenizer.model_max_length;

  return async (inputs) => {
    // Batching texts of similar length keeps padding (wasted compute) small.
    const order = inputs.map((_, i) => i).sort((a, b) => inputs[a]!.length - inputs[b]!.length);
    const out = new Array<Float32Array>(inputs.length);
    for (let start = 0; start < order.length; start += BATCH_SIZE) {
      const batch = order.slice(start, start + BATCH_SIZE);
      const modelInputs = extractor.tokenizer(
        batch.map((i) => inputs[i]!),
        { padding: true, truncation: true, max_length: Number.isFinite(maxLength) ? maxLength : null },
      );
      const { last_hidden_state: hidden } = (await extractor.model(modelInputs)) as { last_hidden_state: Tensor };
      const pooled = pooling === 'cls' ? hidden.slice(null, 0) : mean_pooling(hidden, modelInputs.attention_mask as Tensor);
      const tensor = pooled.normalize(2, -1);
      const data = tensor.data as Float32Array;
      if (tensor.dims[1] !== dim) {
        throw new Error(`${modelId}: model output has dimension ${tensor.dims[1]}, config says ${dim}`);
      }
      batch.forEach((textIndex, row) => {
        out[textIndex] = data.slice(row * dim, (row + 1) * dim);
      });
      for (const t of new Set([hidden, pooled, tensor])) t.dispose();
    }
    return out;
  };
}

/**
 * The encoder over a model runner (in this thread or another, models/encoderThread.ts): texts
 * are prepared here — pretokenized with jieba when the model's vocabulary is jieba words, the
 * query prefix put in front — so a runner in another thread needs no dictionary of its own.
 */
export function encoderOver({ modelId, dim, settings: info }: ModelDirInfo, runner: ModelRunner): Encoder {
  const prepare = info?.pretokenize === 'jieba' ? segmentForModel : (text: string) => text;
  const queryPrefix = info?.queryPrefix ?? '';
  const run = async (texts: string[], prefix: string): Promise<Float32Array[]> => {
    const inputs = texts.map((text, i) => {
      const prepared = prepare(text).trim();
      if (prepared.length === 0) throw new InputError(`texts[${i}]`, 'empty text cannot be embedded');
      return prefix + prepared;
    });
    return runner(inputs);
  };
  const clauseShare = info?.passageClauses;
  const keepPieces = info?.clauseMatch !== undefined;
  const embedPassages = async (texts: string[]): Promise<PassageVectors[]> => {
    if (clauseShare === undefined) return (await run(texts, '')).map((vector) => ({ vector, pieces: [] }));
    // One run: the runner batches by length, so clauses are not padded to their passage's length.
    const clauses = texts.map(splitClauses);
    const vectors = await run([...texts, ...clauses.flat()], '');
    let next = texts.length;
    return texts.map((_, i) => {
      const count = clauses[i]!.length;
      next += count;
      const whole = vectors[i]!;
      const own = vectors.slice(next - count, next);
      return { vector: count === 0 ? whole : blendClauses(whole, own, clauseShare), pieces: keepPieces ? [whole, ...own] : [] };
    });
  };
  return {
    modelId,
    dim,
    embed: async (texts) => (await embedPassages(texts)).map((p) => p.vector),
    embedPassages,
    embedQueries: (texts) => run(texts, queryPrefix),
    calibration: info?.calibration,
    denseWeights: info?.denseWeights,
    clauseMatch: info?.clauseMatch,
    denseDepth: info?.denseDepth,
  };
}

/**
 * Loads a local model directory in this thread, with the settings in its fazhi.json
 * (ModelSettings; a directory without one gets raw text, mean pooling, no query prefix and its
 * directory name as modelId).
 */
export async function loadEncoder(modelDir: string): Promise<Encoder> {
  const info = await readModelDir(modelDir);
  return encoderOver(info, await loadModelRunner(info));
}
