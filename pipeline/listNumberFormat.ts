// Word's list number formats (numbering.xml w:numFmt, ECMA-376 ST_NumberFormat) that Chinese reports use,
// rendered as Word draws them. A format not listed here is drawn as decimal, as Word does for one it lacks.

const CN_DIGITS = '〇一二三四五六七八九';
const CN_COUNTING = '零一二三四五六七八九';
const CN_LEGAL_DIGITS = '零壹贰叁肆伍陆柒捌玖';
const CIRCLED = '①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳';
const FULLSTOP = '⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛';
const PAREN = '⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇';
const HEAVENLY_STEMS = '甲乙丙丁戊己庚辛壬癸';
const EARTHLY_BRANCHES = '子丑寅卯辰巳午未申酉戌亥';
const ROMAN: readonly [number, string][] = [
  [1000, 'm'], [900, 'cm'], [500, 'd'], [400, 'cd'], [100, 'c'], [90, 'xc'], [50, 'l'], [40, 'xl'], [10, 'x'], [9, 'ix'], [5, 'v'], [4, 'iv'], [1, 'i'],
];

/**
 * `n` in list number format `numFmt`; '' for `none`. A number a format draws long or not at all (roman from
 * 4000, letters past 780, counting from 10,000) is drawn in decimal, so no number is longer than its digits
 * or 30 letters.
 */
export function formatListNumber(n: number, numFmt: string): string {
  switch (numFmt) {
    case 'none':
      return '';
    case 'chineseCounting':
    case 'chineseCountingThousand':
    case 'japaneseCounting':
    case 'taiwaneseCounting':
      return chineseCounting(n, [...CN_COUNTING], ['', '十', '百', '千']);
    case 'chineseLegalSimplified':
      return chineseCounting(n, [...CN_LEGAL_DIGITS], ['', '拾', '佰', '仟']);
    case 'ideographDigital':
      return [...String(n)].map((d) => CN_DIGITS[Number(d)]).join('');
    case 'ideographTraditional':
      return cyclic(n, HEAVENLY_STEMS);
    case 'ideographZodiac':
      return cyclic(n, EARTHLY_BRANCHES);
    case 'decimalEnclosedCircle':
    case 'decimalEnclosedCircleChinese':
      return enclosed(n, CIRCLED);
    case 'decimalEnclosedFullstop':
      return enclosed(n, FULLSTOP);
    case 'decimalEnclosedParen':
      return enclosed(n, PAREN);
    case 'decimalFullWidth':
      return [...String(n)].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    case 'decimalZero':
      return String(n).padStart(2, '0');
    case 'lowerRoman':
      return roman(n);
    case 'upperRoman':
      return roman(n).toUpperCase();
    case 'lowerLetter':
      return letter(n);
    case 'upperLetter':
      return letter(n).toUpperCase();
    default:
      return String(n);
  }
}

/** 1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (below 10,000, which a list never reaches). */
function chineseCounting(n: number, digits: string[], units: string[]): string {
  // NaN falls back too; as `n <= 0 || n >= 10_000` it drew "undefined百undefined十undefined".
  if (!(n > 0 && n < 10_000)) return String(n);
  const places = [...String(n)].map(Number).reverse();
  let out = '';
  let zero = false;
  for (let i = places.length - 1; i >= 0; i--) {
    const d = places[i]!;
    if (d === 0) {
      zero = out !== '';
      continue;
    }
    if (zero) out += digits[0];
    zero = false;
    // 十一, not 一十一: a leading one before ten is not spoken.
    out += (d === 1 && i === 1 && out === '' ? '' : digits[d]) + units[i];
  }
  return out;
}

function cyclic(n: number, symbols: string): string {
  return n >= 1 ? symbols[(n - 1) % symbols.length]! : String(n);
}

function enclosed(n: number, symbols: string): string {
  return n >= 1 && n <= symbols.length ? symbols[n - 1]! : String(n);
}

/**
 * i … mmmcmxcix; from 4000 on, decimal, as CSS's lower-roman does (CSS Counter Styles 3, range 1–3999).
 * Past it the numeral only grows by an m per thousand: a start of 1e12 ran out of memory, 1e999 (Infinity)
 * never ended.
 */
function roman(n: number): string {
  if (n >= 4000) return String(n);
  let out = '';
  for (const [value, symbol] of ROMAN) {
    while (n >= value) {
      out += symbol;
      n -= value;
    }
  }
  return out;
}

/**
 * a … z, then aa … zz, as Word counts letters, up to 780 (30 z's), far past any list in a report; beyond,
 * decimal. The letter repeats n/26 times: a start of 2.6e9 drew 100 million letters a paragraph (92 s, 3.6 GB).
 */
function letter(n: number): string {
  if (!(n >= 1 && n <= 780)) return String(n);
  return String.fromCharCode(0x61 + ((n - 1) % 26)).repeat(Math.floor((n - 1) / 26) + 1);
}
