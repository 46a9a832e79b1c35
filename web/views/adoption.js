// Where and when a measure spread: jurisdiction × year heatmap, first-mention timeline, CSV.
import { el, visible } from '../dom.js';
import { getJson } from '../api.js';
import { SEARCH_STATE, adoptionHref, empty, failure, href, loading, passageCard } from './common.js';

/** Heatmap rows beyond this many places make labels unreadable; the CSV has them all. */
const MAX_ROWS = 60;

async function loadEcharts() {
  return import('/vendor/echarts.js');
}

/** The API's key for documents of no known place, said as the other pages say it. */
function placeLabel(key) {
  return key === '(地区未知)' ? '地区未知' : key;
}

function heatmapOption(data) {
  const places = data.places.slice(0, MAX_ROWS).map((p) => p.place);
  const years = data.years.map(String);
  const row = new Map(places.map((p, i) => [p, i]));
  const cells = data.cells.filter((c) => c.year !== null && row.has(c.place)).map((c) => [years.indexOf(String(c.year)), row.get(c.place), c.reports, c.passages]);
  const max = Math.max(1, ...cells.map((c) => c[2]));
  return {
    animation: false,
    // Rich-text tooltips are drawn on the canvas: no HTML is ever built from place names.
    tooltip: { renderMode: 'richText', formatter: (p) => `${placeLabel(places[p.value[1]])}\n${years[p.value[0]]} 年：${p.value[2]} 份报告，${p.value[3]} 个段落` },
    // containLabel makes room for the year labels only: the axis name goes under them, and the colour legend under that.
    grid: { left: 8, right: 16, top: 8, bottom: 96, containLabel: true },
    xAxis: { type: 'category', data: years, name: '年份', nameLocation: 'middle', nameGap: 30, splitArea: { show: true } },
    yAxis: { type: 'category', data: places.map(placeLabel), inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, text: ['报告多', '少'], inRange: { color: ['#e0ecf8', '#08519c'] } },
    series: [{ type: 'heatmap', data: cells, label: { show: true, formatter: (p) => String(p.value[2]) }, emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }],
  };
}

function timelineOption(data) {
  const counts = new Map();
  // Regions only, as the summary counts them: 地区未知 is no region whose first mention it could be.
  for (const p of data.places) if (p.firstYear !== null && !unknownPlace(p)) counts.set(p.firstYear, (counts.get(p.firstYear) ?? 0) + 1);
  const years = data.years;
  let total = 0;
  const cumulative = years.map((y) => (total += counts.get(y) ?? 0));
  return {
    animation: false,
    tooltip: { renderMode: 'richText', trigger: 'axis' },
    legend: { data: ['当年首次提及', '累计地区数'], bottom: 0 },
    grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: years.map(String) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '当年首次提及', type: 'bar', data: years.map((y) => counts.get(y) ?? 0) },
      { name: '累计地区数', type: 'line', data: cumulative },
    ],
  };
}

async function showPassages(box, q, terms, place, year, stillCurrent) {
  box.replaceChildren(loading('正在读取段落…'));
  try {
    const data = await getJson('/api/adoption/passages', { q, place, year });
    if (!stillCurrent()) return;
    // The query's words as the adoption view matched them (述法工作 → 述法, 工作), not the query as typed.
    box.replaceChildren(el('h3', {}, `${placeLabel(place)}${year ? ` · ${year} 年` : ''}：${data.results.length} 个提及段落`), el('div', { class: 'result-list' }, data.results.map((r) => passageCard(r, terms))));
    box.scrollIntoView({ block: 'start' });
  } catch (error) {
    if (stillCurrent()) box.replaceChildren(failure(error));
  }
}

/**
 * Documents of no known place (national reports, laws) share one row, 地区未知: counted as a place
 * they would make a measure look more widespread than the regions' reports show.
 */
function unknownPlace(p) {
  return !p.jurisdiction.province && !p.jurisdiction.city && !p.jurisdiction.county;
}

