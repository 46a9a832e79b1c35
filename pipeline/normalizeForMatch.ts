// Matching (hashing, lexical indexing, phrase lookup) must not depend on how a report was typed:
// full-width vs half-width letters and digits, 、 vs ， vs , between list items, stray spaces from PDF
// conversion ("4 个工作专班"). Display text keeps the original characters; only matching uses this.

const CJK = '\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uff00-\\uffef';
const SPACE_AFTER_CJK = new RegExp(`([${CJK}])\\s+`, 'g');
const SPACE_BEFORE_CJK = new RegExp(`\\s+([${CJK}])`, 'g');

export function normalizeForMatch(text: string): string {
  return text
    .normalize('NFKC') // full-width ASCII → half-width, ideographic space → space, compatibility forms
    .replace(/[、，]/g, ',')
    .replace(/\s+/g, ' ')
    .replace(SPACE_AFTER_CJK, '$1')
    .replace(SPACE_BEFORE_CJK, '$1')
    .replace(/\s*,\s*/g, ',')
    .trim()
    .toLowerCase();
}
