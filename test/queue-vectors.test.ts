// The embed stage's vectors travel to the writer through Redis as one base64 string: each passage's
// vector and its pieces (models/encoder.ts's PassageVectors) must arrive exactly, in order, and a
// passage left to the store's vectors (workers/queues.ts ParseJob.reuse) keeps its place.
import { describe, expect, it } from 'vitest';
import { decodeVectors, encodeVectors } from '../workers/queues.ts';

describe('encodeVectors / decodeVectors', () => {
  it('round-trips passages with and without pieces exactly', () => {
    const v = (seed: number) => Float32Array.from({ length: 8 }, (_, i) => Math.sin(seed * 10 + i));
    const passages = [
      { vector: v(1), pieces: [v(2), v(3)] },
      { vector: v(4), pieces: [] },
      { vector: v(5), pieces: [v(6)] },
    ];
    const encoded = JSON.parse(JSON.stringify(encodeVectors(passages))) as ReturnType<typeof encodeVectors>;
    expect(decodeVectors(encoded)).toEqual(passages);
    expect(decodeVectors(encodeVectors([]))).toEqual([]);
  });

  it('keeps the place of a passage that carries no vector (its vector stays in the store)', () => {
    const v = (seed: number) => Float32Array.from({ length: 8 }, (_, i) => Math.cos(seed * 10 + i));
    const passages = [undefined, { vector: v(1), pieces: [v(2)] }, undefined, { vector: v(3), pieces: [] }];
    const encoded = JSON.parse(JSON.stringify(encodeVectors(passages))) as ReturnType<typeof encodeVectors>;
    expect(decodeVectors(encoded)).toEqual(passages);
    expect(decodeVectors(encodeVectors([undefined, undefined]))).toEqual([undefined, undefined]);
  });
});
