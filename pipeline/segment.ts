import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import nodejieba from 'nodejieba';
import { normalizeForMatch } from './normalizeForMatch.ts';

const USER_DICT = fileURLToPath(new URL('./dict/user.dict.utf8', import.meta.url));
const STOPWORDS_FILE = fileURLToPath(new URL('./dict/stopwords.txt', import.meta.url));

/**
 * Measure names written with punctuation inside ("双随机、一公开", “八五”普法): jieba always splits at
 * punctuation, whatever its dictionary says, so these are cut out before jieba sees the text.
 */
const PUNCTUATED_TERMS =
  /双随机\s*[、，,·]?\s*一公开|放\s*[、，,·]\s*管\s*[、，,·]\s*服|谁执法\s*[、，,]\s*谁普法|[“"][一二三四五六七八九]五[”"]\s*普法|互联网\s*[+＋]\s*(?:监管|政务服务)/g;
/** Inside an index token only letters, digits and a decimal point carry meaning ("互联网+监管" ≡ "互联网监管"). */
const NON_WORD = /[^\p{L}\p{N}.]/gu;

let loaded = false;
let stopwords: ReadonlySet<string> | undefined;

function jieba(): typeof nodejieba {
  if (!loaded) {
    nodejieba.load({ userDict: USER_DICT });
    loaded = true;
  }
  return nodejieba;
}

function stopwordSet(): ReadonlySet<string> {
  stopwords ??= new Set(fs.readFileSync(STOPWORDS_FILE, 'utf8').split('\n').map((w) => w.trim()).filter(Boolean));
  return stopwords;
}

type CutMode = 'exact' | 'search';

/**
 * jieba tokens, whitespace dropped. HMM is on: without it jieba cuts unknown character runs one by one,
 * so "100" became 1/0/0 and "LED" L/E/D; with it digit and letter runs stay whole. Search mode adds the
 * dictionary words inside a long word (负责人 → 负责, 负责人), so a query for a part still finds the whole.
 */
function cutTokens(text: string, mode: CutMode): string[] {
  const cut = (part: string) => (mode === 'search' ? jieba().cutForSearch(part, true) : jieba().cut(part, true));
  const tokens: string[] = [];
  let from = 0;
  for (const m of text.matchAll(PUNCTUATED_TERMS)) {
    tokens.push(...cut(text.slice(from, m.index)), m[0]);
    from = m.index + m[0].length;
  }
  tokens.push(...cut(text.slice(from)));
  return tokens.filter((t) => t.trim() !== '');
}

/** Tokens for the lexical index and lexical queries: normalised, punctuation and stopwords removed. */
export function segmentForIndex(text: string): string[] {
  const stop = stopwordSet();
  return cutTokens(normalizeForMatch(text), 'search')
    .map((t) => t.replace(NON_WORD, '').replace(/^\.+|\.+$/g, ''))
    .filter((t) => t !== '' && !stop.has(t));
}

/** Tokens joined by single spaces, nothing removed: the input format of the bundled encoder's tokenizer. */
export function segmentForModel(text: string): string {
  return cutTokens(text, 'exact').join(' ');
}
