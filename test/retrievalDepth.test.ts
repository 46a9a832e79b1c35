import { describe, expect, it } from 'vitest';
import { MIN_RETRIEVAL_DEPTH, retrievalDepth } from '../search/retrievalDepth.ts';

describe('retrievalDepth', () => {
  it('reads at least the floor, and 10 k for a page of k', () => {
    expect(retrievalDepth(5, {})).toEqual({ lexical: MIN_RETRIEVAL_DEPTH, dense: MIN_RETRIEVAL_DEPTH });
    expect(retrievalDepth(30, {})).toEqual({ lexical: 300, dense: 300 });
  });

  it("reads dense deeper where the model's denseDepth says, never shallower than lexical", () => {
    expect(retrievalDepth(10, { denseDepth: 400 })).toEqual({ lexical: 100, dense: 400 });
    expect(retrievalDepth(50, { denseDepth: 400 })).toEqual({ lexical: 500, dense: 500 });
  });
});
