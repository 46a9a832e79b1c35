import path from 'node:path';
import type { CleanedReport } from './cleanReport.ts';
import { detectJurisdiction } from './detectJurisdiction.ts';
import type { Block, ReportMeta } from './types.ts';

/** A line that is only an organisation's name: 中共枣庄市峄城区委员会, 威海市环翠区人民政府. */
const ORGANISATION = /^(?:中共)?[^，,。：:、\s]{2,30}(?:委员会|人民政府|政府|局|办公室|办|委|院|厅)$/;
/** Issuer written into the title: 陕州区司法局2023年度法治政府建设报告. */
const ISSUER_IN_TITLE = /^([^，,。：:、\s]{2,30}?(?:委员会|人民政府|政府|局|办公室))(?:关于)?\d{4}\s*年/;
/** 文号: 峄委〔2024〕1号 (brackets vary with the typing). */
const DOC_NUMBER = /[\u4e00-\u9fa5]{1,12}\s*[〔［\[【（(]\s*\d{4}\s*[〕］\]】）)]\s*\d+\s*号/;
const YEAR = /((?:19|20)\d{2})\s*年/;
/** The opening sentence of a report names the year it covers: "2022年，我区…". */
const OPENING_YEAR = /^((?:19|20)\d{2})\s*年\s*[，,]/;

export function extractMetadata(source: string, cleaned: CleanedReport, blocks: readonly Block[]): ReportMeta {
  // Lead lines: title, issuer, 文号, salutation — the short header lines before the report's first sentence.
  const leadLines = blocks.filter((b) => b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const preamble = blocks.filter((b) => !b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const titleIndex = findTitle(leadLines);
  const ownTitle = titleIndex === -1 ? path.basename(source, path.extname(source)) : leadLines[titleIndex]!;
  const issuerLine = leadLines.slice(0, Math.max(titleIndex, 0)).find((l) => ORGANISATION.test(l)) ?? null;
  const title = issuerLine && ownTitle.startsWith('关于') ? issuerLine + ownTitle : ownTitle;
  const issuer = issuerLine ?? cleaned.chrome.articleSource ?? ownTitle.match(ISSUER_IN_TITLE)?.[1] ?? null;
  const header = [title, issuer ?? '', ...leadLines, cleaned.chrome.articleSource ?? ''].join('\n');
  return {
    title,
    year: reportYear(title, preamble),
    publishedAt: cleaned.chrome.pageDate ?? cleaned.chrome.closingDate,
    issuer,
    docNumber: leadLines.map((l) => l.match(DOC_NUMBER)?.[0]).find((n) => n !== undefined)?.replace(/\s+/g, '') ?? null,
    jurisdiction: detectJurisdiction(header, cleaned.text),
  };
}

function findTitle(leadLines: readonly string[]): number {
  const report = leadLines.findIndex((l) => /报告|总结/.test(l));
  if (report !== -1) return report;
  const topical = leadLines.findIndex((l) => l.includes('法治'));
  return topical !== -1 ? topical : leadLines.findIndex((l) => !ORGANISATION.test(l) && !DOC_NUMBER.test(l));
}

/**
 * The year reported on. Rule: when the opening paragraph starts "YYYY年，…" that year wins over the
 * title's year, because reposted copies often carry the year they were posted in the title (seed 001 is
 * titled "2023年度…报告" but opens "2022年,我区…" and reports on 2022). Otherwise the title's year.
 */
function reportYear(title: string, preamble: readonly string[]): number | null {
  const opening = preamble.map((p) => p.match(OPENING_YEAR)?.[1]).find((y) => y !== undefined);
  const titled = title.match(YEAR)?.[1];
  const year = opening ?? titled;
  return year === undefined ? null : Number(year);
}
