// Filter facets in a sidebar, shared by the search page (passage counts) and the report
// catalogue (document counts): each value links to the same page with that filter chosen, or
// undone where it is chosen already; the chosen value shows as a chip.
import { el } from '../dom.js';
import { href } from './common.js';

/** The same page with one parameter changed (undefined removes it); a region change resets the levels below it. */
export function withParam(state, key, value) {
  const next = { ...state, [key]: value };
  const cleared = { province: ['city', 'county'], city: ['county'], year: ['from', 'to'], from: ['year'], to: ['year'] }[key] ?? [];
  for (const below of cleared) delete next[below];
  return href(next);
}

/**
 * The value chosen for a facet, as the API applied it (`applied`: 河南 → 河南省, law → 法律法规);
 * for years, the one year of a from = to range.
 */
function chosenValue(applied, name) {
  if (name !== 'year') return applied[name];
  return applied.from !== undefined && applied.from === applied.to ? String(applied.from) : undefined;
}

/** Whether a facet value is chosen (for years: also inside the chosen range). */
function isChosen(applied, name, value) {
  if (name !== 'year') return applied[name] === value;
  if (applied.from === undefined && applied.to === undefined) return false;
  const y = Number(value);
  return (applied.from === undefined || y >= applied.from) && (applied.to === undefined || y <= applied.to);
}

/**
 * `atLeast`: the counts are lower bounds (the API's facetsAtLeast: retrieval read as deep as it may),
 * shown as 90+ — a click retrieves inside the value and can list more.
 */
export function facetList(title, name, counts, state, applied, label = (v) => v, atLeast = false) {
  const selected = chosenValue(applied, name);
  const all = { ...counts };
  // A chosen value with no matches under the other filters is still listed, so it can be seen and undone.
  if (selected && !(selected in all)) all[selected] = 0;
  const entries = Object.entries(all).sort((a, b) => (name === 'year' ? Number(b[0]) - Number(a[0]) : b[1] - a[1] || a[0].localeCompare(b[0], 'zh')));
  const shown = entries.slice(0, 30);
  // The chosen value stays visible even when it is not among the 30 largest.
  if (selected && !shown.some(([value]) => value === selected)) shown.push(entries.find(([value]) => value === selected));
  return el(
    'section',
    { class: 'facet', dataset: { facet: name } },
    el('h4', {}, title),
    selected
      ? el('p', { class: 'chip' }, el('span', {}, label(selected)), el('a', { href: withParam(state, name, undefined), 'data-nav': true, class: 'clear', title: '取消此筛选', 'aria-label': `取消筛选 ${label(selected)}` }, '×'))
      : null,
    shown.length === 0
      ? el('p', { class: 'muted' }, '—')
      : el(
          'ul',
          {},
          shown.map(([value, count]) => {
            const chosen = isChosen(applied, name, value);
            // Choosing the chosen value again undoes it; any other value replaces it.
            const target = value === selected ? withParam(state, name, undefined) : withParam(state, name, value);
            return el(
              'li',
              { class: chosen ? 'selected' : undefined },
              el('a', { href: target, 'data-nav': true, dataset: { value }, 'aria-current': chosen ? 'true' : undefined }, el('span', {}, label(value)), atLeast ? el('span', { class: 'count', title: `至少 ${count} 个；选中后在该范围内检索，可能更多` }, `${count}+`) : el('span', { class: 'count' }, String(count))),
            );
          }),
        ),
  );
}

/** Province, then city once a province or city is chosen, then county once a city or county is. */
export function regionFacets(facets, state, applied, atLeast = []) {
  const list = (title, name) => facetList(title, name, facets[name], state, applied, undefined, atLeast.includes(name));
  return [list('省份', 'province'), state.province || state.city ? list('城市', 'city') : null, state.city || state.county ? list('县区', 'county') : null];
}

/**
 * The year range: two lists and a button that applies them (lists that navigated on change would
 * leave the page at the first arrow key). A year that would put the start after the end is not
 * offered (the API refuses such a range).
 */
export function yearRange(state, years, navigate) {
  const known = Object.keys(years ?? {}).map(Number).sort((a, b) => a - b);
  const options = (selected) => [el('option', { value: '' }, '不限'), ...known.map((y) => el('option', { value: String(y), selected: String(y) === selected }, String(y)))];
  const from = el('select', { 'aria-label': '起始年份', class: 'from' }, options(state.from ?? state.year));
  const to = el('select', { 'aria-label': '截止年份', class: 'to' }, options(state.to ?? state.year));
  const offerPossible = () => {
    for (const option of to.options) option.disabled = option.value !== '' && from.value !== '' && Number(option.value) < Number(from.value);
    for (const option of from.options) option.disabled = option.value !== '' && to.value !== '' && Number(option.value) > Number(to.value);
  };
  from.addEventListener('change', offerPossible);
  to.addEventListener('change', offerPossible);
  offerPossible();
  const apply = (event) => {
    event.preventDefault();
    const next = { ...state, from: from.value || undefined, to: to.value || undefined };
    delete next.year;
    navigate(href(next));
  };
  return el('form', { class: 'year-range-form', onsubmit: apply }, from, ' 至 ', to, ' ', el('button', { type: 'submit', class: 'apply' }, '应用'));
}
