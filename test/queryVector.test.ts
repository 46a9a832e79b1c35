// What a query or pasted text is embedded as: the real model's quality is measured by `npm run eval`;
// here an encoder that records its inputs and gives each distinct text its own direction.
import { describe, expect, it } from 'vitest';
import { MAX_PASSAGE_CHARS } from '../pipeline/splitPassages.ts';
import { embedQueryText } from '../search/queryVector.ts';
import { cosine } from '../search/vectorIndex.ts';
import { DIM, bagVector } from './helpers/searchFixtures.ts';

function recordingEncoder() {
  const inputs: string[] = [];
  const embed = async (texts: string[]) => {
    inputs.push(...texts);
    return texts.map((text) => bagVector([text]));
  };
  return { inputs, encoder: { modelId: 'recording', dim: DIM, embed, embedQueries: embed } };
}

function combination(parts: [number, Float32Array][]): Float32Array {
  const sum = new Float32Array(DIM);
  for (const [weight, vector] of parts) for (let d = 0; d < DIM; d++) sum[d]! += weight * vector[d]!;
  return sum;
}

describe('embedQueryText', () => {
  it('embeds a query of one clause, or a name whose parts are short (双随机、一公开), as a whole', async () => {
    for (const text of ['领导干部述法', '双随机、一公开', '行政复议 应诉']) {
      const { inputs, encoder } = recordingEncoder();
      const { vector, pieces } = await embedQueryText(encoder, text);
      expect(inputs).toEqual([text]);
      expect(cosine(vector, bagVector([text]))).toBeCloseTo(1, 6);
      expect(pieces.length).toBe(1);
      expect(cosine(pieces[0]!, bagVector([text]))).toBeCloseTo(1, 6);
    }
  });

  it('gives a text of several clauses half to its whole and half to the mean of its clauses', async () => {
    const text = '选聘民营企业作为执法监督联系点，并从代表委员中选聘监督员；开展法治督察';
    const clauses = ['选聘民营企业作为执法监督联系点', '并从代表委员中选聘监督员', '开展法治督察'];
    const { inputs, encoder } = recordingEncoder();
    const { vector, pieces } = await embedQueryText(encoder, text);
    expect(inputs).toEqual([text, ...clauses]);
    const expected = combination([[0.5, bagVector([text])], ...clauses.map((c): [number, Float32Array] => [0.5 / 3, bagVector([c])])]);
    expect(cosine(vector, expected)).toBeCloseTo(1, 6);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    // Its pieces, for dense search's clause match: the whole and each clause alone.
    expect(pieces.map((piece, i) => cosine(piece, bagVector([[text, ...clauses][i]!])))).toEqual([1, 1, 1, 1].map(() => expect.closeTo(1, 6)));
  });

  it('cuts a long text into passage-sized pieces after sentence ends, each counted by its length, without clauses', async () => {
    const sentence = '各乡镇街道全部建立人民调解组织，配备专职调解员，深入排查化解矛盾纠纷。';
    const text = sentence.repeat(Math.ceil((2.5 * MAX_PASSAGE_CHARS) / sentence.length));
    const { inputs, encoder } = recordingEncoder();
    const { vector, pieces } = await embedQueryText(encoder, text);
    expect(inputs.length).toBeGreaterThanOrEqual(3);
    expect(pieces.length).toBe(inputs.length);
    expect(inputs.every((piece) => piece.length <= MAX_PASSAGE_CHARS && piece.endsWith('。'))).toBe(true);
    expect(inputs.join('')).toBe(text);
    const expected = combination(inputs.map((piece): [number, Float32Array] => [piece.length, bagVector([piece])]));
    expect(cosine(vector, expected)).toBeCloseTo(1, 6);
  });
});
