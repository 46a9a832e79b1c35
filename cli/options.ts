// Turns raw CLI flag strings into validated search options; every error names its flag.
import { InputError } from '../pipeline/errors.ts';
import { resolveRegion, type ResolvedRegion } from '../pipeline/detectJurisdiction.ts';
import { DOCUMENT_KINDS, SECTION_KINDS, type DocumentKind, type Jurisdiction, type SectionKind } from '../pipeline/types.ts';
import { MAX_YEAR, MIN_YEAR, SEARCH_MODES, type SearchMode } from '../search/searchEngine.ts';


export interface RawFilterFlags {
  province?: string;
  city?: string;
  county?: string;
  year?: string;
  from?: string;
  to?: string;
  section?: string;
  kind?: string;
}

export interface Filter {
  province?: string;
  city?: string;
  county?: string;
  from?: number;
  to?: number;
  section?: SectionKind;
  kind?: DocumentKind;
}

/** English names for the document kinds, for scripts and keyboards without Chinese input. */
export const KIND_ALIASES: Record<string, DocumentKind> = {
  'rule-of-law-report': '法治政府建设年度报告',
  'government-report': '政府报告',
  law: '法律法规',
  other: '其他',
};


export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new InputError(flag, `expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Says where a flag value was read as something else (a former county name). */
export type Note = (line: string) => void;

type Level = 'province' | 'city' | 'county';

function regions(level: Level, value: string, note: Note): ResolvedRegion[] {
  const matches = resolveRegion(level, value.trim());
  if (matches.length === 0) throw new InputError(`--${level}`, `unknown ${level} "${value}"`);
  const formerly = matches.find((m) => m.formerly !== undefined);
  if (formerly) note(`--${level} ${value}: now ${formerly.name} (${[formerly.province, formerly.city].filter(Boolean).join('/')}, ${formerly.code})`);
  return matches;
}

function region(level: Level, value: string | undefined, note: Note): string | undefined {
  // Regions sharing a name (朝阳区 in 北京 and 长春) share it in the store too: filtering by name covers them all.
  return value === undefined ? undefined : regions(level, value, note)[0]!.name;
}

export function parseFilter(flags: RawFilterFlags, note: Note = () => undefined): Filter {
  const filter: Filter = {
    province: region('province', flags.province, note),
    city: region('city', flags.city, note),
    county: region('county', flags.county, note),
  };
  if (flags.year !== undefined) {
    if (flags.from !== undefined || flags.to !== undefined) throw new InputError('--year', 'use either --year or --from/--to');
    filter.from = filter.to = parseIntFlag('--year', flags.year, MIN_YEAR, MAX_YEAR);
  }
  if (flags.from !== undefined) filter.from = parseIntFlag('--from', flags.from, MIN_YEAR, MAX_YEAR);
  if (flags.to !== undefined) filter.to = parseIntFlag('--to', flags.to, MIN_YEAR, MAX_YEAR);
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new InputError('--from', `${filter.from} is after --to ${filter.to}`);
  }
  if (flags.section !== undefined) {
    const s = SECTION_KINDS.find((k) => k !== '其他' && flags.section!.includes(k)) ?? (flags.section === '其他' ? '其他' : undefined);
    if (!s) throw new InputError('--section', `expected one of 成效, 不足, 职责, 安排, 其他, got "${flags.section}"`);
    filter.section = s;
  }
  if (flags.kind !== undefined) {
    const value = flags.kind.trim();
    const kind = DOCUMENT_KINDS.find((k) => k === value) ?? KIND_ALIASES[value];
    if (!kind) {
      throw new InputError('--kind', `expected one of ${DOCUMENT_KINDS.join(', ')} (or ${Object.keys(KIND_ALIASES).join(', ')}), got "${flags.kind}"`);
    }
    filter.kind = kind;
  }
  for (const k of Object.keys(filter) as (keyof Filter)[]) if (filter[k] === undefined) delete filter[k];
  return filter;
}

export function parseMode(value: string): SearchMode {
  const mode = SEARCH_MODES.find((m) => m === value);
  if (mode) return mode;
  throw new InputError('--mode', `expected hybrid, dense or lexical, got "${value}"`);
}

export function parseBy(value: string): 'passage' | 'report' {
  if (value === 'passage' || value === 'report') return value;
  throw new InputError('--by', `expected passage or report, got "${value}"`);
}

/**
 * `similar --text … --other-regions`: a text has no region of its own, so the region flags say
 * which one is home (and are not filters). The narrowest flag given is the home region; the
 * wider ones pick among regions sharing its name.
 */
export function parseHomeRegion(flags: RawFilterFlags, note: Note = () => undefined): Jurisdiction {
  const level: Level | undefined = flags.county !== undefined ? 'county' : flags.city !== undefined ? 'city' : flags.province !== undefined ? 'province' : undefined;
  if (!level) {
    throw new InputError('--other-regions', 'a --text has no region of its own: say which region is home with --province, --city or --county');
  }
  let candidates = regions(level, flags[level]!, note);
  const province = level !== 'province' ? region('province', flags.province, note) : undefined;
  const city = level === 'county' ? region('city', flags.city, note) : undefined;
  if (province !== undefined) candidates = candidates.filter((c) => c.province === province);
  if (city !== undefined) candidates = candidates.filter((c) => c.city === city);
  if (candidates.length === 0) throw new InputError(`--${level}`, `no ${level} "${flags[level]}" in ${[province, city].filter(Boolean).join('/')}`);
  if (candidates.length > 1) {
    const where = candidates.map((c) => [c.province, c.city].filter(Boolean).join('/')).join(', ');
    throw new InputError(`--${level}`, `"${flags[level]}" names ${candidates.length} regions (${where}); add --city or --province`);
  }
  const home = candidates[0]!;
  return {
    province: home.province,
    city: level === 'province' ? null : level === 'city' ? home.name : home.city,
    county: level === 'county' ? home.name : null,
    code: home.code,
  };
}
