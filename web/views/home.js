// The start page: what can be asked, with example queries.
import { el } from '../dom.js';
import { href } from './common.js';

const EXAMPLES = ['述法', '双随机、一公开', '行政复议体制改革', '领导干部带头讲法治', '合法性审查', '“八五”普法'];

export function renderHome({ main }) {
  main.append(
    el(
      'section',
      { class: 'home' },
      el('h1', {}, '法治政府建设年度报告检索'),
      el('p', {}, '按意思检索各地法治政府建设年度报告：哪些地区有类似做法，哪些报告提到某项措施，它在何时、何地出现。'),
      el('p', {}, '例如：'),
      el('ul', { class: 'examples' }, EXAMPLES.map((q) => el('li', {}, el('a', { href: href({ q }), 'data-nav': true }, q)))),
      el('p', {}, el('a', { href: href({ view: 'reports' }), 'data-nav': true, class: 'catalogue-link' }, '浏览全部报告 →'), '：按地区、年份和文件类型查看收录了哪些报告。'),
    ),
  );
}
