import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { InputError } from '../pipeline/errors.ts';
import { segmentForModel } from '../pipeline/segment.ts';

/** A sentence encoder: texts in, L2-normalised mean-pooled vectors out. */
export interface Encoder {
  /** Identifies the weights; vectors from different modelIds are not comparable. */
  modelId: string;
  dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** fazhi.json: what a bundled model needs beyond the Hugging Face files. */
interface FazhiModelInfo {
  pretokenize?: 'jieba';
  modelId?: string;
}

/** Small enough to keep padding waste and peak memory low on a 2-core machine. */
const BATCH_SIZE = 32;

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

async function readModelInfo(dir: string): Promise<FazhiModelInfo | null> {
  try {
    return (await readJson(path.join(dir, 'fazhi.json'))) as FazhiModelInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
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

function modelIdOf(dir: string, info: FazhiModelInfo | null): string {
  return info?.modelId ?? path.basename(dir);
}

/** The id this model's vectors are stored under, without loading the weights. */
export async function readModelId(modelDir: string): Promise<string> {
  const dir = path.resolve(modelDir);
  return modelIdOf(dir, await readModelInfo(dir));
}

/**
 * Loads a local ONNX model directory (Hugging Face layout: config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx). Never downloads. A directory with fazhi.json
 * (the bundled fazhi-mini-zh) gets jieba-segmented input and its declared modelId; any
 * other directory gets raw text and its directory name as modelId.
 */
export async function loadEncoder(modelDir: string): Promise<Encoder> {
  const dir = path.resolve(modelDir);
  const dim = await readHiddenSize(dir);
  const info = await readModelInfo(dir);
  const modelId = modelIdOf(dir, info);
  const prepare = info?.pretokenize === 'jieba' ? segmentForModel : (text: string) => text;
  // Imported here: loading transformers.js takes ~1 s, which commands that only read a model's
  // id (`fazhi status`) should not pay.
  const { env, pipeline } = await import('@huggingface/transformers');

  // transformers.js resolves local models as <localModelPath>/<name>; its env is
  // library-global, so it is set right before the load that reads it.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(dir) + path.sep;
  const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', path.basename(dir), {
    dtype: 'fp32',
    local_files_only: true,
  });

  async function embed(texts: string[]): Promise<Float32Array[]> {
    const inputs = texts.map((text, i) => {
      const prepared = prepare(text).trim();
      if (prepared.length === 0) throw new InputError(`texts[${i}]`, 'empty text cannot be embedded');
      return prepared;
    });
    // Batching texts of similar length keeps padding (wasted compute) small.
    const order = inputs.map((_, i) => i).sort((a, b) => inputs[a]!.length - inputs[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += BATCH_SIZE) {
      const batch = order.slice(start, start + BATCH_SIZE);
      const tensor = await extractor(
        batch.map((i) => inputs[i]!),
        { pooling: 'mean', normalize: true },
      );
      const data = tensor.data as Float32Array;
      if (tensor.dims[1] !== dim) {
        throw new Error(`${modelId}: model output has dimension ${tensor.dims[1]}, config says ${dim}`);
      }
      batch.forEach((textIndex, row) => {
        out[textIndex] = data.slice(row * dim, (row + 1) * dim);
      });
      tensor.dispose();
    }
    return out;
  }

  return { modelId, dim, embed };
}
