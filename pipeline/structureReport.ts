import { classifySection } from './classifySection.ts';
import { CLAUSE_END, headingRank, INTRODUCES, LEGAL_ARTICLE, SENTENCE_END, type HeadingRank } from './headingMarkers.ts';
import type { Block } from './types.ts';

/** A numbered line this short with nothing after its first sentence is a heading, not content. */
const MAX_PURE_HEADING_CHARS = 60;
/** A topic sentence ("（一）依法全面履职，营造法治化营商环境。") longer than this is content, not a heading. */
const MAX_TOPIC_CHARS = 80;
/** Title / issuer / document-number lines before the first sentence are at most this long. */
const MAX_LEAD_LINE_CHARS = 60;
/**
 * Nor do those after the title hold a comma or semicolon (an issuer line lists with 、; a title
 * may: 劳动者超时加班发生工伤，用工单位…是否承担连带赔偿责任): such a line is the report's opening
 * sentence cut by a hard line break (2020年，荣成市坚持…全面推行⏎双随机一公开监管，…), and
 * read as a title it made no passage.
 */
const CLAUSE_INSIDE = /[，；,;]/;
/**
 * An addressee line (区委，区人大常委会：) is a lead line, comma or not: it ends with a colon and each
 * of its parts names a body or an audience. A short opening sentence ending with a colon
 * (一年来，主要做了以下工作：) is text.
 */
const ADDRESSEE = /^(?:[^，、,：:]{1,15}(?:委员会|常委会|委|政协|政府|法院|检察院|院|局|厅|部|办公室|办|代表|同志们|同志)[，、,]?)+[：:]$/;

/**
 * 附件 after the body opens the appendix (附件：⏎2023年度行政执法主体名单⏎序号…, 附件1. …): its lists
 * and tables belong to no part of the report, and under the last heading they were counted as 安排.
 */
const APPENDIX = /^附\s*件\s*[\d０-９一二三四五六七八九十]*\s*(?:[:：.．、]|$)/;
/** The heading path of an appendix's blocks. */
const APPENDIX_HEADING = '附件';

interface OpenHeading {
  /** 0: the appendix, below which every heading of the appendix's own (一、…) nests. */
  rank: HeadingRank | 0;
  text: string;
}

/**
 * Splits cleaned text (one paragraph per line) into blocks that carry their heading path and section.
 * A numbered line with a body on the same line ("（一）争创先进典型，…活动。开展…") is one content
 * block whose heading path ends with its topic sentence. The items of an enumeration (see
 * opensEnumeration) are text of the paragraph that introduces them, not headings.
 */
