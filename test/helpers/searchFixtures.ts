// Synthetic reports and deterministic vectors for the search tests: the real encoder and jieba
// are tested elsewhere; here vectors are hashed bags of tokens, so meaning ≈ shared tokens.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARSER_VERSION } from '../../pipeline/parserVersion.ts';
import type { ParsedReport, SectionKind } from '../../pipeline/types.ts';
import type { Encoder, PassageVectors } from '../../models/encoder.ts';

export const DIM = 64;

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'fazhi-search-'));
}

export interface FixturePassage {
  section: SectionKind;
  /** The passage as jieba would segment it; its text is the words joined. */
  words: string[];
}

export interface FixtureRegion {
  province: string | null;
  city: string | null;
  county: string | null;
  year: number | null;
}

export function makeReport(source: string, region: FixtureRegion, passages: FixturePassage[]): ParsedReport {
  const parsed: ParsedReport = {
    source,
    contentHash: '',
    parser: PARSER_VERSION,
    encoding: 'utf-8',
    meta: {
      title: `${region.county ?? region.city ?? region.province ?? ''}${region.year ?? ''}年法治政府建设情况报告`,
      year: region.year,
      publishedAt: null,
      issuer: null,
      docNumber: null,
      jurisdiction: { province: region.province, city: region.city, county: region.county, code: null },
      kind: '法治政府建设年度报告',
    },
    passages: passages.map((passage, ordinal) => ({
      ordinal,
      text: passage.words.join(''),
      headingPath: [`${passage.section}部分`],
      section: passage.section,
      tokens: passage.words.filter((word) => /[\p{L}\p{N}]/u.test(word)),
      parts: [],
      context: [],
      hash: sha256(passage.words.join('')),
    })),
  };
  parsed.contentHash = sha256(JSON.stringify(parsed));
  return parsed;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A fixed pseudo-random unit direction per token. */
function tokenDirection(token: string): Float32Array {
  const digest = createHash('sha256').update(token).digest();
  let seed = digest.readUInt32LE(0);
  const random = seededRandom(seed);
  return Float32Array.from({ length: DIM }, () => random() * 2 - 1);
}

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function bagVector(tokens: readonly string[]): Float32Array {
  const sum = new Float32Array(DIM);
  for (const token of tokens) {
    const direction = tokenDirection(token);
    for (let i = 0; i < DIM; i++) sum[i]! += direction[i]!;
  }
  return unit(sum);
}

export function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return vector.map((x) => x / norm);
}

/** A unit vector at cosine `c` with the unit vector `target`: a random direction made orthogonal to it, mixed in. */
export function atCosine(target: Float32Array, c: number, random: () => number): Float32Array {
  const r = Float32Array.from({ length: DIM }, () => random() * 2 - 1);
  const along = r.reduce((sum, x, d) => sum + x * target[d]!, 0);
  const away = unit(r.map((x, d) => x - along * target[d]!));
  return unit(target.map((x, d) => c * x + Math.sqrt(1 - c * c) * away[d]!));
}

export function vectorsFor(report: ParsedReport): PassageVectors[] {
  return withoutPieces(report.passages.map((passage) => bagVector(passage.tokens)));
}

/** Passage vectors of a model without clauseMatch. */
export function withoutPieces(vectors: Float32Array[]): PassageVectors[] {
  return vectors.map((vector) => ({ vector, pieces: [] }));
}

/** Longest-match segmentation over the fixtures' vocabulary: a stand-in for segmentForIndex. */
export function makeSegmenter(reports: readonly ParsedReport[]): (text: string) => string[] {
  const vocabulary = new Set(reports.flatMap((report) => report.passages.flatMap((passage) => passage.tokens)));
  const longest = Math.max(...[...vocabulary].map((word) => word.length));
  return (text) => {
    const tokens: string[] = [];
    for (let at = 0; at < text.length; ) {
      let length = Math.min(longest, text.length - at);
      while (length > 1 && !vocabulary.has(text.slice(at, at + length))) length--;
      const token = text.slice(at, at + length);
      if (vocabulary.has(token)) tokens.push(token);
      at += length;
    }
    return tokens;
  };
}

export function makeEncoder(segment: (text: string) => string[], modelId = 'test-bag-64'): Encoder {
  const embed = async (texts: string[]) => texts.map((text) => bagVector(segment(text)));
  const embedPassages = async (texts: string[]) => withoutPieces(await embed(texts));
  return { modelId, dim: DIM, embed, embedPassages, embedQueries: embed };
}
