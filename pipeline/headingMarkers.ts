// Numbering conventions of Chinese official documents (党政机关公文格式 GB/T 9704): 一、 → （一） → 1. → （1）.
// A smaller rank is a higher level; ranks are fixed by marker type so a report that skips a level still nests right.

export type HeadingRank = 1 | 2 | 3 | 4;

const RANKED_MARKERS: readonly [RegExp, HeadingRank][] = [
  [/^(?:第[一二三四五六七八九十]+(?:部分|章)|[一二三四五六七八九十]+[、.．])\s*/, 1],
  [/^[（(]\s*[一二三四五六七八九十]+\s*[）)]\s*/, 2],
  // Digits full width too (１．, （１）): typed so on a Chinese keyboard, and kept so by .docx and .txt.
  [/^[\d０-９]{1,2}[.．、](?![\d０-９])\s*/, 3],
  [/^[（(]\s*[\d０-９]{1,2}\s*[）)]\s*/, 4],
];

/** The heading rank of a line that starts with a numbering marker, or null for an ordinary line. */
export function headingRank(line: string): HeadingRank | null {
  for (const [marker, rank] of RANKED_MARKERS) if (marker.test(line)) return rank;
  return null;
}

/** 一是…二是…: inline enumerations inside a paragraph, not headings. */
export const ITEM_MARKER = /[一二三四五六七八九十]+是(?![的否非])/;

/** Characters that end a sentence; a line ending with one of these is complete. */
export const SENTENCE_END = /[。！？!?]/;

/** A line ending with a clause mark is unfinished: a paragraph cut by a page break, or an enumeration's item. */
export const CLAUSE_END = /[，、；;,]$/;

/** A paragraph ending with a colon introduces what follows it (下列职责：, 报告如下：). */
export const INTRODUCES = /[:：]$/;

/** 第十二条: an article of a law or regulation starts a paragraph, never continues one. */
export const LEGAL_ARTICLE = /^第[一二三四五六七八九十百零〇两\d]+条/;
