import { classifySection } from './classifySection.ts';
import { headingRank, SENTENCE_END, type HeadingRank } from './headingMarkers.ts';
import type { Block } from './types.ts';

/** A numbered line this short with nothing after its first sentence is a heading, not content. */
const MAX_PURE_HEADING_CHARS = 60;
/** A topic sentence ("（一）依法全面履职，营造法治化营商环境。") longer than this is content, not a heading. */
const MAX_TOPIC_CHARS = 80;
/** Title / issuer / document-number lines before the first sentence are at most this long. */
const MAX_LEAD_LINE_CHARS = 60;

interface OpenHeading {
  rank: HeadingRank;
  text: string;
}

/**
 * Splits cleaned text (one paragraph per line) into blocks that carry their heading path and section.
 * A numbered line with a body on the same line ("（一）争创先进典型，…活动。开展…") is one content
 * block whose heading path ends with its topic sentence.
 */
export function structureReport(cleanedText: string): Block[] {
  const open: OpenHeading[] = [];
  const blocks: Block[] = [];
  let inLead = true;
  for (const line of cleanedText.split('\n')) {
    if (line === '') continue;
    const rank = headingRank(line);
    if (rank === null) {
      const isLeadLine: boolean = inLead && !SENTENCE_END.test(line) && line.length <= MAX_LEAD_LINE_CHARS;
      inLead &&= isLeadLine;
      blocks.push(block(open, line, isLeadLine));
      continue;
    }
    inLead = false;
    while (open.length > 0 && open.at(-1)!.rank >= rank) open.pop();
    const end = line.search(SENTENCE_END);
    const topic = end === -1 ? line : line.slice(0, end + 1);
    const body = line.slice(topic.length).trim();
    if (body === '' && line.length <= MAX_PURE_HEADING_CHARS) {
      open.push({ rank, text: line });
      blocks.push(block(open, line, true));
    } else if (body !== '' && topic.length <= MAX_TOPIC_CHARS) {
      open.push({ rank, text: topic });
      blocks.push(block(open, line, false));
    } else {
      blocks.push(block(open, line, false));
    }
  }
  return blocks;
}

function block(open: readonly OpenHeading[], text: string, isHeading: boolean): Block {
  const headingPath = open.map((h) => h.text);
  return { headingPath, section: classifySection(headingPath), text, isHeading };
}
