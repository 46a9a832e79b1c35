// DOM helpers. Report text is untrusted: it only ever becomes Text nodes (textContent), never
// HTML; attributes are set one by one from values this app builds.

/**
 * Control characters shown as their code: terminal escapes as \x1B, and the bidirectional overrides
 * and isolates as \u202E (applied, they draw the rest of a passage or a file name in reverse).
 */
export function visible(text) {
  return String(text ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0).toString(16).toUpperCase();
    return c.charCodeAt(0) <= 0xff ? `\\x${code.padStart(2, '0')}` : `\\u${code.padStart(4, '0')}`;
  });
}

/**
 * el('a', { class: 'x', href: '?report=1' }, 'text', child…). Strings become Text nodes;
 * `on*` keys take functions (listeners), never strings.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(visible(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** The text with every occurrence of the terms wrapped in <mark>, as nodes. */
export function highlighted(text, terms) {
  const fragment = document.createDocumentFragment();
  const source = visible(text);
  const unique = [...new Set(terms)].filter((t) => t.length > 0);
  // A single character (不 of 领导干部不懂法, 全 of 合法性审查全覆盖) stands all over a passage:
  // marked only where the query has nothing longer.
  const longer = unique.filter((t) => [...t].length > 1);
  const words = (longer.length > 0 ? longer : unique).sort((a, b) => b.length - a.length);
  if (words.length === 0) {
    fragment.append(source);
    return fragment;
  }
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(escaped.join('|'), 'gi');
  let from = 0;
  for (const match of source.matchAll(pattern)) {
    if (match.index > from) fragment.append(source.slice(from, match.index));
    fragment.append(el('mark', {}, match[0]));
    from = match.index + match[0].length;
  }
  if (from < source.length) fragment.append(source.slice(from));
  return fragment;
}

export function place(j) {
  return [j?.province, j?.city, j?.county].filter(Boolean).join(' · ') || '地区未知';
}
