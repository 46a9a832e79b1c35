import { createHash } from 'node:crypto';
import { ITEM_MARKER } from './headingMarkers.ts';
import { normalizeForMatch } from './normalizeForMatch.ts';
import { segmentForIndex } from './segment.ts';
import type { Block, Passage } from './types.ts';

/**
 * Upper bound of a passage in characters: 300 characters (≈ 200–300 tokens) fit a small encoder's window
 * and keep a passage about one measure, which is what a search hit should show.
 */
export const MAX_PASSAGE_CHARS = 300;
/** Text shorter than this says too little to be retrieved on its own. */
const MIN_STANDALONE_CHARS = 60;
/** An item's first sentence up to this long is its topic ("一是优化政府机构职能。") and joins the heading path. */
const MAX_ITEM_TOPIC_CHARS = 40;

/** Sentence: up to and including an end mark (and closing quotes/brackets after it), or the rest of the text. */
const SENTENCE = /[^。！？；;!?]*(?:[。！？；;!?]+[”’」』）)]*|$)/g;
const CLAUSE = /[^，,、]*(?:[，,、]+|$)/g;

/**
 * Turns content blocks into passages: a block that fits is one passage; a longer one is cut between
 * enumerated items (二是…) where it can and between sentences where it must. Heading-only
 * blocks make no passage; their text is already in the heading path of the blocks under them.
 */
export function splitPassages(blocks: readonly Block[]): Omit<Passage, 'context'>[] {
  const passages: Omit<Passage, 'context'>[] = [];
  for (const block of blocks) {
    if (block.isHeading) continue;
    for (const text of packSentences(block.text)) {
      passages.push({
        ordinal: passages.length,
        text,
        headingPath: withItemTopic(block.headingPath, text),
        section: block.section,
        ...segmentForIndex(text),
        hash: createHash('sha256').update(normalizeForMatch(text)).digest('hex'),
      });
    }
  }
  return passages;
}

function packSentences(text: string): string[] {
  if (text.length <= MAX_PASSAGE_CHARS) return [text];
  return fillUpToCap(itemGroups(splitToFit(pieces(text, SENTENCE)))).flatMap(balance);
}

/** Sentences grouped by enumerated item: a new group starts at each 一是/二是…; text before the first is a group too. */
function itemGroups(sentences: string[]): string[] {
  const groups: string[] = [];
  for (const sentence of sentences) {
    if (groups.length === 0 || sentence.match(ITEM_MARKER)?.index === 0) groups.push(sentence);
    else groups[groups.length - 1] += sentence;
  }
  return groups;
}

/**
 * Consecutive groups share a passage while they fit, so items are split apart only when they must be;
 * a lone topic sentence ("（六）坚持调解与普法“全覆盖”。") always goes with the item after it.
 */
function fillUpToCap(groups: string[]): string[] {
  const filled: string[] = [];
  for (const group of groups) {
    const last = filled.at(-1);
    const fits = last !== undefined && last.length + group.length <= MAX_PASSAGE_CHARS;
    if (last !== undefined && (fits || last.length < MIN_STANDALONE_CHARS)) filled[filled.length - 1] = last + group;
    else filled.push(group);
  }
  return filled;
}

/** Packs an over-long group from whole sentences into equal shares: 320 characters → 2×160, not 300 + a stub. */
function balance(group: string): string[] {
  if (group.length <= MAX_PASSAGE_CHARS) return [group];
  const share = group.length / Math.ceil(group.length / MAX_PASSAGE_CHARS);
  const chunks: string[] = [];
  let current = '';
  for (const sentence of splitToFit(pieces(group, SENTENCE))) {
    if (current !== '' && (current.length >= share || current.length + sentence.length > MAX_PASSAGE_CHARS)) {
      chunks.push(current);
      current = '';
    }
    current += sentence;
  }
  chunks.push(current);
  return chunks;
}

/** A sentence over the cap is cut at clause marks, and a clause over the cap at the cap itself. */
function splitToFit(sentences: string[]): string[] {
  return sentences.flatMap((sentence) => {
    if (sentence.length <= MAX_PASSAGE_CHARS) return [sentence];
    return pieces(sentence, CLAUSE).flatMap((clause) => {
      const parts: string[] = [];
      for (let i = 0; i < clause.length; i += MAX_PASSAGE_CHARS) parts.push(clause.slice(i, i + MAX_PASSAGE_CHARS));
      return parts;
    });
  });
}

function pieces(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((m) => m[0]).filter((p) => p !== '');
}

function withItemTopic(headingPath: string[], text: string): string[] {
  if (text.match(ITEM_MARKER)?.index !== 0) return headingPath;
  const topic = pieces(text, SENTENCE)[0]!;
  return topic.length <= MAX_ITEM_TOPIC_CHARS && topic.length < text.length ? [...headingPath, topic] : headingPath;
}
