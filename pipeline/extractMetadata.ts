import path from 'node:path';
import { isoDate, type CleanedReport } from './cleanReport.ts';
import { detectJurisdiction, provinceOfFolder } from './detectJurisdiction.ts';
import type { Block, ReportMeta } from './types.ts';

/** A line that is only an organisation's name: 中共枣庄市峄城区委员会, 威海市环翠区人民政府. */
const ORGANISATION = /^(?:中共)?[^，,。：:、\s]{2,30}(?:委员会|人民政府|政府|局|办公室|办|委|院|厅)$/;
/** Issuer written into the title: 陕州区司法局2023年度法治政府建设报告. */
const ISSUER_IN_TITLE = /^([^，,。：:、\s]{2,30}?(?:委员会|人民政府|政府|局|办公室))(?:关于)?\d{4}\s*年/;
/** 文号: 峄委〔2024〕1号 (brackets vary with the typing). */
const DOC_NUMBER = /[\u4e00-\u9fa5]{1,12}\s*[〔［[【（(]\s*\d{4}\s*[〕］\]】）)]\s*\d+\s*号/;
const YEAR = /((?:19|20)\d{2})\s*年/;
/** The opening sentence of a report names the year it covers: "2022年，我区…". */
const OPENING_YEAR = /^((?:19|20)\d{2})\s*年\s*[，,]/;
/** Collections of laws date the version in the file name: 山东省供热条例(2021-12-03).md. */
const FILE_NAME_DATE = /\s*[（(](\d{4}-\d{1,2}-\d{1,2})[）)]$/;
/** A report or review reports on a year; other documents (laws, notices) are dated by their date. */
const REPORT_TITLE = /报告|总结/;
const FULL_DATE = /\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日/;
/** The body of a law states when it takes effect: 本条例自2018年1月1日起施行. */
const EFFECTIVE_FROM = /自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起施行/;
/** The enacting body in a history line, once 第十二届 is removed: 山东省人民代表大会常务委员会, 中华人民共和国国务院. */
const ENACTING_BODY = /^经?(.+?)(?:令|第[\d一二三四五六七八九十百零〇]+次|会议|通过|公布|批准)/;

export function extractMetadata(source: string, cleaned: CleanedReport, blocks: readonly Block[]): ReportMeta {
  // Lead lines: title, issuer, 文号, salutation — the short header lines before the report's first sentence.
  const leadLines = blocks.filter((b) => b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const preamble = blocks.filter((b) => !b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const titleIndex = findTitle(leadLines);
  const fileName = path.basename(source, path.extname(source));
  const ownTitle = titleIndex === -1 ? fileName.replace(FILE_NAME_DATE, '') : leadLines[titleIndex]!;
  const issuerLine = leadLines.slice(0, Math.max(titleIndex, 0)).find((l) => ORGANISATION.test(l)) ?? null;
  const title = issuerLine && ownTitle.startsWith('关于') ? issuerLine + ownTitle : ownTitle;
  const { chrome } = cleaned;
  const issuer = issuerLine ?? chrome.articleSource ?? ownTitle.match(ISSUER_IN_TITLE)?.[1] ?? enactingBody(chrome.history);
  const isReport = REPORT_TITLE.test(title);
  const publishedAt =
    chrome.pageDate ??
    chrome.closingDate ??
    isoDate(fileName.match(FILE_NAME_DATE)?.[1] ?? '') ??
    versionDate(chrome.history) ??
    (isReport ? null : isoDate(cleaned.text.match(EFFECTIVE_FROM)?.[1] ?? ''));
  // A local regulation's folder names its province (DLC/山东地方法规/…) when its title names only a city, or no place.
  const header = [provinceOfFolder(source) ?? '', title, issuer ?? '', ...leadLines, chrome.articleSource ?? ''].join('\n');
  return {
    title,
    year: reportYear(title, preamble) ?? (isReport || publishedAt === null ? null : Number(publishedAt.slice(0, 4))),
    publishedAt,
    issuer,
    docNumber: leadLines.map((l) => l.match(DOC_NUMBER)?.[0]).find((n) => n !== undefined)?.replace(/\s+/g, '') ?? null,
    jurisdiction: detectJurisdiction(header, cleaned.text),
  };
}

/** The date of the version: the latest dated history line that enacts or amends (not one that only says 施行). */
function versionDate(history: readonly string[]): string | null {
  const dated = history.filter((l) => FULL_DATE.test(l));
  const enacting = dated.filter((l) => !/^\S+\s*施行$/.test(l));
  const dates = (enacting.length > 0 ? enacting : dated).map((l) => isoDate(l)).filter((d) => d !== null);
  return dates.sort().at(-1) ?? null;
}

/** Who enacted a law, from its first history line. */
function enactingBody(history: readonly string[]): string | null {
  const first = history[0]?.replace(FULL_DATE, '').replace(/第[一二三四五六七八九十]+届/, '').trim();
  return first?.match(ENACTING_BODY)?.[1] ?? null;
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
