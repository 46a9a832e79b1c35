// Passage vectors cached by text across eval index rebuilds: with a 4-layer encoder the ≈32k eval
// passages take 10+ minutes on 2 cores, and a rebuild (new passage splitting, new store schema,
// --rebuild) mostly re-embeds texts already seen. Keyed by model id and exact text.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Encoder } from '../../models/encoder.ts';

const KEY_BYTES = 20;

export function cachingEncoder(encoder: Encoder, cacheDir: string): Encoder & { hits: number; misses: number } {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${encoder.modelId.replace(/[^\w.@+-]/g, '_')}.f32`);
  const record = KEY_BYTES + 4 * encoder.dim;
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
  // Everything but `embed` as the encoder has it (its model settings included).
  const wrapped = {
    ...encoder,
    hits: 0,
    misses: 0,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const keys = texts.map(keyOf);
      const missing = [...new Set(texts.filter((_, i) => !cache.has(keys[i]!.toString('hex'))))];
      wrapped.hits += texts.length - missing.length;
      wrapped.misses += missing.length;
      if (missing.length > 0) {
        const vectors = await encoder.embed(missing);
        const chunks: Buffer[] = [];
        missing.forEach((text, i) => {
          const key = keyOf(text);
          cache.set(key.toString('hex'), vectors[i]!);
          chunks.push(key, Buffer.from(vectors[i]!.buffer, vectors[i]!.byteOffset, vectors[i]!.byteLength));
        });
        appendFileSync(file, Buffer.concat(chunks));
      }
      return keys.map((k) => cache.get(k.toString('hex'))!);
    },
  };
  return wrapped;
}
