import * as cheerio from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { ARTICLE_SOURCE, isoDate } from './cleanReport.ts';
import { InputError } from './errors.ts';
import type { DocumentText, PageFields } from './readDocument.ts';
import { decodeBytes } from './readText.ts';

/** Article containers of the CMSs government sites run on (TRS, 大汉/UCAP, generic templates), most specific first. */
const BODY_SELECTORS = ['#zoom', '.TRS_Editor', '#UCAP-CONTENT', '.article-content', '.article_content', '#content', '.content', 'article'];
/** A container with fewer CJK characters than this is a teaser or an empty template slot, not the article. */
const MIN_BODY_CJK = 100;
/** Site furniture: never part of an article. */
const CHROME = 'script, style, noscript, template, iframe, nav, header, footer, form, select, button, object, embed';
const BLOCK_TAGS = new Set([
  'p', 'div', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol', 'tr', 'table', 'tbody', 'section', 'article',
  'blockquote', 'pre', 'dd', 'dt', 'dl', 'center', 'hr', 'main', 'aside', 'figure', 'figcaption',
]);
/** The charset a page declares: <meta charset=…> or <meta http-equiv="Content-Type" content="…; charset=…">. */
const DECLARED_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i;
/**
 * Separators between article, channel and site names in <title>: _ and |, and a dash, spaced or not
 * ("…年度报告-潍坊市奎文区人民政府"). A dash between digits is a range (2022-2023年) and a doubled one (——)
 * opens a subtitle; neither separates.
 */
const TITLE_SEPARATOR = /[_|｜]|\s[-—–－]\s|(?<![\d\-—–－])[-—–－](?![\d\-—–－])/;
/** Labels of the line under a title with 发布日期 / 来源 / 访问次数; each field may sit in an element of its own. */
const DATE_LABEL = /发布(?:日期|时间)[:：]/;
const SOURCE_LABEL = /来源[:：]/;
const MAX_INFO_LINE_CHARS = 200;
/**
 * Government pages nest their elements a few dozen deep. Reading the text of each element of a page
 * nested thousands deep recursed past the stack (3,000 <div>s) or took minutes (100,000: 151 s).
 */
const MAX_NESTING = 500;
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff]/g;

/** A government web page → its article text (one paragraph per line) and the fields of its header. */
export function readHtml(source: string, bytes: Buffer): DocumentText {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const { text: html, encoding } = decodeBytes(source, bytes, head.match(DECLARED_CHARSET)?.[1]);
  // The parser itself took 44 s over 100,000 nested <div>s: such a page is refused before parsing too.
  if (openTagDepth(html) > 4 * MAX_NESTING) throw new InputError(source, `web page nests its elements over ${4 * MAX_NESTING} deep`);
  const $ = cheerio.load(html);
  const depth = nestingDepth($.root()[0]!);
  if (depth > MAX_NESTING) throw new InputError(source, `web page nests its elements ${depth} deep, over the limit of ${MAX_NESTING}`);
  const fields = pageFields($);
  $(CHROME).remove();
  const body = articleBody($);
  const lines = textLines($, body);
  if (fields.title && lines[0] !== fields.title) lines.unshift(fields.title);
  return { text: lines.join('\n'), encoding, fields };
}

function pageFields($: cheerio.CheerioAPI): PageFields {
  // TRS and 大汉 pages carry the article's fields as <meta name="ArticleTitle" …>; templates vary, so fall back to the page.
  const meta = (name: string) => $(`meta[name="${name}"]`).attr('content')?.trim() || undefined;
  const infoLine = (label: RegExp) => innermostMatch($, label).replace(/\s+/g, ' ');
  const date = meta('PubDate') ?? infoLine(DATE_LABEL).match(/发布(?:日期|时间)[:：]\s*([\d\s\-/.年月日]+)/)?.[1];
  const articleSource = meta('ContentSource') ?? infoLine(SOURCE_LABEL).match(ARTICLE_SOURCE)?.[1];
  const title = meta('ArticleTitle') ?? pageTitle($);
  const publishedAt = date ? isoDate(date) : null;
  return {
    ...(title ? { title } : {}),
    ...(publishedAt ? { publishedAt } : {}),
    ...(articleSource ? { articleSource } : {}),
  };
}

/**
 * The article's title. <title> joins it with channel and site names ("报告标题_通知公告_威海市司法局", or
 * the site first); the article's title is the longest part. A heading that contains it may be fuller
 * (a subtitle, or a title a dash of its own split) and wins; an <h1> alone is not trusted, as it is often
 * the site's logo.
 */
