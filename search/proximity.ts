// Proximity of query words inside a passage, computed in memory over the passage's coarse `tokens`
// text with the semantics of FTS5 `NEAR(a b, window)` on that column. One FTS5 NEAR query per word
// pair was evaluated over the whole FTS table before being cut down to the candidates: on the ~32k
// passage eval index that pass was most of a lexical query's time.

/**
 * The FTS5 terms of a text as the store's tokenizer (unicode61, remove_diacritics 0) cuts them:
 * runs of letters, numbers and private-use characters (its default token categories L* N* Co),
 * case-folded. Every other character separates terms. Checked code point by code point against
 * SQLite: it agrees on CJK, Latin, digits, full-width forms and punctuation; it differs only where
 * SQLite's Unicode 6.1 tables do (code points assigned since, which SQLite keeps inside a term;
 * combining diacritics it keeps too) and on a few special case foldings (ſ, final σ, İ).
 */
export function ftsTerms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];
}

/** Start positions of every occurrence of `phrase` (consecutive terms) in `terms`. */
export function occurrences(terms: readonly string[], phrase: readonly string[]): number[] {
  const starts: number[] = [];
  if (phrase.length === 0) return starts;
  const last = terms.length - phrase.length;
  for (let p = 0; p <= last; p++) {
    let k = 0;
    while (k < phrase.length && terms[p + k] === phrase[k]) k++;
    if (k === phrase.length) starts.push(p);
  }
  return starts;
}

/**
 * FTS5 NEAR: some occurrence of `a` and some of `b`, in either order, with at most `window` terms
 * between the end of the first and the start of the second.
 */
function near(a: readonly number[], aLength: number, b: readonly number[], bLength: number, window: number): boolean {
  // Both lists ascend; a two-pointer walk finds the closest pair in O(|a| + |b|).
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const pa = a[i]!;
    const pb = b[j]!;
    if (pa <= pb) {
      if (pb - (pa + aLength) <= window) return true;
      i++;
    } else {
      if (pa - (pb + bLength) <= window) return true;
      j++;
    }
  }
  return false;
}

/**
 * Query phrases (each query word as FTS5 terms, see ftsTerms) → for a passage's terms, how many
 * neighbouring pairs (phrases[i], phrases[i + 1]) stand NEAR each other within `window`.
 */
export function nearPairCount(passageTerms: readonly string[], phrases: readonly (readonly string[])[], window: number): number {
  const positions = phrases.map((phrase) => occurrences(passageTerms, phrase));
  let count = 0;
  for (let i = 0; i + 1 < phrases.length; i++) {
    if (near(positions[i]!, phrases[i]!.length, positions[i + 1]!, phrases[i + 1]!.length, window)) count++;
  }
  return count;
}
