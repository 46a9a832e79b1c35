// Model outputs cached by input text across eval index rebuilds: with a 4-layer encoder the ≈32k eval
// passages and their clauses take 20+ minutes on 2 cores, and a rebuild (new passage splitting, new
// store schema, a new passage recipe, --rebuild) mostly embeds texts already seen. Cached below the
// encoder (models/encoder.ts's ModelRunner), keyed by the weights' id and the exact input text (a
// query's with its prefix), so that every recipe built from the same texts (whole passages, clauses
// mixed in, pieces kept) shares them.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encoderOver, loadModelRunner, readModelDir, type Encoder, type ModelRunner } from '../../models/encoder.ts';

const KEY_BYTES = 20;

/** The model in `modelDir`, its runs cached in `cacheDir`; `hits` and `misses` count texts. */
export async function cachingEncoder(modelDir: string, cacheDir: string): Promise<Encoder & { hits: number; misses: number }> {
  const info = await readModelDir(modelDir);
  const run = await loadModelRunner(info);
  mkdirSync(cacheDir, { recursive: true });
  const weights = info.settings?.modelId ?? path.basename(info.dir);
  const file = path.join(cacheDir, `${weights.replace(/[^\w.@+-]/g, '_')}.f32`);
  const record = KEY_BYTES + 4 * info.dim;
  const cache = new Map<string, Float32Array>();
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    // A record cut short by an interrupted run is ignored.
    for (let at = 0; at + record <= bytes.length; at += record) {
      const key = bytes.subarray(at, at + KEY_BYTES).toString('hex');
      cache.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset + at + KEY_BYTES, bytes.byteOffset + at + record)));
    }
  }
  const keyOf = (text: string) => createHash('sha1').update(text).digest();
  const counts = { hits: 0, misses: 0 };
  const cachedRun: ModelRunner = async (inputs) => {
    const keys = inputs.map(keyOf);
    const missing = [...new Set(inputs.filter((_, i) => !cache.has(keys[i]!.toString('hex'))))];
    counts.hits += inputs.length - missing.length;
    counts.misses += missing.length;
    if (missing.length > 0) {
      const vectors = await run(missing);
      const chunks: Buffer[] = [];
      missing.forEach((text, i) => {
        const key = keyOf(text);
        cache.set(key.toString('hex'), vectors[i]!);
        chunks.push(key, Buffer.from(vectors[i]!.buffer, vectors[i]!.byteOffset, vectors[i]!.byteLength));
      });
      appendFileSync(file, Buffer.concat(chunks));
    }
    return keys.map((k) => cache.get(k.toString('hex'))!);
  };
  const encoder = encoderOver(info, cachedRun);
  return Object.defineProperties(encoder as Encoder & { hits: number; misses: number }, {
    hits: { get: () => counts.hits },
    misses: { get: () => counts.misses },
  });
}
