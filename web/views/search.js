// Search results with a filter sidebar, group-by-report toggle. The API counts each facet with the
// other dimensions' filters applied, so a facet keeps listing its other values after one is chosen.
import { append, el, place, visible } from '../dom.js';
import { getJson } from '../api.js';
import { SECTION_NAMES, adoptionHref, empty, failure, href, loading, pageOffset, pager, passageCard, reportHref, shownRange } from './common.js';
import { facetList, regionFacets, withParam, yearRange } from './facets.js';

const FILTERS = ['province', 'city', 'county', 'year', 'from', 'to', 'section', 'kind'];
const MODE_NAMES = { hybrid: '综合', lexical: '关键词', dense: '语义' };
const PAGE = 20;

/** The query, mode, grouping and filters; the page (offset) is read apart, so that every link built from these starts at page one. */
function currentParams(params) {
  const state = {};
  for (const key of ['q', 'mode', 'by', 'expand', ...FILTERS]) if (params.get(key)) state[key] = params.get(key);
  return state;
}

/** The CSV endpoint's parameters for this page: its query, mode and filters at the page's depth. */
function csvParams(state) {
  const { by: _by, ...rest } = state;
  return { ...rest, k: String(PAGE) };
}

export async function renderSearch({ main, params, stillCurrent, navigate }) {
  const state = currentParams(params);
  const offset = pageOffset(params);
  document.title = `${visible(state.q)} - 法治报告检索`;
  const sidebar = el('aside', { class: 'filters', 'aria-label': '筛选' });
  const results = el('section', { class: 'results' }, loading());
  main.append(el('div', { class: 'search-layout' }, sidebar, results));
  let data;
  try {
    data = await getJson('/api/search', { k: PAGE, ...state, offset: offset || undefined });
  } catch (error) {
    if (!stillCurrent()) return;
    // A filter the API refuses (a place it does not know, a range ending before it starts): the way to the search without it.
    const without = FILTERS.includes(error.param) && state[error.param] ? el('p', {}, el('a', { href: withParam(state, error.param, undefined), 'data-nav': true, class: 'drop-filter' }, '去掉这个筛选条件重新检索')) : null;
    results.replaceChildren(...[failure(error), without].filter(Boolean));
    return;
  }
  if (!stillCurrent()) return;

  const applied = data.filter;
  const range = yearRange(state, data.facets.year, navigate);
  append(sidebar, [
    el('h3', {}, '筛选'),
    regionFacets(data.facets, state, applied, data.facetsAtLeast),
    facetList('年份', 'year', data.facets.year, state, applied, (y) => `${y} 年`, data.facetsAtLeast.includes('year')),
    el('section', { class: 'facet year-range' }, el('h4', {}, '年份范围'), range),
    facetList('报告板块', 'section', data.facets.section, state, applied, (s) => SECTION_NAMES[s] ?? s, data.facetsAtLeast.includes('section')),
    facetList('文件类型', 'kind', data.facets.kind, state, applied, undefined, data.facetsAtLeast.includes('kind')),
  ]);

  const byReport = state.by === 'report';
  const toggle = el('label', { class: 'toggle' }, el('input', { type: 'checkbox', id: 'by-report', checked: byReport, onchange: (e) => navigate(withParam(state, 'by', e.target.checked ? 'report' : undefined)) }), '按报告分组');
  const modeLinks = el(
    'span',
    { class: 'modes' },
    Object.entries(MODE_NAMES).map(([mode, name]) =>
      (state.mode ?? 'hybrid') === mode ? el('strong', {}, name) : el('a', { href: withParam(state, 'mode', mode === 'hybrid' ? undefined : mode), 'data-nav': true }, name),
    ),
  );
  // Pages count reports when grouped by report, passages otherwise.
  const count = byReport ? data.reports : data.total;
  const unit = byReport ? '份报告' : '条';
  const shown = data.results.length;
  const summary = el(
    'p',
    { class: 'summary' },
    // `total` is what retrieval read, not a count of passages that mention the query (the adoption
    // view counts those): in hybrid and dense mode every candidate by meaning, the far ones too, so it
    // is said as a ranking (检索到 126 个段落 for 述法 read as if all five reports' 126 passages matched);
    // in lexical mode each holds a query word.
    `“${state.q}”：${(state.mode ?? 'hybrid') === 'lexical' ? '含查询词语的' : '按相关度排列的'} ${data.total}${data.totalAtLeast ? '+' : ''} 个段落（来自 ${data.reports} 份报告）${shownRange(offset, shown, count, unit)}`,
    ' ',
    modeLinks,
    ' ',
    toggle,
    ' ',
    el('a', { href: adoptionHref(state), 'data-nav': true, class: 'adoption-link' }, '查看传播情况 →'),
    ' ',
    // Every passage counted above, not just this page: the same query, mode, depth (k) and filters.
    el('a', { href: `/api/search.csv?${new URLSearchParams(csvParams(state))}`, download: `search-${state.q}.csv`, class: 'csv-link' }, '导出 CSV'),
  );

  // The reports' words searched for besides the query's own (the API's `expanded`), and the way back to only those.
  const expansion =
    state.expand === 'false'
      ? el('p', { class: 'expansion', role: 'note' }, '只检索了查询原有的词语。', el('a', { href: withParam(state, 'expand', undefined), 'data-nav': true }, '同时检索报告用语'))
      : data.expanded.length > 0
        ? el('p', { class: 'expansion', role: 'note' }, `同时检索了报告用语：${data.expanded.join('、')}。`, el('a', { href: withParam(state, 'expand', 'false'), 'data-nav': true }, '只检索原词'))
        : null;

  // Even the best match is below the noise level (the API's `weak`): say so above the nearest passages.
  const weak = data.weak && shown > 0 ? el('p', { class: 'notice', role: 'note' }, `没有与“${state.q}”明显相关的段落：最佳结果的相关度也低于 0.1，以下只是最接近的段落。可以换一种说法，或减少筛选条件。`) : null;

  if (shown === 0) {
    const text = offset > 0 ? `第 ${offset} ${unit}之后没有更多结果。` : '没有找到结果。可以减少筛选条件、换一种说法，或改用“语义”检索。';
    const first = offset > 0 ? el('nav', { class: 'pager', 'aria-label': '翻页' }, el('a', { href: href(state), 'data-nav': true }, '回到第一页')) : null;
    results.replaceChildren(...[summary, expansion, empty(text), first].filter(Boolean));
    return;
  }
  const list = byReport
    ? data.results.map((r) =>
        el(
          'article',
          { class: 'report-group' },
          el('h3', {}, el('a', { href: reportHref(r.docId, r.passages[0]?.id, data.terms), 'data-nav': true, class: 'report-link' }, r.title || r.source)),
          el('p', { class: 'meta' }, el('span', { class: 'place' }, place(r.jurisdiction)), el('span', {}, r.year ? `${r.year} 年` : '年份未知'), el('span', { class: 'matched' }, r.matched > r.passages.length ? `${r.matched} 个段落，显示前 ${r.passages.length} 个` : `${r.matched} 个段落`)),
          r.passages.map((p) => passageCard(p, data.terms, { showReportTitle: false })),
        ),
      )
    : data.results.map((r) => passageCard(r, data.terms));
  results.replaceChildren(...[summary, expansion, weak, el('div', { class: 'result-list' }, list), pager(state, offset, PAGE, offset + shown < count, count)].filter(Boolean));
}
