/**
 * Raised whenever the same bytes parse into other passages (text, words, headings) or metadata
 * than before. A store keeps each document's version: one parsed by an earlier version is parsed
 * again the next time its file is ingested, instead of being skipped as unchanged (search/store.ts
 * hasCurrent). Stores written before versions were recorded hold 0. 1: an enumeration's items are
 * text, not headings (structureReport), and a numbering marker alone on a line starts the next
 * one (cleanReport). 2: a numbered line with nothing under it is text, not a heading, a line after
 * the title holding a comma is not a lead line (structureReport: both made no passage), and a line
 * leaving a quotation or bracket open goes on in the next (cleanReport). 3: a passage a document
 * repeats word for word is kept once (parseReport). 4: only where it repeats under the same
 * headings; a short opening sentence ending with a colon is text, an addressee line is not. 5: page
 * numbers, running headers and web credits are dropped, a hard-wrapped text is rejoined, a last
 * line naming a body is a signature only after a sentence or with the date, full-width numbering
 * is numbering (cleanReport); a title over two lines is whole, the year is read from full-width or
 * character digits, 2023年以来 and the template's words, a county named twice is one,
 * a zone is its city's (extractMetadata, detectJurisdiction); 附件 opens a part of its own and a table flattened into short lines is one
 * block (structureReport); Word's list numbers are drawn, PDFs with standard CJK fonts are read.
 * 6: a dash or opening quote alone on a line opens the next, other mark-only lines are dropped, a page
 * number among the lead lines joins nothing (cleanReport); the counties renamed in 2021 are their
 * current county (detectJurisdiction); Word list levels and starts are bounded (docxListNumbers).
 */
export const PARSER_VERSION = 6;
