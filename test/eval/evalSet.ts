// Query sets for the evaluation: the hand-written dev set and the automatic set share one shape.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../pipeline/errors.ts';
import type { Judgement } from './metrics.ts';

export const DEV_GROUPS = ['measure', 'paraphrase', 'similar'] as const;
export type DevGroup = (typeof DEV_GROUPS)[number];
export type QueryGroup = DevGroup | 'auto';

export interface EvalQuery {
  id: string;
  group: QueryGroup;
  query: string;
  /** Report the query's practice comes from: its passages are left out of the ranking. */
  from?: string;
  /** The variant or question type the query tests (dev2: "no enumeration comma", "不足" …); not scored. */
  kind?: string;
  relevant: Judgement[];
}

export const DEVSET_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'devset.json');
/** The second hand-written set (`--set dev2`), written before the round-2 fixes to confirm them. */
export const DEVSET2_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'devset2.json');
/**
 * The third (`--set dev3`): plain-language questions only, written blind — by a writer who had seen
 * neither the other sets, the search code nor the users'-words thesaurus — to measure that thesaurus.
 */
export const DEVSET3_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'devset3.json');
/**
 * The fourth (`--set dev4`): measure names as users type them, short descriptions of a practice,
 * plain-language questions and pasted paragraphs, written blind as dev3 was, after every ranking
 * change so far — the check of what was chosen on the other sets.
 */
export const DEVSET4_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'devset4.json');

/** Parses and checks a query set file; a malformed entry is named, not skipped. */
export function loadQuerySet(file: string, groups: readonly QueryGroup[]): EvalQuery[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(file, `cannot read query set: ${(err as Error).message}`);
  }
  const queries = (raw as { queries?: unknown }).queries;
  if (!Array.isArray(queries)) throw new InputError(file, '"queries" must be an array');
  const seen = new Set<string>();
  return queries.map((q: Partial<EvalQuery>, i) => {
    const where = `${file} queries[${i}]`;
    if (typeof q.id !== 'string' || seen.has(q.id)) throw new InputError(where, 'id missing or duplicated');
    seen.add(q.id);
    if (!groups.includes(q.group as QueryGroup)) throw new InputError(where, `group must be one of ${groups.join(', ')}`);
    if (typeof q.query !== 'string' || q.query.trim() === '') throw new InputError(where, 'query text missing');
    if (q.from !== undefined && typeof q.from !== 'string') throw new InputError(where, '"from" must be a file name');
    if (q.kind !== undefined && typeof q.kind !== 'string') throw new InputError(where, '"kind" must be a string');
    if (!Array.isArray(q.relevant) || q.relevant.length === 0) throw new InputError(where, 'no relevant passages');
    for (const j of q.relevant) {
      if (typeof j.doc !== 'string' || typeof j.contains !== 'string' || j.contains.trim() === '' || (j.grade !== 1 && j.grade !== 2)) {
        throw new InputError(where, 'each judgement needs doc, a non-empty contains and grade 1 or 2');
      }
      if (j.doc === q.from) throw new InputError(where, `judgement in ${j.doc}, the report the query is taken from`);
    }
    return q as EvalQuery;
  });
}

export function loadDevSet(file = DEVSET_FILE): EvalQuery[] {
  return loadQuerySet(file, DEV_GROUPS);
}
