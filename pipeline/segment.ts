import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import nodejieba from 'nodejieba';
import { normalizeForMatch } from './normalizeForMatch.ts';

const USER_DICT = fileURLToPath(new URL('./dict/user.dict.utf8', import.meta.url));
const STOPWORDS_FILE = fileURLToPath(new URL('./dict/stopwords.txt', import.meta.url));
/**
 * nodejieba's load also reads the 6 MB idf table of its keyword extractor, which this project
 * never calls: ~250 ms of CPU at every process start (1.6 s → 1.35 s for the whole load). It
 * gets this one-entry table instead (an empty file fails cppjieba's load).
 */
const UNUSED_IDF = fileURLToPath(new URL('./dict/unused.idf.utf8', import.meta.url));

/**
 * Measure names written with punctuation inside ("双随机、一公开", “八五”普法): jieba always splits at
 * punctuation, whatever its dictionary says, so these are cut out before jieba sees the text.
 */
const PUNCTUATED_TERMS =
  /双随机\s*[、，,·]?\s*一公开|放\s*[、，,·]\s*管\s*[、，,·]\s*服|谁执法\s*[、，,]\s*谁普法|[“"][一二三四五六七八九]五[”"]\s*普法|互联网\s*[+＋]\s*(?:监管|政务服务)/g;
/** Inside an index token only letters, digits and a decimal point carry meaning ("互联网+监管" ≡ "互联网监管"). */
const NON_WORD = /[^\p{L}\p{N}.]/gu;
/**
 * A short quoted name (“免罚、轻罚”, “1+1+N”, “巡察+复议+执法监督”, “八五”): reports quote measure
 * names, users type them bare. The quotes and the list marks inside go, so both spellings reach
 * jieba as the same run of characters (marks between digits stay: 1+1+N). 12 characters covers the quoted names in the sample
 * reports; longer quotes are sentences, whose punctuation must keep splitting.
 */
const QUOTED_NAME = /[“"‘]([^“”"‘’\n]{1,12})[”"’]/g;
const NAME_INNER_MARKS = /(?<=\p{Script=Han})[,·・+&/](?=\p{Script=Han})/gu;
/** Joining marks between two characters of one name anywhere (信用+调解, 面对面·听企业讲); not between digits (1+1+N). */
const JOINING_MARKS = /(?<=\p{Script=Han})[·・+&](?=\p{Script=Han})/gu;
/**
 * A lone digit counting something (3项, 2级, 1促, 0跑动) is the same word as its numeral (三项, 二级,
 * 一促, 零跑动); longer numbers (2023年, 100项) and decimals stay digits.
 */
const LONE_DIGIT = /(?<![\d.])(\d)(?![\d.%])(?=\p{Script=Han})/gu;
const NUMERALS = '零一二三四五六七八九';

let loaded = false;
let stopwords: ReadonlySet<string> | undefined;

function jieba(): typeof nodejieba {
  if (!loaded) {
    nodejieba.load({ userDict: USER_DICT, idfDict: UNUSED_IDF });
    loaded = true;
  }
  return nodejieba;
}

function stopwordSet(): ReadonlySet<string> {
  stopwords ??= new Set(fs.readFileSync(STOPWORDS_FILE, 'utf8').split('\n').map((w) => w.trim()).filter(Boolean));
  return stopwords;
}

/**
 * jieba tokens, whitespace dropped. HMM is on: without it jieba cuts unknown character runs one by one,
 * so "100" became 1/0/0 and "LED" L/E/D; with it digit and letter runs stay whole.
 */
function cutTokens(text: string): string[] {
  const cut = (part: string) => jieba().cut(part, true);
  const tokens: string[] = [];
  let from = 0;
  for (const m of text.matchAll(PUNCTUATED_TERMS)) {
    tokens.push(...cut(text.slice(from, m.index)), m[0]);
    from = m.index + m[0].length;
  }
  tokens.push(...cut(text.slice(from)));
  return tokens.filter((t) => t.trim() !== '');
}

/**
 * The spelling lexical matching sees, the same for reports and queries: normalizeForMatch (width,
 * list commas, case), then quoted names without their quotes and inner marks, lone digits as
 * numerals and 两 as 二 (两级 ≡ 二级 ≡ 2级).
 */
export function normalizeForLexical(text: string): string {
  return normalizeForMatch(text)
    .replace(QUOTED_NAME, (_m, inner: string) => inner.replace(NAME_INNER_MARKS, ''))
    .replace(JOINING_MARKS, '')
    .replace(LONE_DIGIT, (d: string) => NUMERALS[Number(d)]!)
    .replaceAll('两', '二');
}

function cleanToken(token: string): string {
  return token.replace(NON_WORD, '').replace(/^\.+|\.+$/g, '');
}

/** Coarse (jieba exact-mode) lexical tokens: normalised, punctuation and stopwords removed. */
function coarseTokens(text: string): string[] {
  const stop = stopwordSet();
  return cutTokens(normalizeForLexical(text))
    .map(cleanToken)
    .filter((t) => t !== '' && !stop.has(t));
}

/**
 * Lexical query tokens: the coarse words in query order, then the parts of the long ones. Coarse
 * words alone (IK's smart mode) lost lexical nDCG@10 on dev (0.505 → 0.477) and auto (0.125 →
 * 0.115): a paraphrase shares parts, not whole words, with its answer. With the parts, which
 * weigh less in the index (store.ts PARTS_WEIGHT): dev 0.504, auto 0.128.
 */
export function segmentForQuery(text: string): string[] {
  const { tokens, parts } = segmentForIndex(text);
  return [...tokens, ...parts];
}

export interface IndexTokens {
  /** Coarse tokens in text order, as a query is cut: positions are real, for phrase and proximity matching. */
  tokens: string[];
  /**
   * Every dictionary word inside a coarse token of 3+ characters (jieba full mode, like IK's
   * max_word): 双随机一公开 → 双随机, 随机, 公开; 行政执法三项制度 → 行政执法, 三项制度 … so a short
   * form or a part typed alone finds the whole name.
   */
  parts: string[];
}

/** Index-time segmentation: coarse tokens plus the parts of each long token. */
export function segmentForIndex(text: string): IndexTokens {
  const stop = stopwordSet();
  const tokens = coarseTokens(text);
  const parts: string[] = [];
  for (const token of tokens) {
    if ([...token].length < 3) continue;
    for (const part of jieba().cutAll(token)) {
      const clean = cleanToken(part);
      if (clean !== token && [...clean].length >= 2 && !stop.has(clean)) parts.push(clean);
    }
  }
  return { tokens, parts };
}

/**
 * The lexical words of a passage's context — its document's title and its heading path, coarse and
 * parts — for the index's third column (search/store.ts CONTEXT_WEIGHT): a passage under
 * “（二）深化行政执法体制改革” is about that though its own text may not say so.
 */
export function segmentContext(title: string, headingPath: readonly string[]): string[] {
  const { tokens, parts } = segmentForIndex([title, ...headingPath].join('。'));
  return [...tokens, ...parts];
}

/** Tokens joined by single spaces, nothing removed: the input format of the bundled encoder's tokenizer. */
export function segmentForModel(text: string): string {
  return cutTokens(text).join(' ');
}
