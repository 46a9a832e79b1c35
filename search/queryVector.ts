// The vector a search query or a text pasted into `similar` is ranked with.
import { MAX_PASSAGE_CHARS } from '../pipeline/splitPassages.ts';
import type { QueryEncoder } from './searchEngine.ts';
import { normalised } from './vectorIndex.ts';

/** Shorter pieces between commas are parts of a name (双随机、一公开), not a practice of their own. */
const MIN_CLAUSE_CHARS = 4;
const CLAUSE_BREAKS = /[，,；;。、\s]+/u;

/**
 * Stored passages are at most MAX_PASSAGE_CHARS long and the encoder truncates long input, so a
 * long text is embedded as passage-sized pieces (cut after sentence ends where possible) whose
 * vectors are averaged by length: every part of it counts, in the shape the passages were embedded in.
 *
 * A piece of several clauses (选聘民营企业作为执法监督联系点，并从代表委员中选聘监督员) is the mean
 * of its whole vector and the mean of its clauses' vectors: a single vector of the whole follows its
 * dominant clause, and a passage doing only the other thing ranked low. Measured (full eval index,
 * bge-small-zh-v1.5, dense nDCG@10, dev / dev2): similar-practice queries 0.615 / 0.572 → 0.633 /
 * 0.633, the same with each query's whole source passage pasted 0.650 / 0.541 → 0.683 / 0.608;
 * paraphrase 0.411 / 0.446 → 0.411 / 0.431; hybrid on the automatic set 0.189 → 0.191. The clause
 * vectors alone (no whole) lost on pasted passages (dense 0.584 / 0.435): many clauses blur.
 *
 * Everything is embedded as a query (bge's retrieval prefix), although bge suggests none for
 * text-to-text similarity: with it, similar --text's dense nDCG@10 on the similar-practice queries
 * (dev / dev2) was 0.615 / 0.572 against 0.604 / 0.509 without, and 0.650 / 0.541 against 0.570 /
 * 0.547 when each query was the whole source passage pasted.
 */
export async function embedQueryText(encoder: QueryEncoder, text: string): Promise<Float32Array> {
  const pieces = passageSizedPieces(text).map((piece) => ({ piece, clauses: clausesOf(piece) }));
  const vectors = await encoder.embedQueries(pieces.flatMap(({ piece, clauses }) => [piece, ...clauses]));
  const sum = new Float32Array(encoder.dim);
  let next = 0;
  for (const { piece, clauses } of pieces) {
    const whole = vectors[next++]!;
    const parts = vectors.slice(next, (next += clauses.length));
    const vector = new Float32Array(encoder.dim);
    addScaled(vector, whole, parts.length > 0 ? 0.5 : 1);
    for (const part of parts) addScaled(vector, part, 0.5 / parts.length);
    addScaled(sum, normalised(vector), piece.length);
  }
  return normalised(sum);
}

/** The piece's clauses, when it has more than one worth embedding alone. */
function clausesOf(piece: string): string[] {
  const clauses = piece.split(CLAUSE_BREAKS).filter((clause) => clause.length >= MIN_CLAUSE_CHARS);
  return clauses.length > 1 ? clauses : [];
}

function addScaled(into: Float32Array, vector: Float32Array, scale: number): void {
  for (let d = 0; d < into.length; d++) into[d]! += vector[d]! * scale;
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