function pageTitle($: cheerio.CheerioAPI): string | undefined {
  const parts = $('title').text().replace(/\s+/g, ' ').split(TITLE_SEPARATOR).map((p) => p.trim());
  const longest = parts.reduce((a, b) => (b.length > a.length ? b : a), '');
  const headings = $('h1, h2, h3, .title, .article-title').map((_, el) => $(el).text().replace(/\s+/g, ' ').trim()).get();
  if (longest === '') return headings.find((h) => h !== '');
  return headings.find((h) => h.includes(longest)) ?? longest;
}

/** Text of the first element matching `pattern` that has no matching element inside it. */
function innermostMatch($: cheerio.CheerioAPI, pattern: RegExp): string {
  const matches = $('body *').filter((_, el) => pattern.test($(el).text()) && $(el).text().length < MAX_INFO_LINE_CHARS);
  const innermost = matches.filter((_, el) => !$(el).find('*').toArray().some((child) => matches.index(child) !== -1));
  return innermost.first().text();
}

/** The article container: a known CMS container when it holds real text, else the parent of the most paragraph text. */
function articleBody($: cheerio.CheerioAPI): cheerio.Cheerio<AnyNode> {
  for (const selector of BODY_SELECTORS) {
    const found = $(selector).filter((_, el) => cjkCount($(el).text()) >= MIN_BODY_CJK);
    if (found.length > 0) return found.first();
  }
  const scores = new Map<Element, number>();
  $('p, br').each((_, el) => {
    const parent = el.parent;
    if (parent?.type !== 'tag') return;
    const text = el.name === 'br' ? (el.prev?.type === 'text' ? el.prev.data : '') : $(el).text();
    scores.set(parent, (scores.get(parent) ?? 0) + cjkCount(text));
  });
  const best = [...scores].sort((a, b) => b[1] - a[1])[0];
  return best && best[1] >= MIN_BODY_CJK ? $(best[0]) : $('body');
}

/** Block elements and <br> end lines; inline runs join; whitespace that HTML source wrapping put between CJK characters goes. */
function textLines($: cheerio.CheerioAPI, root: cheerio.Cheerio<AnyNode>): string[] {
  const lines: string[] = [];
  let current = '';
  const flush = () => {
    const line = current.replace(/\s+/g, ' ').replace(/(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])/g, '').trim();
    if (line !== '') lines.push(line);
    current = '';
  };
  const walk = (node: AnyNode) => {
    if (node.type === 'text') current += node.data;
    else if (node.type === 'tag') {
      const block = BLOCK_TAGS.has(node.name);
      if (block) flush();
      for (const child of node.children) walk(child);
      if (block) flush();
    }
  };
  root.each((_, el) => walk(el));
  flush();
  return lines;
}

function cjkCount(text: string): number {
  return text.match(CJK)?.length ?? 0;
}

/** How deep the page's elements nest, counted without recursion (the point is pages too deep for it). */
function nestingDepth(root: AnyNode): number {
  let deepest = 0;
  const stack: [AnyNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if ('children' in node) for (const child of node.children) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Elements that never hold others, or whose end tag may be left out (<p>, <li>, …): not counted by openTagDepth. */
const UNNESTED_TAGS = /^(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|p|li|dt|dd|tr|td|th|option|thead|tbody|tfoot|colgroup|rb|rt|rp|optgroup)$/i;
/** Elements whose content is no markup: their `a<b>c` is not a tag. */
const RAW_TEXT_TAGS = /^(?:script|style|textarea|title|xmp)$/i;

/**
 * A lower bound of the nesting the parser will build, from the tags alone, in one pass: no pattern may
 * scan past the next < (from each of 200,000 unclosed `<a` to the end took 13 s for 400 KB), and the
 * content of comments, scripts and styles is skipped (a minified script's a<b>c counted as tags).
 */
function openTagDepth(html: string): number {
  let depth = 0;
  let deepest = 0;
  const tag = /<!--|<(\/?)([a-zA-Z][\w-]*)[^<>]*?(\/?)>/g;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    if (m[0] === '<!--') {
      const end = html.indexOf('-->', tag.lastIndex);
      if (end === -1) break;
      tag.lastIndex = end + 3;
      continue;
    }
    const [, close, name, selfClosing] = m;
    if (!close && RAW_TEXT_TAGS.test(name!)) {
      const closing = new RegExp(`</${name}`, 'ig');
      closing.lastIndex = tag.lastIndex;
      if (!closing.exec(html)) break;
      tag.lastIndex = closing.lastIndex;
      continue;
    }
    if (UNNESTED_TAGS.test(name!) || selfClosing) continue;
    depth = Math.max(0, depth + (close ? -1 : 1));
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}
