// Filter values as people write them (region names short or full, a year or a range, a section
// or kind by name or English alias) → a checked SearchFilter. The CLI's flags and the API's
// parameters go through the same rules; errors are SearchParamErrors naming the filter field.
import { resolveRegion, type ResolvedRegion } from '../pipeline/detectJurisdiction.ts';
import { DOCUMENT_KINDS, SECTION_KINDS, type DocumentKind, type Jurisdiction } from '../pipeline/types.ts';
import { SearchParamError } from './errors.ts';
import { validateYear } from './searchEngine.ts';
import type { SearchFilter } from './store.ts';

/** Filter values as typed: years as text (a flag) or numbers (a JSON parameter). */
export interface RawFilter {
  province?: string;
  city?: string;
  county?: string;
  year?: string | number;
  from?: string | number;
  to?: string | number;
  section?: string;
  kind?: string;
}

/** English names for the document kinds, for scripts and keyboards without Chinese input. */
export const KIND_ALIASES: Record<string, DocumentKind> = {
  'rule-of-law-report': '法治政府建设年度报告',
  'government-report': '政府报告',
  law: '法律法规',
  other: '其他',
};

type Level = 'province' | 'city' | 'county';

/** Says where a value was read as something else (a former county name): the field and why. */
export type Note = (param: Level, line: string) => void;

function regions(level: Level, value: string, note: Note): ResolvedRegion[] {
  const matches = resolveRegion(level, value.trim());
  if (matches.length === 0) throw new SearchParamError('unknown_region', level, `unknown ${level} "${value}"`);
  const formerly = matches.find((m) => m.formerly !== undefined);
  if (formerly) note(level, `${value}: now ${formerly.name} (${[formerly.province, formerly.city].filter(Boolean).join('/')}, ${formerly.code})`);
  return matches;
}

function region(level: Level, value: string | undefined, note: Note): string | undefined {
  // Regions sharing a name (朝阳区 in 北京 and 长春) share it in the store too: filtering by name covers them all.
  return value === undefined ? undefined : regions(level, value, note)[0]!.name;
}

function year(param: 'year' | 'from' | 'to', value: string | number): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new SearchParamError('out_of_range', param, `expected a year, got "${value}"`);
  return validateYear(param, Number(text));
}

export function parseFilter(raw: RawFilter, note: Note = () => undefined): SearchFilter {
  const filter: SearchFilter = {
    province: region('province', raw.province, note),
    city: region('city', raw.city, note),
    county: region('county', raw.county, note),
  };
  if (raw.year !== undefined) {
    if (raw.from !== undefined || raw.to !== undefined) throw new SearchParamError('conflicting', 'year', 'give either a year or a from/to range');
    filter.from = filter.to = year('year', raw.year);
  }
  if (raw.from !== undefined) filter.from = year('from', raw.from);
  if (raw.to !== undefined) filter.to = year('to', raw.to);
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new SearchParamError('conflicting', 'from', `${filter.from} is after the range's end, ${filter.to}`);
  }
  if (raw.section !== undefined) {
    // A part's name inside a longer one is that part (主要成效 → 成效); naming two (成效不足) is no one part.
    const named = SECTION_KINDS.filter((k) => k !== '其他' && raw.section!.includes(k));
    const s = named.length === 1 ? named[0] : raw.section === '其他' ? '其他' : undefined;
    if (!s) throw new SearchParamError('not_allowed', 'section', `expected one of ${SECTION_KINDS.join(', ')}, got "${raw.section}"`);
    filter.section = s;
  }
  if (raw.kind !== undefined) {
    const value = raw.kind.trim();
    const kind = DOCUMENT_KINDS.find((k) => k === value) ?? KIND_ALIASES[value];
    if (!kind) {
      throw new SearchParamError('not_allowed', 'kind', `expected one of ${DOCUMENT_KINDS.join(', ')} (or ${Object.keys(KIND_ALIASES).join(', ')}), got "${raw.kind}"`);
    }
    filter.kind = kind;
  }
  for (const k of Object.keys(filter) as (keyof SearchFilter)[]) if (filter[k] === undefined) delete filter[k];
  return filter;
}

/**
 * Other regions than a text's: a text has no region of its own, so its home is given by name.
 * The narrowest level given is the home region; the wider ones pick among regions sharing its
 * name. Undefined when none is given (`similar` then says it needs one).
 */
export function parseHomeRegion(raw: Pick<RawFilter, Level>, note: Note = () => undefined): Jurisdiction | undefined {
  const level: Level | undefined = raw.county !== undefined ? 'county' : raw.city !== undefined ? 'city' : raw.province !== undefined ? 'province' : undefined;
  if (!level) return undefined;
  let candidates = regions(level, raw[level]!, note);
  const province = level !== 'province' ? region('province', raw.province, note) : undefined;
  const city = level === 'county' ? region('city', raw.city, note) : undefined;
  if (province !== undefined) candidates = candidates.filter((c) => c.province === province);
  if (city !== undefined) candidates = candidates.filter((c) => c.city === city);
  if (candidates.length === 0) throw new SearchParamError('unknown_region', level, `no ${level} "${raw[level]}" in ${[province, city].filter(Boolean).join('/')}`);
  if (candidates.length > 1) {
    const where = candidates.map((c) => [c.province, c.city].filter(Boolean).join('/')).join(', ');
    throw new SearchParamError('ambiguous_region', level, `"${raw[level]}" names ${candidates.length} regions (${where}); add the city or province`);
  }
  const home = candidates[0]!;
  return {
    province: home.province,
    city: level === 'province' ? null : level === 'city' ? home.name : home.city,
    county: level === 'county' ? home.name : null,
    code: home.code,
  };
}
