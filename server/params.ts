// JSON schemas for the API's parameters (Fastify validates them, answering 400 with the name of
// the parameter) and their conversion into the search engine's options, with the CLI's rules.
import { DOCUMENT_KINDS, SECTION_KINDS } from '../pipeline/types.ts';
import { MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MAX_YEAR, MIN_YEAR, SEARCH_MODES } from '../search/searchEngine.ts';
import { KIND_ALIASES } from '../search/filter.ts';
import type { SearchParam } from '../search/errors.ts';

const year = { type: 'integer', minimum: MIN_YEAR, maximum: MAX_YEAR } as const;
const region = { type: 'string', minLength: 1, maxLength: 40 } as const;
export const queryText = { type: 'string', minLength: 1, maxLength: MAX_QUERY_CHARS, pattern: '\\S' } as const;

export const filterProperties = {
  province: region,
  city: region,
  county: region,
  year,
  from: year,
  to: year,
  section: { type: 'string', enum: [...SECTION_KINDS] },
  // A kind's Chinese name or its English alias (law, rule-of-law-report …), as --kind takes.
  kind: { type: 'string', enum: [...DOCUMENT_KINDS, ...Object.keys(KIND_ALIASES)] },
} as const;

export const kProperty = { type: 'integer', minimum: 1, maximum: MAX_K, default: 10 } as const;
/** A later page: results skipped before the k returned (see the search engine's Paging). */
const offsetProperty = { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 } as const;
const modeProperty = { type: 'string', enum: [...SEARCH_MODES], default: 'hybrid' } as const;
/** false: search only the query's own words, without the reports' words for them (search/searchEngine.ts queryTerms). */
const expandProperty = { type: 'boolean', default: true } as const;

export const searchQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: {
    q: queryText,
    mode: modeProperty,
    k: kProperty,
    offset: offsetProperty,
    by: { type: 'string', enum: ['passage', 'report'], default: 'passage' },
    expand: expandProperty,
    ...filterProperties,
  },
} as const;

/** The CSV of a search: every passage the same query, mode, k and filters retrieve (all pages; `total`). */
export const searchCsvQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: { q: queryText, mode: modeProperty, k: kProperty, expand: expandProperty, ...filterProperties },
} as const;

/** The report catalogue: the filters that apply to documents (not section), and a page of them. */
export const catalogueQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    k: { type: 'integer', minimum: 1, maximum: MAX_K, default: 50 },
    offset: offsetProperty,
    ...Object.fromEntries(Object.entries(filterProperties).filter(([key]) => key !== 'section')),
  },
} as const;

export const similarQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { k: kProperty, offset: offsetProperty, mode: modeProperty, other_regions: { type: 'string', enum: ['0', '1', 'true', 'false'], default: '0' }, ...filterProperties },
} as const;

export const similarBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 5000, pattern: '\\S' },
    k: kProperty,
    offset: offsetProperty,
    mode: modeProperty,
    region: {
      type: 'object',
      additionalProperties: false,
      properties: { province: region, city: region, county: region },
    },
    ...filterProperties,
  },
} as const;

/** A route that takes no query parameters still refuses them (a misspelt one must not be ignored). */
export const noQuerySchema = { type: 'object', additionalProperties: false } as const;

export const idParamSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

/** The API's name for each search parameter, for the 400 a SearchParamError becomes. */
const API_PARAMS: Record<SearchParam, string> = {
  query: 'q',
  text: 'text',
  k: 'k',
  offset: 'offset',
  mode: 'mode',
  by: 'by',
  passageId: 'id',
  region: 'region',
  year: 'year',
  from: 'from',
  to: 'to',
  section: 'section',
  kind: 'kind',
  province: 'province',
  city: 'city',
  county: 'county',
  denseWeight: 'denseWeight',
};

export function apiParamOf(param: SearchParam): string {
  return API_PARAMS[param];
}
