// The automatic query set: report paragraphs that open with a topic sentence ("（五）推进纠纷化解，
// 完善非诉讼解决机制。…") become query = topic sentence, answer = the rest of the paragraph. The
// topic sentence is cut out of the indexed document, so the answer never contains the query
// verbatim and lexical matching has no free win.
import { createHash } from 'node:crypto';
import type { EvalQuery } from './evalSet.ts';
import { normalizeForMatch } from './metrics.ts';

export interface CorpusDoc {
  /** File name in the eval corpus (the basename judgements refer to). */
  file: string;
  text: string;
}

export interface AutoSetOptions {
  count: number;
  /** Spreads the queries over many documents instead of a few long ones. */
  perDoc: number;
  seed: string;
  /** Length of the answer's opening used to recognise its passage. */
  anchorChars: number;
}

export interface AutoSet {
  /** The input documents, held-out topic sentences removed. */
  docs: CorpusDoc[];
  queries: EvalQuery[];
}

// Optional ordinal, then a headline-like sentence (no colon, at most two commas) ending with 。
const TOPIC_LINE = /^(?:[（(][一二三四五六七八九十]{1,3}[）)]|第[一二三四五六七八九十]{1,3}[，,、]|——)?\s*([^。！？；：:\s]{6,40})。(.+)$/;
const MAX_TOPIC_COMMAS = 2;
// Sentences opening with these refer back to context; they are not topics.
const NOT_A_TOPIC = /^(这|那|它|我们|他们|但|同时|因此|所以|过去|今年|去年|明年|此外|其中|同志们|总之|另外|一方面|另一方面|当前|目前|现在|現在|由于|根据|经过|各位代表)/;
const MIN_ANSWER_CHARS = 80;
// Longer answers would be split over several passages, and only the first would be judged.
const MAX_ANSWER_CHARS = 300;

interface Candidate {
  doc: number;
  line: number;
  topic: string;
  answer: string;
  rank: string;
}

function countOccurrences(haystack: string, needle: string, stopAt: number): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0 && n < stopAt; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

/**
 * Picks `count` topic-sentence paragraphs deterministically (hash order under `seed`). A topic
 * sentence that occurs anywhere else in `docs` or `context` (other years repeat headlines) is
 * skipped: another paragraph carrying it would be a correct answer judged wrong.
 */
export function holdOutTopicSentences(docs: CorpusDoc[], context: string[], opts: AutoSetOptions): AutoSet {
  const lines = docs.map((d) => d.text.split('\n'));
  const everything = normalizeForMatch([...docs.map((d) => d.text), ...context].join('\n'));
  const candidates: Candidate[] = [];
  lines.forEach((docLines, doc) =>
    docLines.forEach((raw, line) => {
      const m = TOPIC_LINE.exec(raw.trim());
      if (!m) return;
      const topic = m[1]!;
      const answer = m[2]!.trim();
      const answerChars = normalizeForMatch(answer).length;
      if (NOT_A_TOPIC.test(topic) || (topic.match(/[，,]/g) ?? []).length > MAX_TOPIC_COMMAS || answerChars < MIN_ANSWER_CHARS || answerChars > MAX_ANSWER_CHARS) return;
      if (countOccurrences(everything, normalizeForMatch(topic), 2) > 1) return;
      const rank = createHash('sha256').update(`${opts.seed}\n${docs[doc]!.file}\n${topic}`).digest('hex');
      candidates.push({ doc, line, topic, answer, rank });
    }),
  );
  candidates.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));

  const perDoc = new Map<number, number>();
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (chosen.length >= opts.count) break;
    const n = perDoc.get(c.doc) ?? 0;
    if (n >= opts.perDoc) continue;
    perDoc.set(c.doc, n + 1);
    chosen.push(c);
  }

  for (const c of chosen) lines[c.doc]![c.line] = c.answer;
  const queries: EvalQuery[] = chosen
    .sort((a, b) => a.doc - b.doc || a.line - b.line)
    .map((c, i) => ({
      id: `a${String(i + 1).padStart(3, '0')}`,
      group: 'auto',
      query: c.topic,
      relevant: [{ doc: docs[c.doc]!.file, contains: normalizeForMatch(c.answer).slice(0, opts.anchorChars), grade: 2 }],
    }));
  return { docs: docs.map((d, i) => ({ file: d.file, text: lines[i]!.join('\n') })), queries };
}
