// The vector a search query or a text pasted into `similar` is ranked with.
import { MAX_PASSAGE_CHARS } from '../pipeline/splitPassages.ts';
import { splitClauses } from '../pipeline/splitClauses.ts';
import { blendClauses, weightedMean } from '../models/vectors.ts';
import type { QueryEncoder } from './searchEngine.ts';

/** A query's vector and its pieces (its whole and clauses, or its passage-sized parts), as PassageVectors are a passage's. */
export interface QueryVectors {
  vector: Float32Array;
  pieces: Float32Array[];
}

/** The clauses' share of a one-piece text's vector (see embedQueryText). */
const QUERY_CLAUSE_SHARE = 0.5;

/**
 * Stored passages are at most MAX_PASSAGE_CHARS long and the encoder truncates long input, so a
 * long text is embedded as passage-sized pieces (cut after sentence ends where possible) whose
 * vectors are averaged by length: every part of it counts, in the shape the passages were embedded in.
 *
 * A text of one piece and several clauses (选聘民营企业作为执法监督联系点，并从代表委员中选聘监督员) is the mean
 * of its whole vector and the mean of its clauses' vectors: a single vector of the whole follows its
 * dominant clause, and a passage doing only the other thing ranked low. Measured (full eval index,
 * bge-small-zh-v1.5, dense nDCG@10, dev / dev2): similar-practice queries 0.615 / 0.572 → 0.633 /
 * 0.633, the same with each query's whole source passage pasted 0.650 / 0.541 → 0.683 / 0.608;
 * paraphrase 0.411 / 0.446 → 0.411 / 0.431; hybrid on the automatic set 0.189 → 0.191. The whole
 * counted as just one more clause lost on pasted passages (dense 0.584 / 0.435): many clauses blur.
 *
 * Everything is embedded as a query (bge's retrieval prefix), although bge suggests none for
 * text-to-text similarity: with it, similar --text's dense nDCG@10 on the similar-practice queries
 * (dev / dev2) was 0.615 / 0.572 against 0.604 / 0.509 without, and 0.650 / 0.541 against 0.570 /
 * 0.547 when each query was the whole source passage pasted. Every eval query without it (full eval
 * index, the same passage vectors and calibration, nDCG@10 dev / dev2 / auto): dense 0.636 / 0.651 /
 * 0.173 against 0.714 / 0.673 / 0.173, hybrid 0.708 / 0.690 / 0.191 against 0.727 / 0.684 / 0.198.
 */
export async function embedQueryText(encoder: QueryEncoder, text: string): Promise<QueryVectors> {
  const pieces = passageSizedPieces(text);
  // Clauses only for a text of one piece (a query, a pasted paragraph: where they were measured):
  // a long text's pieces spread its vector already, and its clauses multiplied the embedding time
  // (similar --text of 5,000 characters: 0.8 → 3.4 s).
  const clauses = pieces.length === 1 ? splitClauses(pieces[0]!) : [];
  const vectors = await encoder.embedQueries(pieces);
  if (clauses.length > 0) {
    // A batch of its own: batched with the whole text every clause was padded to its length
    // (a 300-character paragraph and its 25 clauses: 1.4 s, against 0.05 + 0.15 s apart).
    const clauseVectors = await encoder.embedQueries(clauses);
    return { vector: blendClauses(vectors[0]!, clauseVectors, QUERY_CLAUSE_SHARE), pieces: [vectors[0]!, ...clauseVectors] };
  }
  return { vector: weightedMean(vectors, pieces.map((piece) => piece.length)), pieces: vectors };
}

function passageSizedPieces(text: string): string[] {
  const sentences = text.match(/[^。！？；!?;\n]+[。！？；!?;\n]*/g) ?? [text];
  const pieces: string[] = [];
  let current = '';
  for (const sentence of sentences.flatMap((s) => chop(s, MAX_PASSAGE_CHARS))) {
    if (current.length + sentence.length > MAX_PASSAGE_CHARS && current.trim()) {
      pieces.push(current.trim());
      current = '';
    }
    current += sentence;
  }
  if (current.trim()) pieces.push(current.trim());
  return pieces.length > 0 ? pieces : [text];
}

function chop(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
