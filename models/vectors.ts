// Vector arithmetic shared by the encoder (passage vectors) and search (query vectors, the index).

/** The vector scaled to length 1 (a zero vector stays zero). */
export function normalised(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return vector.map((x) => x / norm);
}

/** Σ weights[i] · vectors[i], normalised. */
export function weightedMean(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const sum = new Float32Array(vectors[0]?.length ?? 0);
  vectors.forEach((vector, i) => {
    for (let d = 0; d < sum.length; d++) sum[d]! += vector[d]! * weights[i]!;
  });
  return normalised(sum);
}

/**
 * A text's vector with its clauses' say (pipeline/splitClauses.ts): (1 − share) of the whole
 * text's vector and `share` of the mean of its clauses' vectors, normalised.
 */
export function blendClauses(whole: Float32Array, clauseVectors: readonly Float32Array[], share: number): Float32Array {
  return weightedMean([whole, ...clauseVectors], [1 - share, ...clauseVectors.map(() => share / clauseVectors.length)]);
}

/** Σ a[i]·b[offset + i]: the cosine of two normalised vectors (b may hold several back to back). */
export function dot(a: Float32Array, b: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[offset + i]!;
  return sum;
}

/**
 * How well a passage's pieces cover a query's (late interaction, sentence-sized): the mean, over the
 * query's pieces, of the best cosine with any of the passage's. 0 where either has none.
 */
export function pieceCoverage(queryPieces: readonly Float32Array[], passagePieces: readonly Float32Array[]): number {
  if (queryPieces.length === 0 || passagePieces.length === 0) return 0;
  let sum = 0;
  for (const q of queryPieces) {
    let best = -Infinity;
    for (const p of passagePieces) best = Math.max(best, dot(q, p));
    sum += best;
  }
  return sum / queryPieces.length;
}