function placesSummary(places) {
  const unknown = places.find(unknownPlace);
  const known = places.length - (unknown ? 1 : 0);
  return `${known} 个地区${unknown ? `及地区未知的 ${unknown.reports} 份文件` : ''}，共`;
}

export async function renderAdoption({ main, params, stillCurrent, navigate }) {
  const q = params.get('q');
  // The place (and year, for a heatmap cell) whose passages are shown: in the URL, so that a reload or a shared link shows them again.
  const chosen = { place: params.get('place') || undefined, year: params.get('year') || undefined };
  // The search this view was opened from: its way back returns there.
  const search = { q };
  for (const key of SEARCH_STATE) if (params.get(key)) search[key] = params.get(key);
  const placeHref = (place, year) => adoptionHref(search, { place, year });
  document.title = `${visible(q)} 的传播情况 - 法治报告检索`;
  main.append(loading('正在统计…'));
  let data;
  try {
    data = await getJson('/api/adoption', { q });
  } catch (error) {
    if (stillCurrent()) main.replaceChildren(failure(error));
    return;
  }
  if (!stillCurrent()) return;
  const header = el(
    'section',
    { class: 'adoption-head' },
    el('h2', {}, `“${q}”的传播情况`),
    el('p', {}, `${placesSummary(data.places)} ${data.totals.reports} 份报告、${data.totals.passages} 个段落提到（含全部词语：${data.terms.join('、')}）${data.truncated ? '，提及过多，只统计了一部分' : ''}。 `, el('a', { href: href(search), 'data-nav': true, class: 'back-link' }, '← 返回检索结果'), ' ', el('a', { href: `/api/adoption.csv?${new URLSearchParams({ q })}`, download: `adoption-${q}.csv`, class: 'csv-link' }, '导出 CSV')),
  );
  if (data.places.length === 0) {
    main.replaceChildren(header, empty('没有报告提到这项内容。可以换一种写法，或在检索结果中查看意思相近的段落。'));
    return;
  }
  const heat = el('div', { class: 'chart heatmap' });
  const timeline = el('div', { class: 'chart timeline' });
  const passages = el('section', { class: 'adoption-passages' }, el('p', { class: 'muted' }, '点击热力图中的格子或下表中的地区，查看提到它的段落。'));
  const rows = data.places.map((p) =>
    el(
      'tr',
      {},
      el('td', {}, el('a', { href: placeHref(p.place), 'data-nav': true, class: 'place-link' }, placeLabel(p.place))),
      el('td', {}, p.firstYear ? String(p.firstYear) : '—'),
      el('td', {}, String(p.reports)),
      el('td', {}, String(p.passages)),
    ),
  );
  main.replaceChildren(
    header,
    el('div', { class: 'adoption-charts' }, el('section', {}, el('h3', {}, '地区 × 年份（报告数）'), heat), el('section', {}, el('h3', {}, '首次提及时间线'), timeline)),
    el('section', { class: 'first-mentions' }, el('h3', {}, '各地区首次提及'), el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, '地区'), el('th', {}, '首次提及年份'), el('th', {}, '报告数'), el('th', {}, '段落数'))), el('tbody', {}, rows))),
    passages,
  );
  // CSSOM, not a style attribute: the CSP allows no inline styles. Beside the rows: the year labels, the axis name and the colour legend.
  heat.style.height = `${Math.min(MAX_ROWS, data.places.length) * 28 + 150}px`;
  if (chosen.place) void showPassages(passages, q, data.terms, chosen.place, chosen.year, stillCurrent);
  try {
    const echarts = await loadEcharts();
    if (!stillCurrent()) return;
    const heatChart = echarts.init(heat, null, { renderer: 'canvas' });
    heatChart.setOption(heatmapOption(data));
    heatChart.on('click', (p) => navigate(placeHref(data.places[p.value[1]].place, data.years[p.value[0]])));
    echarts.init(timeline, null, { renderer: 'canvas' }).setOption(timelineOption(data));
    main.dataset.chartsReady = 'true';
  } catch (error) {
    heat.replaceChildren(failure(error));
  }
}
