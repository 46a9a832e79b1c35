import { CLAUSE_END, headingRank, INTRODUCES, ITEM_MARKER, LEGAL_ARTICLE, SENTENCE_END } from './headingMarkers.ts';

/** What cleaning took off the page that later stages still want (metadata). */
export interface ReportChrome {
  /** 文章来源 of a web page header, e.g. 威海市司法局. */
  articleSource: string | null;
  /** 发布日期 of a web page header, ISO YYYY-MM-DD. */
  pageDate: string | null;
  /** 签发人 line of an official document. */
  signer: string | null;
  /** Signature lines closing the document (issuing bodies), in order. */
  signatories: string[];
  /** Date line closing the document (落款日期), ISO YYYY-MM-DD. */
  closingDate: string | null;
  /** A law's history lines under its title ("2017年9月30日 山东省第十二届人大常委会第三十二次会议通过"). */
  history: string[];
}

export interface CleanedReport {
  /** One paragraph per line, original characters, no blank lines. */
  text: string;
  chrome: ReportChrome;
}

/**
 * Lines that are page furniture of government web sites, never report text; and of Wikisource, where
 * the national reports in ../shared/corpora come from: footnote back-links (↑) and the licence
 * template's flags (Public domain, false).
 */
const PAGE_FURNITURE = /^(?:通知公告|政策解读|政务公开|当前位置[:：].*|您当前的位置[:：].*|(?:打印本页|关闭窗口|【?打印】?|【?关闭】?|返回顶部|\[\s*\]|\s)+|[↑↓]+|Public domain|false|true|粗体文字|斜体文字)$/;
/**
 * Lines a printed page puts around the text, left in reports saved as text or Word from print
 * layout: page numbers (- 3 -, — 4 —, 第5页 共8页, 5/8; a bare number may be a subscript, M⏎2) and the 版头 repeated as a running header
 * (罗庄区人民政府文件). Each stood as a passage of its own, or cut a sentence in two: the text around
 * one goes on across it as across a soft break (see ZERO_WIDTH).
 */
const PAGE_BREAK_MARK =
  /^(?:[-—–－─]\s*\d{1,3}\s*[-—–－─]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*\/\s*\d{1,3}|[^，,。：:、\s]{2,30}(?:人民政府|委员会|政府|局|办公室|厅)文件)$/;
/** A web article's credits and link lists inside its body: （责任编辑：王某某）, 审核：李某, 相关链接：, 分享到：. */
const ARTICLE_CREDITS = /^(?:[（(]?(?:责任编辑|编辑|审核|校对|初审|复审|终审)[:：][^，,。]{0,20}?[）)]?|(?:相关链接|分享到|扫一扫在手机打开当前页)[:：]?.{0,40})$/;
/**
 * Wikisource's licence template (本作品是中华人民共和国的法律、法规…属于公有领域。) opens the page
 * footer: it and every paragraph after it (its notes, 本模板所指的…) are not the document.
 */
const SOURCE_LICENCE = /^本作品(?:是|来自)中华人民共和国.*公有领域。$/;
/**
 * Zero-width characters are invisible, and JavaScript's trim() keeps them. Wikisource pages have
 * lines of them only, inside sentences and even words (…交出一份人⏎\u200b⏎民满意…, 要全面深化各领域改⏎
 * \u200b⏎革…): such a line is a soft break, the lines around it one paragraph unless one of them
 * ends a sentence or starts a heading (in the corpora 69 of 81 stand inside a sentence; the 370
 * in lawrefbook all follow a sentence's end).
 */
const ZERO_WIDTH = /[\u200b\u2060\ufeff]/g;
/** A line starting with a mark that closes or continues a sentence cannot start a paragraph. */
const CONTINUATION_START = /^[，、；。：！？,;:!?）)》〉」』】〕”’]/;
/** A link's text that web markup put on a line of its own (…所作的⏎政府工作报告⏎。会议…) is at most this long. */
const MAX_LINK_LINE_CHARS = 20;
/**
 * A numbering marker alone on a line (一、 / （二） / 三是 / 二要) is the start of the line after it:
 * Wikisource's markup set some apart (…方向是：⏎一、⏎继续增加能源…), 65 in the national records.
 */