export function structureReport(cleanedText: string): Block[] {
  const open: OpenHeading[] = [];
  const blocks: Block[] = [];
  /** The numbering rank of each block a numbered line starts (headings and topics with a body), for keepEmptyHeadingsAsText. */
  const numberRanks = new Map<Block, HeadingRank>();
  let inLead = true;
  /** Rank of the first item of the enumeration being read; more deeply numbered lines are its sub-items. */
  let itemRank: HeadingRank | null = null;
  const lines = cleanedText.split('\n').filter((line) => line !== '');
  lines.forEach((line, i) => {
    const rank = headingRank(line);
    const isItem = rank !== null && (itemRank !== null ? rank >= itemRank : opensEnumeration(lines, i, rank));
    itemRank = isItem ? (itemRank ?? rank) : null;
    if (isItem) {
      const intro = blocks.at(-1)!;
      // Under a heading that ends with a colon (三、存在的问题：) the items are a paragraph of their own.
      if (intro.isHeading) blocks.push(block(open, line, false));
      else blocks[blocks.length - 1] = { ...intro, text: intro.text + line };
      return;
    }
    if (rank === null && !inLead && APPENDIX.test(line)) {
      open.splice(0, open.length, { rank: 0, text: APPENDIX_HEADING });
      // 附件： alone names what follows; 附件1：2023年度…名单 is also its text.
      blocks.push(block(open, line, line.replace(APPENDIX, '').trim() === ''));
      return;
    }
    if (rank === null) {
      // A law's first article can be short and end with a colon (第三条 下列不动产权利，依法办理登记：); it is text.
      const isLeadLine: boolean = inLead && !SENTENCE_END.test(line) && !(i > 0 && CLAUSE_INSIDE.test(line) && !ADDRESSEE.test(line)) && line.length <= MAX_LEAD_LINE_CHARS && !LEGAL_ARTICLE.test(line);
      inLead &&= isLeadLine;
      blocks.push(block(open, line, isLeadLine));
      return;
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
    numberRanks.set(blocks.at(-1)!, rank);
  });
  return joinTableCells(keepEmptyHeadingsAsText(blocks, numberRanks));
}

/**
 * A table flattened into text is one short line per cell (序号⏎执法主体⏎1⏎区公安局⏎…), and each
 * made a passage of its own that matched a query by one word. A run of at least TABLE_MIN_CELLS
 * such lines under the same headings is one block, its cells set apart by spaces.
 */
const TABLE_CELL_MAX_CHARS = 15;
const TABLE_MIN_CELLS = 3;

function joinTableCells(blocks: readonly Block[]): Block[] {
  const isCell = (b: Block) => !b.isHeading && b.text.length <= TABLE_CELL_MAX_CHARS && !/[，,；;：:]/.test(b.text) && !SENTENCE_END.test(b.text);
  const out: Block[] = [];
  for (let i = 0; i < blocks.length; ) {
    let end = i;
    while (end < blocks.length && isCell(blocks[end]!) && samePath(blocks[end]!.headingPath, blocks[i]!.headingPath)) end++;
    if (end - i >= TABLE_MIN_CELLS) {
      out.push({ ...blocks[i]!, text: blocks.slice(i, end).map((b) => b.text).join(' ') });
      i = end;
    } else {
      out.push(blocks[i]!);
      i++;
    }
  }
  return out;
}

/**
 * A numbered line read as a heading but with nothing under it — the next block is numbered at its
 * own rank or higher (a heading or a topic with its body), or there is none — is text, under the
 * heading above it: a section written as one-line items
 * (一、主要成效⏎（一）推进“双随机、一公开”监管。⏎（二）党政主要负责人年终述法。⏎二、…) would otherwise make
 * no passage, and a measure named only there could not be found. Consecutive such lines under the
 * same heading are one paragraph, as an enumeration's items are.
 */
function keepEmptyHeadingsAsText(blocks: readonly Block[], ranks: ReadonlyMap<Block, HeadingRank>): Block[] {
  const out: Block[] = [];
  let lastWasEmptyHeading = false;
  blocks.forEach((b, i) => {
    const rank = ranks.get(b);
    const next = blocks[i + 1];
    const nextRank = next === undefined ? undefined : ranks.get(next);
    const empty = b.isHeading && rank !== undefined && (next === undefined || (nextRank !== undefined && nextRank <= rank));
    if (!empty) {
      out.push(b);
      lastWasEmptyHeading = false;
      return;
    }
    const headingPath = b.headingPath.slice(0, -1);
    const prev = out.at(-1);
    if (lastWasEmptyHeading && prev !== undefined && samePath(prev.headingPath, headingPath)) out[out.length - 1] = { ...prev, text: prev.text + b.text };
    else out.push({ ...b, headingPath, section: classifySection(headingPath), isHeading: false });
    lastWasEmptyHeading = true;
  });
  return out;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h, i) => h === b[i]);
}

/**
 * A paragraph ending with a colon and followed by numbered lines without a body of their own is an
 * enumeration (第三条 下列不动产权利，依法办理登记：⏎（一）集体土地所有权；⏎（二）…), as laws write every
 * list of duties, cases and penalties: lawrefbook has 90k such items. Read as headings, those of up to
 * 60 characters made no passages (2.2M characters, 13% of its passage text, were not indexed), and
 * the last one stayed in the heading path of the articles after it. A single numbered line after the
 * colon is a heading (…特作如下决定：⏎一、加强全口径审查⏎…), and so is a topic sentence with its
 * body (一年来的主要工作是：⏎（一）加强宏观调控。针对…).
 */
function opensEnumeration(lines: readonly string[], i: number, rank: HeadingRank): boolean {
  // No heading ends with a clause mark: such a line is an item even where the paragraph before
  // does not end with a colon (a list after 。, or one whose first item has two sentences).
  if (i > 0 && CLAUSE_END.test(lines[i]!)) return true;
  if (i === 0 || !INTRODUCES.test(lines[i - 1]!) || !isBodiless(lines[i]!)) return false;
  const next = lines[i + 1];
  const nextRank = next === undefined ? null : headingRank(next);
  // The next item, or this item's own sub-items (（一）有下列情形之一的：⏎1．…); a section heading
  // with subsections under it (一、工作开展情况⏎（一）…) is neither.
  return nextRank === rank || (nextRank !== null && nextRank > rank && INTRODUCES.test(lines[i]!));
}

/** A numbered line that is one sentence or less: nothing follows its first sentence end. */
function isBodiless(line: string): boolean {
  const end = line.search(SENTENCE_END);
  return end === -1 || end === line.length - 1;
}

function block(open: readonly OpenHeading[], text: string, isHeading: boolean): Block {
  const headingPath = open.map((h) => h.text);
  return { headingPath, section: classifySection(headingPath), text, isHeading };
}
