import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from './errors.ts';
import { normalizeForLexical } from './segment.ts';

/** The bundled thesaurus: users' words of the rule-of-law domain. */
export const BUNDLED_THESAURUS_FILE = fileURLToPath(new URL('./dict/colloquial.tsv', import.meta.url));

/** One thesaurus line: the words users write for a thing, and the words reports use for it. */
export interface ColloquialEntry {
  userWords: string[];
  reportWords: string[];
}

/**
 * Parses colloquial.tsv's format (comment lines start with #; `user|words<TAB>report words`);
 * a malformed line is an error naming the file and line, not a silently weaker search.
 */
export function parseThesaurus(text: string, file: string): ColloquialEntry[] {
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return [];
    const bad = (why: string) => new InputError(`${file}:${i + 1}`, why);
    const [users, reports, ...rest] = line.replace(/\r$/, '').split('\t');
    if (reports === undefined || rest.length > 0) throw bad('expected the user words, a tab, then the report words');
    const userWords = users!.split('|').map((w) => normalizeForLexical(w));
    const reportWords = reports.split(' ').filter((w) => w !== '');
    // One character matches inside unrelated words (输 in 运输): a user word is at least two.
    const short = userWords.find((w) => [...w].length < 2);
    if (short !== undefined) throw bad(`user word "${short}" is shorter than two characters`);
    if (reportWords.length === 0) throw bad('no report words');
    return [{ userWords, reportWords }];
  });
}

/** The bundled thesaurus, then the entries of `extraFile` (a user's own, same format) if given. */
export function loadThesaurus(extraFile?: string): ColloquialEntry[] {
  const read = (file: string): ColloquialEntry[] => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(file, `cannot read the thesaurus: ${(err as Error).message}`);
    }
    return parseThesaurus(text, file);
  };
  return [...read(BUNDLED_THESAURUS_FILE), ...(extraFile ? read(extraFile) : [])];
}

/**
 * The reports' words for what a plain-language query says in users' words (打官司 → 诉讼 行政诉讼 应诉),
 * each once, in thesaurus order; none for a query in the reports' own words.
 */
export function expandColloquial(query: string, thesaurus: readonly ColloquialEntry[]): string[] {
  const text = normalizeForLexical(query);
  const words = new Set<string>();
  for (const entry of thesaurus) {
    // A query already in the reports' words (法律明白人 holds the user word 明白人) needs no help:
    // their other words (法律顾问) only pulled other passages in.
    if (entry.reportWords.some((w) => text.includes(normalizeForLexical(w)))) continue;
    if (entry.userWords.some((w) => text.includes(w))) for (const w of entry.reportWords) words.add(w);
  }
  return [...words];
}
