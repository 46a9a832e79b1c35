// Flag values → numbers, and the search layer's coded errors told with the flag the user typed.
import { InputError } from '../pipeline/errors.ts';
import type { SearchParam, SearchParamError } from '../search/errors.ts';

export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new InputError(flag, `expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** A whole number for the search layer to range-check (its error then names the flag). */
export function parseWholeNumber(flag: string, value: string): number {
  if (!/^\s*\d+\s*$/.test(value)) throw new InputError(flag, `expected a whole number, got "${value}"`);
  return Number(value);
}

/** How `search` and `similar` take each search parameter on the command line. */
const FLAGS: Record<SearchParam, string> = {
  query: 'query',
  text: '--text',
  k: '--k',
  offset: '--offset',
  mode: '--mode',
  by: '--by',
  passageId: 'passage-id',
  // Needed only with --other-regions and --text, which has no region of its own.
  region: '--other-regions',
  year: '--year',
  from: '--from',
  to: '--to',
  section: '--section',
  kind: '--kind',
  province: '--province',
  city: '--city',
  county: '--county',
  denseWeight: 'dense weight',
};

export function flagOf(param: SearchParam): string {
  return FLAGS[param];
}

/** The message for the user of the CLI: the flag (or argument) they typed, then what is wrong. */
export function searchErrorMessage(err: SearchParamError): string {
  const hint = err.code === 'region_required' ? '; say which with --province, --city or --county' : '';
  return `${err.naming(flagOf(err.param))}${hint}`;
}