/**
 * A line of marks only (——, ', ……) is no text of its own: Wikisource's markup set a dash or a quote
 * apart from the words it opens (——⏎改革开放⏎深入推进…), and alone each was a passage that only a
 * query the model cannot read (骉龘靐齉: unknown characters) came near, at relevance 0.40.
 */
const MARKS_ONLY = /^[^\p{L}\p{N}]+$/u;
/**
 * Of those, a dash, an ellipsis or an opening quote or bracket opens the words after it; a rule
 * (***, ————, ★★★) separates sections and is dropped, as is any mark line before a heading.
 */
const OPENING_MARK = /^(?:——?|…{1,2}|['"“‘「『《（(])$/;
/** A mark inside or ending a sentence: a line holding one is body text, not a title or a heading. */
const CLAUSE_MARK = /[，,；;。！？!?]/;
const BARE_MARKER = /^(?:[一二三四五六七八九十]+[、.．是要]|[（(][一二三四五六七八九十\d０-９]{1,3}[）)]|[\d０-９]{1,2}[.．、])$/;
/**
 * The source on a web article's info line, in a page (readHtml) or a text copy of one: it runs up to
 * the line's next field or a page widget (【字体：大 中 小】, [打印]).
 */
export const ARTICLE_SOURCE = /来源[:：]\s*(.+?)\s*(?=发布|时间|日期|作者|编辑|访问|浏览|点击|字号|字体|【|\[|$)/;
/** Header line of a web article: 文章来源 / 发布日期 / 访问次数 / 字号 run together. */
const ARTICLE_HEADER = /(?:^(?:文章)?来源[:：]|发布(?:日期|时间)[:：]|访问次数|浏览次数|字号[:：])/;
/** Content-farm spam wrapped around copied reports. */
const SPAM = /^(?:下面是小编为大家整理的.*供大家参考|推荐访问[:：]|相关推荐[:：]|本文(?:由|来源于).*整理)/;
const SIGNER = /^签发人[:：]\s*(.+)$/;
const DATE = /(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?/;
const DATE_LINE = /^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$/;
/** Closing signature: a short organisation name alone on a line. */
const SIGNATORY = /^[^，,。；;：:、\s]{2,30}(?:委员会|委|人民政府|政府|局|办公室|办|院|厅|部|中心)$/;
/**
 * A paragraph grows by joined lines no longer than this; the next line starts another. Each join's
 * tests read the whole paragraph, so 160,000 lines ending in ， took 120 s to join into one (a
 * paragraph of a report is a few hundred characters; passages are split far below this anyway).
 */
const MAX_JOINED_CHARS = 8000;
/** A line this long without an ending mark is body text cut by a page break, not a title. */
const MIN_BROKEN_LINE_CHARS = 40;
/**
 * Text saved with hard line breaks at the page's width (公文 set 28 characters a line; text copied
 * out of a PDF) has most of its lines the same length, which MIN_BROKEN_LINE_CHARS misses where it
 * is shorter: a length shared by at least WRAP_SHARE of the lines of WRAP_MIN_LINE_CHARS or more
 * (and by WRAP_MIN_LINES of them) is the width, and an unfinished line within WRAP_SLACK characters
 * of it (half-width digits and marks make lines a little shorter or longer) goes on in the next —
 * once a clause has been read: a title of about that width stands alone.
 */
const WRAP_MIN_LINE_CHARS = 15;
const WRAP_SHARE = 0.3;
const WRAP_MIN_LINES = 5;
const WRAP_SLACK = 2;
/** YAML front matter of a markdown file (static-site collections of laws). */
const FRONT_MATTER = /^\uFEFF?---\n[\s\S]*?\n---(?:\n|$)/;
const HTML_COMMENT = /<!--[\s\S]*?-->/g;
/** Ends the title-and-history header of laws in markdown collections (lawrefbook). */
const INFO_END = /^\s*<!--\s*INFO END\s*-->\s*$/m;
/**
 * A markdown heading starts its own paragraph, and a long one without an ending mark is still whole:
 * 84 of lawrefbook's files had a title of 40 characters or more (…若干问题的解释, …的批复) run
 * together with the preamble or the addressee line (上海市高级人民法院：) after it, so the title was
 * taken from the file name and a passage began with it. One cut after a clause mark
 * (### 第二节 向中华人民共和国请求没收、⏎返还违法所得…) is still joined, as any such line is.
 */
const MARKDOWN_HEADING = /^#{1,6}\s/;

interface Line {
  text: string;
  /** Written as a markdown heading. */
  heading: boolean;
  /** A line of zero-width characters only stood before it (see ZERO_WIDTH). */
  softBreak: boolean;
  /** A page's number or running header stood before it (see PAGE_BREAK_MARK). */
  pageBreak: boolean;
}

export function cleanReport(text: string): CleanedReport {
  const { body, history } = splitHistory(text.replace(/\r\n?/g, '\n').replace(FRONT_MATTER, ''));
  const chrome: ReportChrome = { articleSource: null, pageDate: null, signer: null, signatories: [], closingDate: null, history };
  const lines: Line[] = [];
  // Only a zero-width line right between two lines of text is a soft break: one set apart by
  // blank lines (after a law's title, at a record's top) is as blank as they are.
  let softBreak = false;
  // A page break lies between the last line and the next, whatever blank lines stand around its mark.
  let pageBreak = false;
  let textSeen = false;
  for (const written of body.replace(HTML_COMMENT, '').split('\n')) {
    const raw = written.replace(ZERO_WIDTH, '').trim();
    if (raw === '' && written.trim() !== '') {
      softBreak = Boolean(lines.at(-1)?.text);
      continue;
    }
    const line = stripMarkdown(raw);
    if (line === '') {
      lines.push({ text: '', heading: false, softBreak: false, pageBreak: false });
      softBreak = false;
      continue;
    }
    // The 版头 heading the first page is a lead line (its issuer names the place); repeated below it is a running header.
    if (PAGE_BREAK_MARK.test(line) && textSeen) {
      pageBreak = true;
      continue;
    }
    if (PAGE_FURNITURE.test(line) || ARTICLE_CREDITS.test(line) || SPAM.test(line)) continue;
    if (ARTICLE_HEADER.test(line) && line.length < 120) {
      chrome.articleSource ??= line.match(ARTICLE_SOURCE)?.[1] || null;
      const date = line.match(/发布(?:日期|时间)[:：]\s*(.*)/)?.[1];
      chrome.pageDate ??= date ? isoDate(date) : null;
      continue;
    }
    const signer = line.match(SIGNER);
    if (signer) {
      chrome.signer = signer[1]!.trim();
      continue;
    }
    lines.push({ text: line, heading: MARKDOWN_HEADING.test(raw), softBreak, pageBreak });
    textSeen = true;
    softBreak = false;
    pageBreak = false;
  }
  const paragraphs = dropSourceFooter(dropRepeatedLeadLines(joinBrokenLines(lines))).filter((p) => !MARKS_ONLY.test(p));
  takeClosingSignature(paragraphs, chrome);
  return { text: paragraphs.join('\n'), chrome };
}

/** Parses 2024-01-18 / 2024年1月18日 / 2024.1.18 to ISO; null when there is no valid date. */
export function isoDate(text: string): string | null {
  const m = text.match(DATE);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A law's header: its title, then history lines, up to the INFO END marker. The history goes to
 * metadata; the title line stays as written, a markdown heading (see MARKDOWN_HEADING).
 */
function splitHistory(text: string): { body: string; history: string[] } {
  const end = INFO_END.exec(text);
  if (!end) return { body: text, history: [] };
  const [title = '', ...history] = text.slice(0, end.index).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { body: `${title}\n${text.slice(end.index + end[0].length)}`, history: history.map(stripMarkdown) };
}

function stripMarkdown(line: string): string {
  const unheaded = line.replace(/^#{1,6}\s+/, '');
  // Masked names ("**市**区", "共备案**件") also use asterisks, so only strip ** pairs that are
  // clearly emphasis: around a whole line, or around a phrase that ends a sentence ("**二是…。**").
  const whole = unheaded.match(/^\*\*([^*]+)\*\*$/);
  if (whole) return whole[1]!;
  // A pair inside longer runs of asterisks (纠纷***件。**区) is masking, not emphasis.
  return unheaded.replace(/(?<!\*)\*\*([^*\n]+?[。：:；;！？!?])\*\*(?!\*)/g, '$1');
}

/**
 * Re-joins a paragraph that a page break cut in two ("规\n\n范性文件"). Only a line that cannot be
 * complete is joined: it ends in a clause mark (，、；), or it is a long body line (not a markdown
 * heading) without an ending mark; and only onto a line that does not start a new heading (markdown
 * or numbered) or enumeration. Always joined: a line onto a bare numbering marker (see BARE_MARKER),
 * a line that starts with a closing or clause mark, and a link's text put on a line of its own (see
 * isLinkText): web pages' markup breaks lines there (…根据《⏎中华人民共和国著作权法⏎》第五条…),
 * which left passages such as "印度" or "。".
 */
function joinBrokenLines(lines: readonly Line[]): string[] {
  const body = lines.filter((line) => line.text !== '');
  const width = wrapWidth(body.map((line) => line.text));
  const out: string[] = [];
  let prevHeading = false;
  // Only a line of the wrap's width was cut by it, and a title never was: before the first clause, a
  // line of about that width is a title (威海市文登区人民政府关于…的年度报告), not a wrapped one. Lead
  // lines (版头, 第1页, the title) are whole: a page break joins only in the body, once a clause was read.
  let clauseSeen = false;
  let prevLineChars = 0;
  // Whether the paragraph so far is marks only, kept as lines are read: testing the growing paragraph
  // each time made 160,000 lines of —— take 358 s.
  let prevMarksOnly = false;
  body.forEach((line, i) => {
    const prev = out.at(-1);
    const marksOnly = MARKS_ONLY.test(line.text);
    // A run of mark lines is one: its first opens the text after it.
    if (marksOnly && prevMarksOnly) return;
    const wrapped = clauseSeen && Math.abs(prevLineChars - width) <= WRAP_SLACK;
    const joins =
      prev !== undefined &&
      prev.length < MAX_JOINED_CHARS &&
      !line.heading &&
      (BARE_MARKER.test(prev) ||
        (prevMarksOnly && OPENING_MARK.test(prev) && !startsStructure(line.text)) ||
        continuesAcrossBreak(prev, line.text, prevHeading, line.softBreak || (line.pageBreak && clauseSeen), wrapped) ||
        CONTINUATION_START.test(line.text) ||
        isLinkText(prev, prevHeading, line.text, body[i + 1]));
    if (joins) {
      out[out.length - 1] = prev + line.text;
      prevMarksOnly &&= marksOnly;
    } else {
      out.push(line.text);
      prevHeading = line.heading;
      prevMarksOnly = marksOnly;
    }
    clauseSeen ||= CLAUSE_MARK.test(line.text);
    prevLineChars = line.text.length;
  });
  return out;
}

/** A line that begins a heading, an enumeration's item, an article or a date line: nothing before it runs on into it. */
function startsStructure(text: string): boolean {
  return headingRank(text) !== null || text.match(ITEM_MARKER)?.index === 0 || LEGAL_ARTICLE.test(text) || DATE_LINE.test(text);
}

/** A short line between an unfinished one and one that starts with a closing or clause mark. */
function isLinkText(prev: string, prevIsMarkdownHeading: boolean, text: string, next: Line | undefined): boolean {
  if (next === undefined || next.heading || !CONTINUATION_START.test(next.text)) return false;
  if (text.length > MAX_LINK_LINE_CHARS || SENTENCE_END.test(text) || headingRank(text) !== null) return false;
  return !prevIsMarkdownHeading && isUnfinished(prev);
}

function continuesAcrossBreak(prev: string, next: string, prevIsMarkdownHeading: boolean, softBreak: boolean, wrapped: boolean): boolean {
  if (!isUnfinished(prev) || startsStructure(next)) return false;
  return CLAUSE_END.test(prev.slice(-1)) || softBreak || (!prevIsMarkdownHeading && (prev.length >= MIN_BROKEN_LINE_CHARS || wrapped || closesWhatIsOpen(prev, next)));
}

/** The width the text was hard-wrapped at (see WRAP_SHARE), or Infinity where it was not. */
function wrapWidth(texts: readonly string[]): number {
  const lengths = texts.map((t) => t.length).filter((n) => n >= WRAP_MIN_LINE_CHARS);
  const counts = new Map<number, number>();
  for (const n of lengths) counts.set(n, (counts.get(n) ?? 0) + 1);
  const [width, count] = [...counts].reduce((best, c) => (c[1] > best[1] ? c : best), [Infinity, 0]);
  return count >= WRAP_MIN_LINES && count >= WRAP_SHARE * lengths.length ? width : Infinity;
}

/** Marks a sentence opens and closes (full and half width alike); each pair: openers, closers. */
const PAIRS: readonly [string, string][] = [['“', '”'], ['‘', '’'], ['《', '》'], ['（(', '）)'], ['「', '」']];

/**
 * A line that leaves a pair open, followed by one that closes it before its first sentence ends, is
 * one sentence cut there (推行“双随机、一⏎公开”抽查机制，…). Both are needed: a title with a mistyped
 * quote (关于深化“放管服“改革…的报告) leaves one open too, and the issuer line after it closes nothing.
 */
function closesWhatIsOpen(line: string, next: string): boolean {
  const count = (text: string, marks: string) => [...text].filter((c) => marks.includes(c)).length;
  const end = next.search(SENTENCE_END);
  const head = end === -1 ? next : next.slice(0, end);
  return PAIRS.some(([open, close]) => count(line, open) > count(line, close) && count(head, close) > count(head, open));
}

/** A line that text after it can continue: no sentence end or colon at its end, not a bare heading. */
function isUnfinished(line: string): boolean {
  return !SENTENCE_END.test(line.at(-1)!) && !INTRODUCES.test(line.slice(-1)) && !isPureHeading(line);
}

/** A numbered line with no sentence in it ("三、…第一责任人职责，加强法治政府建设的有关情况"). */
function isPureHeading(line: string): boolean {
  return headingRank(line) !== null && !SENTENCE_END.test(line);
}

function dropSourceFooter(paragraphs: string[]): string[] {
  const footer = paragraphs.findIndex((p, i) => i > 0 && SOURCE_LICENCE.test(p));
  return footer === -1 ? paragraphs : paragraphs.slice(0, footer);
}

/** Reposted copies repeat the title after the spam line; keep the first occurrence only. */
function dropRepeatedLeadLines(paragraphs: string[]): string[] {
  const firstHeading = paragraphs.findIndex((p) => headingRank(p) !== null);
  const leadEnd = firstHeading === -1 ? Math.min(paragraphs.length, 5) : firstHeading;
  const seen = new Set<string>();
  return paragraphs.filter((p, i) => {
    if (i >= leadEnd) return true;
    if (seen.has(p)) return false;
    seen.add(p);
    return true;
  });
}

/** 特此报告 and its kin close a report, often without a full stop. */
const CLOSING_FORMULA = /^特此[\u4e00-\u9fa5]{1,4}$/;

/**
 * The signature block: the last lines naming bodies, with or without the date. Only a block after a
 * finished sentence (or 特此报告) or one holding the date is one: a table at the end of an appendix
 * ends with a body's name too (…⏎4⏎区司法局), which is the table's text.
 */
function takeClosingSignature(paragraphs: string[], chrome: ReportChrome): void {
  let start = paragraphs.length;
  let date: string | null = null;
  while (start > 1) {
    const line = paragraphs[start - 1]!;
    if (DATE_LINE.test(line) && date === null) date = isoDate(line);
    else if (!SIGNATORY.test(line)) break;
    start--;
  }
  const before = paragraphs[start - 1]!;
  if (start === paragraphs.length || (date === null && !SENTENCE_END.test(before.at(-1)!) && !CLOSING_FORMULA.test(before))) return;
  chrome.closingDate = date;
  chrome.signatories = paragraphs.splice(start).filter((line) => !DATE_LINE.test(line));
}
