import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeForLexical } from './segment.ts';

const THESAURUS_FILE = fileURLToPath(new URL('./dict/colloquial.tsv', import.meta.url));

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
    const bad = (why: string) => new Error(`${file}:${i + 1}: ${why}`);
    const [users, reports, ...rest] = line.split('\t');
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

let bundled: readonly ColloquialEntry[] | undefined;

function bundledThesaurus(): readonly ColloquialEntry[] {
  bundled ??= parseThesaurus(fs.readFileSync(THESAURUS_FILE, 'utf8'), THESAURUS_FILE);
  return bundled;
}

/**
 * The reports' words for what a plain-language query says in users' words (打官司 → 诉讼 行政诉讼 应诉),
 * each once, in thesaurus order; none for a query in the reports' own words.
 */
export function expandColloquial(query: string, thesaurus: readonly ColloquialEntry[] = bundledThesaurus()): string[] {
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
