import path from 'node:path';
import { isoDate, type CleanedReport } from './cleanReport.ts';
import { detectJurisdiction, provinceOfFolder } from './detectJurisdiction.ts';
import type { Block, ReportMeta } from './types.ts';

/** A line that is only an organisation's name: 中共枣庄市峄城区委员会, 威海市环翠区人民政府. */
const ORGANISATION = /^(?:中共)?[^，,。：:、\s]{2,30}(?:委员会|人民政府|政府|行政公署|管委会|局|办公室|办|委|院|厅)$/;
/** Issuer written into the title: 陕州区司法局2023年度法治政府建设报告. */
const ISSUER_IN_TITLE = /^([^，,。：:、\s]{2,30}?(?:委员会|人民政府|政府|行政公署|管委会|局|办公室))(?:关于)?\d{4}\s*年/;
/** 文号: 峄委〔2024〕1号 (brackets vary with the typing). */
const DOC_NUMBER = /[\u4e00-\u9fa5]{1,12}\s*[〔［[【（(]\s*\d{4}\s*[〕］\]】）)]\s*\d+\s*号/;
const YEAR = /((?:19|20)\d{2})\s*年/;
/** The opening sentence of a report names the year it covers: "2022年，我区…", "2023年度，…". */
const OPENING_YEAR = /^((?:19|20)\d{2})\s*年度?\s*[，,]/;
/**
 * …or, where the title names none, the year since whose start: "2023年以来，全县…" — in its first
 * paragraph only (a resolution's "1958年以来" looks back, and so may a report's "2021年以来").
 */
const SINCE_YEAR = /^((?:19|20)\d{2})\s*年以来\s*[，,]/;
/**
 * Where neither the opening nor the title names the year, the report does elsewhere in the words the
 * template prescribes: "现将我县2023年度法治政府建设情况报告如下：" in its preamble, or its first part
 * "一、2023年推进法治政府建设的主要举措和成效" (上一年度…主要举措和成效, 法治政府建设与责任落实督察工作规定).
 */
const PREAMBLE_YEAR = /((?:19|20)\d{2})\s*年度?[^。；]{0,30}报告如下/;
const FIRST_PART_YEAR = /^(?:一[、.．]|[（(]一[）)])\s*((?:19|20)\d{2})\s*年度?(?:推进)?法治政府建设[^。]{0,8}(?:举措|成效|情况|工作)/;
/** Digits of a year as reports also write them: full width (２０２３年), or as characters in a title (关于二〇二三年…). */
const WIDE_DIGIT = /[０-９]/g;
const CHARACTER_YEAR = /[〇零一二三四五六七八九]{4}(?=\s*年)/g;
const CHARACTER_DIGITS = '〇一二三四五六七八九';
/** Collections of laws date the version in the file name: 山东省供热条例(2021-12-03).md. */
const FILE_NAME_DATE = /\s*[（(](\d{4}-\d{1,2}-\d{1,2})[）)]$/;
/** A report or review reports on a year; other documents (laws, notices) are dated by their date. */
const REPORT_TITLE = /报告|总结/;
const FULL_DATE = /\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日/;
/** The body of a law states when it takes effect: 本条例自2018年1月1日起施行. */
const EFFECTIVE_FROM = /自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起施行/;
/** The enacting body in a history line, once 第十二届 is removed: 山东省人民代表大会常务委员会, 中华人民共和国国务院. */
const ENACTING_BODY = /^经?(.+?)(?:令|第[\d一二三四五六七八九十百零〇]+次|会议|通过|公布|批准)/;

export function extractMetadata(source: string, cleaned: CleanedReport, blocks: readonly Block[]): Omit<ReportMeta, 'kind'> {
  // Lead lines: title, issuer, 文号, salutation — the short header lines before the report's first sentence.
  const leadLines = blocks.filter((b) => b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const preamble = blocks.filter((b) => !b.isHeading && b.headingPath.length === 0).map((b) => b.text);
  const titleIndex = findTitle(leadLines);
  const titleStart = titleIndex === -1 ? -1 : titleStartOf(leadLines, titleIndex);
  const fileName = path.basename(source, path.extname(source));
  const ownTitle = titleIndex === -1 ? fileName.replace(FILE_NAME_DATE, '') : leadLines.slice(titleStart, titleIndex + 1).join('');
  const issuerLine = leadLines.slice(0, Math.max(titleStart, 0)).find((l) => ORGANISATION.test(l)) ?? null;
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
    year: (isReport ? reportYear(title, preamble, blocks) : titleYear(title)) ?? (isReport || publishedAt === null ? null : Number(publishedAt.slice(0, 4))),
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

/**
 * Where the title begins: a title too long for one line goes on in the next (威海市文登区人民政府关于
 * 2023年法治政府建设⏎情况的报告, …关于2023年度⏎法治政府建设…), and the line holding 报告 is only its end.
 * A line before it is the title's beginning when it cannot end a title: it holds 关于 or ends in a
 * year; or when the title's line cannot begin one (情况的报告). Issuer and 文号 lines never are.
 */
function titleStartOf(leadLines: readonly string[], titleIndex: number): number {
  const before = leadLines[titleIndex - 1];
  if (before === undefined || /[，,。：:；;！？]/.test(before) || ORGANISATION.test(before) || DOC_NUMBER.test(before) || FULL_DATE.test(before)) return titleIndex;
  const opensTitle = /关于/.test(before) || /\d{4}\s*年度?$/.test(before);
  const continues = /^(?:情况|工作|的|报告|年度)/.test(leadLines[titleIndex]!);
  return opensTitle || continues ? titleIndex - 1 : titleIndex;
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
 * titled "2023年度…报告" but opens "2022年,我区…" and reports on 2022). Otherwise the title's year;
 * where it names none, the first paragraph's "YYYY年以来", then the template's words (PREAMBLE_YEAR,
 * FIRST_PART_YEAR).
 */
function reportYear(title: string, preamble: readonly string[], blocks: readonly Block[]): number | null {
  const firstMatch = (texts: readonly string[], pattern: RegExp): number | null => {
    const year = texts.map((t) => asciiDigits(t).match(pattern)?.[1]).find((y) => y !== undefined);
    return year === undefined ? null : Number(year);
  };
  const firstHeading = blocks.filter((b) => b.isHeading && b.headingPath.length > 0).slice(0, 1).map((b) => b.text);
  return (
    firstMatch(preamble, OPENING_YEAR) ??
    titleYear(title) ??
    firstMatch(preamble.slice(0, 1), SINCE_YEAR) ??
    firstMatch(preamble, PREAMBLE_YEAR) ??
    firstMatch(firstHeading, FIRST_PART_YEAR)
  );
}

/**
 * The year a title names. Years written in characters count in titles only: in a text they are
 * history (宪法: 一九四九年，…; a 1964 work report's paragraph opening 一九六二年，…).
 */
function titleYear(title: string): number | null {
  const digits = (y: string) => [...y].map((c) => String(CHARACTER_DIGITS.indexOf(c === '零' ? '〇' : c))).join('');
  const year = asciiDigits(title).replace(CHARACTER_YEAR, digits).match(YEAR)?.[1];
  return year === undefined ? null : Number(year);
}

function asciiDigits(text: string): string {
  return text.replace(WIDE_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
}
