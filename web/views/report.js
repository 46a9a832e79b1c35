// The report reader: metadata, heading tree, every passage; opens scrolled to the asked passage.
import { el, highlighted, place, visible } from '../dom.js';
import { getJson } from '../api.js';
import { SECTION_NAMES, failure, loading, similarHref } from './common.js';

function tree(nodes, onPick) {
  if (nodes.length === 0) return null;
  return el('ul', {}, nodes.map((n) => el('li', {}, el('a', { href: `#p-${n.passageId}`, onclick: (e) => onPick(e, n.passageId) }, n.title), tree(n.children, onPick))));
}

export async function renderReport({ main, params, stillCurrent }) {
  main.append(loading('正在打开报告…'));
  let report;
  try {
    report = await getJson(`/api/reports/${encodeURIComponent(params.get('report'))}`);
  } catch (error) {
    if (stillCurrent()) main.replaceChildren(failure(error, `没有编号为 ${params.get('report')} 的报告。`));
    return;
  }
  if (!stillCurrent()) return;
  document.title = `${visible(report.title)} - 法治报告检索`;
  const target = Number(params.get('passage'));
  // The words of the search the reader was opened from, marked as on the result page.
  const terms = (params.get('hl') ?? '').split(/\s+/).filter(Boolean);
  const pick = (event, id) => {
    event.preventDefault();
    const passage = document.getElementById(`p-${id}`);
    if (!passage) return;
    passage.scrollIntoView({ block: 'start' });
    // Keyboard and screen-reader users go on reading from the passage, not from the TOC link.
    passage.focus({ preventScroll: true });
  };
  const details = [
    ['地区', place(report.jurisdiction)],
    ['年度', report.year ? `${report.year} 年` : '未知'],
    ['发布日期', report.publishedAt],
    ['发布机关', report.issuer],
    ['文号', report.docNumber],
    ['来源文件', report.source],
    ['段落数', String(report.passageCount)],
  ].filter(([, v]) => v);
  const passages = report.passages.map((p) =>
    el(
      'section',
      { class: p.id === target ? 'passage target' : 'passage', id: `p-${p.id}`, tabindex: '-1', dataset: { passageId: p.id } },
      el('p', { class: 'meta' }, el('span', { class: 'heading-path' }, p.headingPath.join(' › ') || '正文'), el('span', { class: 'section' }, SECTION_NAMES[p.section] ?? p.section)),
      el('p', { class: 'text' }, highlighted(p.text, terms)),
      el('p', { class: 'actions' }, el('a', { href: similarHref(p.id), 'data-nav': true, class: 'similar-link' }, '其他地区的类似做法')),
    ),
  );
  main.replaceChildren(
    el(
      'div',
      { class: 'report-layout' },
      el('nav', { class: 'toc', 'aria-label': '目录' }, el('h3', {}, '目录'), tree(report.headings, pick) ?? el('p', { class: 'muted' }, '（无标题结构）')),
      el(
        'article',
        { class: 'report' },
        el('h1', {}, report.title || report.source),
        el('dl', { class: 'report-meta' }, details.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
        passages,
      ),
    ),
  );
  if (target) document.getElementById(`p-${target}`)?.scrollIntoView({ block: 'center' });
}
