// The web app: the page is a function of its URL (/?q=…&province=…), so every view can be
// shared and reloaded. Internal links are plain hrefs; clicks on them navigate without reload.
import { el, clear } from './dom.js';
import { getJson } from './api.js';
import { renderSearch } from './views/search.js';
import { renderReport } from './views/report.js';
import { renderSimilar } from './views/similar.js';
import { renderAdoption } from './views/adoption.js';
import { renderHome } from './views/home.js';
import { errorText, setRetry } from './views/common.js';
import { renderReports } from './views/reports.js';

const main = document.getElementById('main');
const form = document.getElementById('search-form');
const input = document.getElementById('q');
const modeSelect = document.getElementById('mode');

/** Render calls start with a new token; a slower earlier render that finishes late is dropped. */
let renderToken = 0;

// The app restores scroll positions itself, once a page's content has arrived: the browser's
// own restoration runs before that, on a page still loading.
history.scrollRestoration = 'manual';

export function navigate(href) {
  // Kept with the page left, for Back to return to it where it was read.
  history.replaceState({ ...history.state, scrollY: window.scrollY }, '');
  history.pushState(null, '', href);
  void render().then((rendered) => rendered && focusContent());
}

/** After an in-app navigation focus would stay on the link clicked, now gone: it goes to the new page's heading or summary. */
function focusContent() {
  const target = main.querySelector('h1, h2, .summary, .state.error, .state.empty');
  if (!target) return;
  target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
}

function searchHref(params) {
  const query = new URLSearchParams(params);
  return `/?${query}`;
}

async function render() {
  const params = new URLSearchParams(location.search);
  const token = ++renderToken;
  const stillCurrent = () => token === renderToken;
  input.value = params.get('q') ?? '';
  checkQueryLength();
  modeSelect.value = params.get('mode') ?? 'hybrid';
  clear(main);
  window.scrollTo(0, 0);
  await renderView({ main, params, stillCurrent, navigate });
  // Whether this render is still the page shown (a later navigation replaced it otherwise).
  return stillCurrent();
}

function renderView(view) {
  const { params } = view;
  if (params.has('report')) return renderReport(view);
  if (params.has('similar')) return renderSimilar(view);
  if (params.get('view') === 'adoption' && params.get('q')) return renderAdoption(view);
  if (params.get('view') === 'reports') return renderReports(view);
  if (params.get('q')) return renderSearch(view);
  document.title = '法治政府建设年度报告检索';
  return renderHome(view);
}

setRetry(render);

/** The API's limit, in characters as it counts them (code points: 𠀀 is one, though two UTF-16 units, which an input's maxlength would count). */
const MAX_QUERY_CHARS = 500;

function checkQueryLength() {
  const length = [...input.value.trim()].length;
  input.setCustomValidity(length > MAX_QUERY_CHARS ? `查询最多 ${MAX_QUERY_CHARS} 个字符，当前 ${length} 个。` : '');
}

input.addEventListener('input', checkQueryLength);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = input.value.trim();
  if (!q) return;
  const current = new URLSearchParams(location.search);
  const next = { q, mode: modeSelect.value };
  // A new query keeps the filters a user set on the search page.
  if (!current.has('report') && !current.has('similar') && current.get('view') !== 'adoption') {
    for (const key of ['province', 'city', 'county', 'year', 'from', 'to', 'section', 'kind', 'by']) if (current.get(key)) next[key] = current.get(key);
  }
  if (next.mode === 'hybrid') delete next.mode;
  navigate(searchHref(next));
});

document.getElementById('adoption-btn').addEventListener('click', () => {
  const q = input.value.trim();
  if (!q) {
    input.focus();
    return;
  }
  navigate(searchHref({ view: 'adoption', q }));
});

document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-nav]') : null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});

window.addEventListener('popstate', async (event) => {
  const scrollY = event.state?.scrollY;
  if (!(await render())) return;
  focusContent();
  if (scrollY) window.scrollTo(0, scrollY);
});

async function showStatus() {
  const footer = document.getElementById('status-line');
  try {
    const s = await getJson('/api/status');
    footer.replaceChildren(el('a', { href: '/?view=reports', 'data-nav': true, class: 'catalogue-link' }, `已收录 ${s.documents} 份报告`), ` · ${s.passages} 个段落 · 模型 ${s.model}`);
  } catch (error) {
    footer.replaceChildren(el('span', { class: 'error' }, `无法读取状态：${errorText(error)}`));
  }
}

render();
showStatus();
