// “其他地区的类似做法”: passages nearest in meaning to one, from other regions by default.
import { el, place } from '../dom.js';
import { getJson } from '../api.js';
import { empty, failure, href, loading, pageOffset, pager, passageCard, reportHref } from './common.js';

const PAGE = 20;

export async function renderSimilar({ main, params, stillCurrent }) {
  const id = params.get('similar');
  const includeOwn = params.get('own') === '1';
  const offset = pageOffset(params);
  main.append(loading('正在查找类似做法…'));
  let source;
  let similar;
  try {
    [source, similar] = await Promise.all([getJson(`/api/passages/${encodeURIComponent(id)}`), getJson(`/api/similar/${encodeURIComponent(id)}`, { k: PAGE + 1, offset: offset || undefined, other_regions: includeOwn ? undefined : 1 })]);
  } catch (error) {
    if (stillCurrent()) main.replaceChildren(failure(error, `没有编号为 ${id} 的段落。`));
    return;
  }
  if (!stillCurrent()) return;
  document.title = `类似做法 - 法治报告检索`;
  // One more than a page is asked for (always, so every page ranks alike): it says whether a next page exists.
  const shown = similar.results.slice(0, PAGE);
  const state = includeOwn ? { similar: id, own: 1 } : { similar: id };
  // A passage of no known region (a national report, a law) has no home region to leave out.
  const homeUnknown = !source.jurisdiction.province && !source.jurisdiction.city && !source.jurisdiction.county;
  const toggle = homeUnknown
    ? el('span', {}, '本段所在文件地区未知，未排除任何地区')
    : includeOwn
      ? el('a', { href: href({ similar: id }), 'data-nav': true }, '只看其他地区')
      : el('a', { href: href({ similar: id, own: 1 }), 'data-nav': true }, '也包括本地区');
  main.replaceChildren(
    el(
      'section',
      { class: 'similar-source' },
      el('h2', {}, includeOwn || homeUnknown ? '类似做法' : '其他地区的类似做法'),
      el('p', { class: 'meta' }, '与这段内容相近：', el('a', { href: reportHref(source.docId, source.id), 'data-nav': true }, source.title), ` （${place(source.jurisdiction)}${source.year ? ` · ${source.year} 年` : ''}） `, toggle),
      el('blockquote', { class: 'text' }, source.text),
    ),
    shown.length === 0 ? empty(offset > 0 ? '没有更多类似段落。' : '没有找到其他地区的类似段落。') : el('div', { class: 'result-list' }, shown.map((r) => passageCard(r, []))),
  );
  const pages = pager(state, offset, PAGE, similar.results.length > PAGE);
  if (pages) main.append(pages);
}
