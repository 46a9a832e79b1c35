// Pieces shared by the views: result cards, links, loading / empty / error states.
import { el, highlighted, place } from '../dom.js';
import { ApiError } from '../api.js';

export function href(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  return `/?${query}`;
}

/** The reader at a passage; `terms` (a search's words) are marked in the report's text there. */
export function reportHref(docId, passageId, terms = []) {
  return href({ report: docId, passage: passageId, hl: terms.length > 0 ? terms.join(' ') : undefined });
}

/** A search's mode, grouping and filters: what the adoption view keeps in its URL, so that its way back is to the same search. */
export const SEARCH_STATE = ['mode', 'by', 'expand', 'province', 'city', 'county', 'from', 'to', 'section', 'kind'];

/**
 * The adoption view of a search `state` (q, SEARCH_STATE and year), at a place and year where `cell`
 * names them: there `year` is a heatmap cell's, so a year filter goes as the range it stands for.
 */
export function adoptionHref({ year, ...state }, cell = {}) {
  return href({ view: 'adoption', ...state, from: state.from ?? year, to: state.to ?? year, ...cell });
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

/** Links to the previous and next page of a list shown `size` at a time, from `offset`; `count`: how many items there are, where known. None where there is one page. */
export function pager(state, offset, size, hasNext, count) {
  const previous = offset > 0 ? el('a', { href: href({ ...state, offset: Math.max(0, offset - size) || undefined }), 'data-nav': true, rel: 'prev' }, '← 上一页') : null;
  const next = hasNext ? el('a', { href: href({ ...state, offset: offset + size }), 'data-nav': true, rel: 'next' }, '下一页 →') : null;
  if (!previous && !next) return null;
  // An offset off the page grid (offset=5: items 6–25) is a page of its own after the partial one before it.
  const before = Math.ceil(offset / size);
  const page = before + 1;
  const pages = count === undefined ? undefined : before + Math.ceil((count - offset) / size);
  return el('nav', { class: 'pager', 'aria-label': '翻页' }, previous, el('span', {}, pages ? `第 ${page} 页，共 ${pages} 页` : `第 ${page} 页`), next);
}

export function loading(text = '正在检索…') {
  return el('p', { class: 'state loading', role: 'status', 'aria-busy': 'true' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function empty(text) {
  return el('div', { class: 'state empty', role: 'status' }, text);
}

/** The parameters the web app sends, as the page calls them. */
const PARAM_NAMES = { q: '查询', mode: '检索方式', offset: '起始位置', province: '省份', city: '城市', county: '县区', year: '年份', from: '起始年份', to: '截止年份', section: '报告板块', kind: '文件类型', by: '分组方式', expand: '同时检索报告用语', place: '地区', id: '编号' };

/**
 * The server's errors about a parameter (Ajv's wording and the filters' own, "param: why", in
 * English for API clients) that a URL can cause, in Chinese: each gets the parameter's name, the
 * pattern's groups and what was sent. Ajv counts characters as code points.
 */
const SCHEMA_ERRORS = [
  [/^must NOT have more than (\d+) characters$/, (name, [limit], value) => `${name}最多 ${limit} 个字符${typeof value === 'string' ? `，当前 ${[...value].length} 个` : ''}。`],
  [/^must be >= (\S+)$/, (name, [limit]) => `${name}不能小于 ${limit}。`],
  [/^must be <= (\S+)$/, (name, [limit]) => `${name}不能大于 ${limit}。`],
  [/^must be one of (.+)$/, (name, [values]) => `${name}只能是：${values.split(', ').join('、')}。`],
  [/^must be integer$/, (name) => `${name}须为整数。`],
  [/^must not be empty or only spaces$/, (name) => `${name}不能为空。`],
  [/^no stored report is from (.+?) \(/, (name, [place]) => `${name}“${place}”没有已入库的报告。`],
  [/^must be boolean$/, (name) => `${name}只能是 true 或 false。`],
  // The filter's own checks (search/filter.ts), past the schema.
  [/^unknown \w+ "(.*)"$/, (name, [value]) => `没有名为“${value}”的${name}。`],
  [/^(\d+) is after the range's end, (\d+)$/, (_name, [from, to]) => `起始年份 ${from} 晚于截止年份 ${to}。`],
];

/** A 400 about one parameter: in Chinese where the server's wording is known, else as the server says it. */
function paramProblem(error) {
  const why = error.message.startsWith(`${error.param}: `) ? error.message.slice(error.param.length + 2) : error.message;
  for (const [pattern, say] of SCHEMA_ERRORS) {
    const match = pattern.exec(why);
    if (match) return say(PARAM_NAMES[error.param] ?? `参数 ${error.param}`, match.slice(1), error.value);
  }
  return `参数 ${error.param} 有误：${error.message}`;
}

/** The server's 503: its store holds reports its model cannot search (a model switch under it), not the user's doing. */
const STORE_NOT_CURRENT = '暂时无法检索：数据目录中有报告是用另一个模型编制索引的，需要重启检索服务（或用当前模型重新编制索引）后才能检索。';
/** No answer at all (fetch's TypeError, a failed import): the browser's English message says no more than this. */
const UNREACHABLE = '无法连接服务器，请检查网络连接后重试。';

/**
 * What went wrong, in Chinese: the server's messages are English, for API clients, and a proxy's
 * 502 or the rate limit's 429 say nothing a reader can act on beyond waiting.
 */
export function errorText(error, notFound) {
  if (!(error instanceof ApiError)) return UNREACHABLE;
  if (error.status === 404 && notFound) return notFound;
  if (error.status === 503) return STORE_NOT_CURRENT;
  if (error.status === 429) return '服务器繁忙：请求过于频繁，请稍后重试。';
  if (error.status >= 500) return `服务器繁忙或出错（HTTP ${error.status}），请稍后重试。`;
  return error.param ? paramProblem(error) : `请求有误（HTTP ${error.status}）：${error.message}`;
}

/** What the 重试 button runs: the app's render of the current URL (set by app.js, which owns it). */
let rerender;
export function setRetry(render) {
  rerender = render;
}

/** The error state; `notFound` says in Chinese what a 404 means here. Errors that may pass (no connection, a busy server) offer 重试. */
export function failure(error, notFound) {
  const passing = !(error instanceof ApiError) || error.status === 429 || error.status >= 500;
  return el(
    'div',
    { class: 'state error', role: 'alert' },
    el('strong', {}, '出错了'),
    el('p', {}, errorText(error, notFound)),
    passing ? el('button', { type: 'button', class: 'retry', onclick: () => rerender() }, '重试') : null,
  );
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
