// What a document is, decided at ingest from its title and structure, so a search can keep to
// the annual rule-of-law reports (or to laws) with `--kind`.
import type { DocumentKind, SectionKind } from './types.ts';

export interface KindEvidence {
  title: string;
  issuer: string | null;
  /** The passages' texts in order. */
  texts: readonly string[];
  sections: readonly SectionKind[];
}

/** 法治政府建设情况的报告, 法治建设工作报告, 法治政府建设年度报告 … */
const RULE_OF_LAW_TITLE = /法治(?:政府)?建设/;
const REPORT_WORD = /报告|情况|总结/;
/** A report whose title lost the topic (a web page titled 通知公告) still says it throughout. */
const RULE_OF_LAW_PHRASE = /法治政府建设/g;
const MIN_RULE_OF_LAW_MENTIONS = 5;
/** 条例, 规定, 办法, 民法典, 刑法修正案, a court's 批复 … at the end of a title, before a version date or （修正）. */
const LAW_TITLE = /(?:法|法典|修正案|条例|规定|办法|细则|规则|解释|批复|决定|规程|准则|章程)(?:[（(][^）)]*[）)])*\s*$/;
/** Articles (第十二条) open a law's paragraphs; three is more than a report ever quotes at a line start. */
const ARTICLE = /(?:^|[\n。；：:\s])第[一二三四五六七八九十百零〇\d]+条/g;
const MIN_ARTICLES = 3;
/** A report by a government body: 政府工作报告, 国务院…报告, 司法局…报告. */
const GOVERNMENT_REPORT_TITLE = /政府工作报告/;
const GOVERNMENT_BODY = /人民政府|政府|国务院|厅|局|人民法院|人民检察院|人民代表大会常务委员会|人大常委会/;
const NOT_A_REPORT = /决议$/;

export function classifyDocument(doc: KindEvidence): DocumentKind {
  const title = doc.title.trim();
  const body = doc.texts.join('\n');
  const isReportTitle = REPORT_WORD.test(title) && !NOT_A_REPORT.test(title);
  if (isReportTitle && RULE_OF_LAW_TITLE.test(title)) return '法治政府建设年度报告';
  const mentions = body.match(RULE_OF_LAW_PHRASE)?.length ?? 0;
  if (mentions >= MIN_RULE_OF_LAW_MENTIONS && (doc.sections.includes('不足') || doc.sections.includes('安排'))) return '法治政府建设年度报告';
  if (LAW_TITLE.test(title) || (body.match(ARTICLE)?.length ?? 0) >= MIN_ARTICLES) return '法律法规';
  if (isReportTitle && (GOVERNMENT_REPORT_TITLE.test(title) || GOVERNMENT_BODY.test(title) || GOVERNMENT_BODY.test(doc.issuer ?? ''))) return '政府报告';
  return '其他';
}
