// How deep lexical and dense retrieval read for a page of results; a module of its own, without
// imports, because models/encoder.ts checks a model's denseDepth against the same floor.

/** How many passages each retrieval reads for a page of k (see retrievalDepth). */
export interface RetrievalDepth {
  lexical: number;
  dense: number;
}

/** Lexical retrieval's depth for a page of up to 10, and the least `denseDepth` a model may set (models/encoder.ts). */
export const MIN_RETRIEVAL_DEPTH = 100;

/**
 * How many passages each retrieval (lexical, dense) reads for a page of k: deeper than k, as
 * fusion, law weighting (searchEngine.ts's LAW_WEIGHT) and demotion reorder, and grouping by report needs many
 * passages. A model may read deeper in dense retrieval (its `denseDepth`): the weighting comes
 * after retrieval, so laws crowd a shallow list — on the full eval index 58 of bge-small-zh-v1.5's
 * first 100 dense hits for a dev or dev2 query were laws, while 114 report passages ranked 100–400
 * outscored them once weighted, and dense mode's clause match (matchClauses) reorders only what
 * was read. bge, dense depth 100 → 400, nDCG@10 dev / dev2 measure, paraphrase: dense 0.811 /
 * 0.779, 0.507 / 0.484 → 0.870 / 0.822, 0.554 / 0.553; hybrid paraphrase 0.505 / 0.481 → 0.565 /
 * 0.498; auto dense 0.176 → 0.176, hybrid 0.198 → 0.200 (similar practice, measured at k 50 and so
 * 500 deep either way, unchanged; 200: dev paraphrase hybrid 0.550, 300: 0.564, 500–1000: 0.569,
 * auto 0.198–0.202 throughout; the lexical list 400 deep as well added nothing). fazhi-mini-zh,
 * whose dense leg is weaker, gained nothing from it (hybrid dev2 paraphrase 0.255 → 0.247, similar
 * 0.656 → 0.679, auto 0.172 either way) and keeps 100. Cost (bench/RESULTS.md (8)), bge at 32k
 * passages: hybrid +9–12 ms server CPU a query (HNSW 3 → 9 ms, bm25 of the dense-only candidates
 * 3 → 12 ms), dense mode +33–47 ms (the pieces of four times as many passages).
 */
export function retrievalDepth(k: number, encoder: { denseDepth?: number }): RetrievalDepth {
  const lexical = Math.max(MIN_RETRIEVAL_DEPTH, 10 * k);
  return { lexical, dense: Math.max(encoder.denseDepth ?? MIN_RETRIEVAL_DEPTH, lexical) };
}
