// Pieces shared by the views: result cards, links, loading / empty / error states.
import { el, highlighted, place } from '../dom.js';

export function href(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  return `/?${query}`;
}

/** The reader at a passage; `terms` (a search's words) are marked in the report's text there. */
export function reportHref(docId, passageId, terms = []) {
  return href({ report: docId, passage: passageId, hl: terms.length > 0 ? terms.join(' ') : undefined });
}

export function similarHref(passageId) {
  return href({ similar: passageId });
}

/** The page's `offset` parameter: results skipped before it (0 where absent or malformed). */
export function pageOffset(params) {
  return Math.max(0, Number.parseInt(params.get('offset') ?? '', 10) || 0);
}

/** "，显示第 a–b <unit>" where a page shows part of `count` items; '' where it shows them all or none. */
export function shownRange(offset, shown, count, unit) {
  return shown > 0 && (offset > 0 || shown < count) ? `，显示第 ${offset + 1}–${offset + shown} ${unit}` : '';
}

/** Links to the previous and next page of a list shown `size` at a time, from `offset`; `pages`: how many there are, where known. None where there is one page. */
export function pager(state, offset, size, hasNext, pages) {
  const previous = offset > 0 ? el('a', { href: href({ ...state, offset: Math.max(0, offset - size) || undefined }), 'data-nav': true, rel: 'prev' }, '← 上一页') : null;
  const next = hasNext ? el('a', { href: href({ ...state, offset: offset + size }), 'data-nav': true, rel: 'next' }, '下一页 →') : null;
  if (!previous && !next) return null;
  const page = Math.floor(offset / size) + 1;
  return el('nav', { class: 'pager', 'aria-label': '翻页' }, previous, el('span', {}, pages ? `第 ${page} 页，共 ${pages} 页` : `第 ${page} 页`), next);
}

export function loading(text = '正在检索…') {
  return el('p', { class: 'state loading', role: 'status', 'aria-busy': 'true' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function empty(text) {
  return el('div', { class: 'state empty', role: 'status' }, text);
}

/** The error state; `notFound` says in Chinese what a 404 means here (the server's message is English, for API clients). */
export function failure(error, notFound) {
  const detail = error?.status === 404 && notFound ? notFound : error?.param ? `参数 ${error.param} 有误：${error.message}` : error?.message ?? String(error);
  return el('div', { class: 'state error', role: 'alert' }, el('strong', {}, '出错了'), el('p', {}, detail));
}

export const SECTION_NAMES = { 成效: '主要成效', 不足: '问题不足', 职责: '第一责任人职责', 安排: '下一步安排', 其他: '其他' };

/** One passage as a result: title, jurisdiction, year, section, heading path, text, actions. */
export function passageCard(r, terms, { showReportTitle = true } = {}) {
  return el(
    'article',
    { class: 'result', dataset: { passageId: r.id } },
    showReportTitle ? el('h3', {}, el('a', { href: reportHref(r.docId, r.id, terms), 'data-nav': true, class: 'report-link' }, r.title || r.source)) : null,
    el(
      'p',
      { class: 'meta' },
      el('span', { class: 'place' }, place(r.jurisdiction)),
      el('span', {}, r.year ? `${r.year} 年` : '年份未知'),
      el('span', { class: 'section' }, SECTION_NAMES[r.section] ?? r.section),
      // Annual reports are the norm; a law or other document says what it is.
      r.kind && r.kind !== '法治政府建设年度报告' ? el('span', { class: 'kind' }, r.kind) : null,
      r.score ? el('span', { class: 'score', title: '相关度' }, r.score.toFixed(3)) : null,
    ),
    r.headingPath?.length ? el('p', { class: 'heading-path' }, r.headingPath.join(' › ')) : null,
    el('p', { class: 'text' }, highlighted(r.text, terms)),
    el(
      'p',
      { class: 'actions' },
      el('a', { href: reportHref(r.docId, r.id, terms), 'data-nav': true, class: 'open-report' }, '在报告中阅读'),
      el('a', { href: similarHref(r.id), 'data-nav': true, class: 'similar-link' }, '其他地区的类似做法'),
    ),
  );
}
