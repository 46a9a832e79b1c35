// The report catalogue: every stored document, newest year first, with the same filter sidebar
// as the search page (counts here are documents), a page of 50, each title opening the reader.
import { append, el, place } from '../dom.js';
import { getJson } from '../api.js';
import { empty, failure, loading, pageOffset, pager, reportHref, shownRange } from './common.js';
import { facetList, regionFacets } from './facets.js';

const FILTERS = ['province', 'city', 'county', 'year', 'kind'];
const PAGE = 50;

export async function renderReports({ main, params, stillCurrent }) {
  const state = { view: 'reports' };
  for (const key of FILTERS) if (params.get(key)) state[key] = params.get(key);
  const offset = pageOffset(params);
  document.title = '全部报告 - 法治报告检索';
  const sidebar = el('aside', { class: 'filters', 'aria-label': '筛选' });
  const list = el('section', { class: 'results' }, loading('正在读取报告目录…'));
  main.append(el('div', { class: 'search-layout' }, sidebar, list));
  let data;
  try {
    const { view: _view, ...filters } = state;
    data = await getJson('/api/reports', { k: PAGE, ...filters, offset: offset || undefined });
  } catch (error) {
    if (stillCurrent()) list.replaceChildren(failure(error));
    return;
  }
  if (!stillCurrent()) return;

  const applied = data.filter;
  append(sidebar, [
    el('h3', {}, '筛选'),
    regionFacets(data.facets, state, applied),
    facetList('年份', 'year', data.facets.year, state, applied, (y) => `${y} 年`),
    facetList('文件类型', 'kind', data.facets.kind, state, applied),
  ]);
  const shown = data.reports.length;
  const summary = el('p', { class: 'summary' }, `共 ${data.total} 份报告${shownRange(offset, shown, data.total, '份')}`);
  if (shown === 0) {
    list.replaceChildren(summary, empty(offset > 0 ? '没有更多报告。' : '没有符合筛选条件的报告。'));
    return;
  }
  const rows = data.reports.map((r) =>
    el(
      'tr',
      { dataset: { reportId: r.id } },
      el('td', {}, el('a', { href: reportHref(r.id), 'data-nav': true, class: 'report-link' }, r.title || r.source)),
      el('td', { class: 'place' }, place(r.jurisdiction)),
      el('td', {}, r.year ? `${r.year} 年` : '年份未知'),
      el('td', {}, r.kind),
      el('td', { class: 'count' }, String(r.passages)),
    ),
  );
  const table = el(
    'table',
    { class: 'catalogue' },
    el('thead', {}, el('tr', {}, ['报告', '地区', '年份', '类型', '段落'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows),
  );
  list.replaceChildren(...[summary, table, pager(state, offset, PAGE, offset + shown < data.total, data.total)].filter(Boolean));
}
