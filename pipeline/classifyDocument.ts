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
/** A title's end: what follows its last word, a version date or （修正）. */
const TITLE_END = String.raw`(?:[（(][^）)]*[）)])*\s*$`;
/** 条例, 规定, 办法, 民法典, 刑法修正案, a court's 批复 … at the end of a title. */
const LAW_TITLE = new RegExp(`(?:法|法典|修正案|条例|规定|办法|细则|规则|解释|批复|决定|规程|准则|章程)${TITLE_END}`);
/** Articles (第十二条) open a law's paragraphs; three is more than a report ever quotes at a line start. */
const ARTICLE = /(?:^|[\n。；：:\s])第[一二三四五六七八九十百零〇\d]+条/g;
const MIN_ARTICLES = 3;
/**
 * Acts of a legislature, the State Council, the supreme court or procuratorate that carry no law word
 * at the end of their title: 河南省人民代表大会常务委员会关于加强对司法工作监督的决议, 国务院关于…的命令,
 * 最高人民法院关于内地与香港特别行政区相互执行仲裁裁决的安排. LawRefBook files such acts (18 of its
 * 3,468 documents) with the regulations and judicial interpretations. A resolution on a report
 * (…关于政府工作报告的决议) approves it and is none; nor is a notice that only forwards (印发, 转发).
 */
const LAWMAKER = /^(?:[^，,。：:\s]{0,10}?人民代表大会(?:常务委员会)?|[^，,。：:\s]{0,10}?人大常委会|国务院|最高人民法院|最高人民检察院)/;
const NORMATIVE_ACT = new RegExp(`(?:决议|通知|意见|安排|解答|命令)${TITLE_END}`);
const NOT_AN_ACT = /报告|印发|转发/;
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
  if (LAWMAKER.test(title) && NORMATIVE_ACT.test(title) && !NOT_AN_ACT.test(title)) return '法律法规';
  if (isReportTitle && (GOVERNMENT_REPORT_TITLE.test(title) || GOVERNMENT_BODY.test(title) || GOVERNMENT_BODY.test(doc.issuer ?? ''))) return '政府报告';
  return '其他';
}
