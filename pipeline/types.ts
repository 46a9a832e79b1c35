// Typed data passed between pipeline stages, the store and the workers.

/** The four standard parts of a 法治政府建设年度报告, plus everything else (preamble, closing). */
export type SectionKind = '成效' | '不足' | '职责' | '安排' | '其他';
export const SECTION_KINDS: readonly SectionKind[] = ['成效', '不足', '职责', '安排', '其他'];

/**
 * What a document is (pipeline/classifyDocument.ts): an annual rule-of-law government report, another
 * report by a government body (政府工作报告 …), a law or regulation, or anything else.
 */
export type DocumentKind = '法治政府建设年度报告' | '政府报告' | '法律法规' | '其他';
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['法治政府建设年度报告', '政府报告', '法律法规', '其他'];

export interface Jurisdiction {
  province: string | null; // canonical full name, e.g. 山东省
  city: string | null; // e.g. 威海市
  county: string | null; // e.g. 环翠区
  code: string | null; // GB/T 2260 code of the most specific level known, e.g. 371002
}

export interface ReportMeta {
  title: string;
  /** The year reported on (not the publication year). */
  year: number | null;
  /** ISO date YYYY-MM-DD when the text states one. */
  publishedAt: string | null;
  issuer: string | null;
  docNumber: string | null;
  jurisdiction: Jurisdiction;
  kind: DocumentKind;
}

/** A paragraph after cleaning and structuring, before passage splitting. */
export interface Block {
  /** Heading texts from the top level down to this block's nearest heading. */
  headingPath: string[];
  section: SectionKind;
  /** Original characters, as displayed. */
  text: string;
  /** True when the block is itself a heading line. */
  isHeading: boolean;
}

export interface Passage {
  /** 0-based position within the report. */
  ordinal: number;
  text: string;
  headingPath: string[];
  section: SectionKind;
  /** Coarse jieba tokens with stopwords removed, in text order, for the lexical index. */
  tokens: string[];
  /** Dictionary words inside the long tokens (pipeline/segment.ts segmentForIndex), a second lexical column. */
  parts: string[];
  /** Words of the document's title and this heading path (segmentContext), a third lexical column. */
  context: string[];
  /** sha256 hex of the normalised text: identical passages share it. */
  hash: string;
}

export interface ParsedReport {
  /** Path as given to ingest. */
  source: string;
  /** sha256 hex of the raw bytes: unchanged file ⇒ unchanged hash. */
  contentHash: string;
  /** PARSER_VERSION of the code that parsed it (pipeline/parserVersion.ts). */
  parser: number;
  encoding: string;
  meta: ReportMeta;
  passages: Passage[];
}
