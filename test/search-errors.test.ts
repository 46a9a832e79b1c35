// The search layer's errors carry a code and its own parameter name; the CLI names the flag the
// user typed, the server the API parameter (serve-api.test.ts checks the 400s end to end,
// cli.test.ts and cli-hygiene.test.ts the CLI's messages).
import { describe, expect, it } from 'vitest';
import { flagOf, searchErrorMessage } from '../cli/options.ts';
import { apiParamOf } from '../server/params.ts';
import { SearchParamError, type SearchErrorCode, type SearchParam } from '../search/errors.ts';
import { parseFilter, parseHomeRegion } from '../search/filter.ts';
import { validateBy, validateHome, validateK, validateMode, validateQuery, validateText } from '../search/searchEngine.ts';

function thrown(fn: () => unknown): SearchParamError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SearchParamError) return err;
    throw err;
  }
  throw new Error('nothing thrown');
}

describe('coded search errors', () => {
  it.each<[string, () => unknown, SearchErrorCode, SearchParam, string, string]>([
    ['k above 100', () => validateK(500), 'out_of_range', 'k', '--k', 'k'],
    ['empty query', () => validateQuery('  '), 'empty', 'query', 'query', 'q'],
    ['query too long', () => validateQuery('法'.repeat(501)), 'too_long', 'query', 'query', 'q'],
    ['text too long', () => validateText('法'.repeat(5001)), 'too_long', 'text', '--text', 'text'],
    ['unknown mode', () => validateMode('fuzzy'), 'not_allowed', 'mode', '--mode', 'mode'],
    ['unknown unit', () => validateBy('city'), 'not_allowed', 'by', '--by', 'by'],
    ['other regions of a text without its region', () => validateHome({ otherRegions: true }), 'region_required', 'region', '--other-regions', 'region'],
    ['unknown province', () => parseFilter({ province: '火星' }), 'unknown_region', 'province', '--province', 'province'],
    ['reversed range', () => parseFilter({ from: '2023', to: 2020 }), 'conflicting', 'from', '--from', 'from'],
    ['year and range', () => parseFilter({ year: 2022, from: '2021' }), 'conflicting', 'year', '--year', 'year'],
    ['year out of range', () => parseFilter({ year: '1800' }), 'out_of_range', 'year', '--year', 'year'],
    ['unknown kind', () => parseFilter({ kind: 'novel' }), 'not_allowed', 'kind', '--kind', 'kind'],
    ['ambiguous home county', () => parseHomeRegion({ county: '朝阳' }), 'ambiguous_region', 'county', '--county', 'county'],
  ])('%s: code, parameter, flag and API name', (_, fn, code, param, flag, apiParam) => {
    const err = thrown(fn);
    expect([err.code, err.param]).toEqual([code, param]);
    expect(flagOf(err.param)).toBe(flag);
    expect(apiParamOf(err.param)).toBe(apiParam);
    expect(searchErrorMessage(err).startsWith(`${flag}: `)).toBe(true);
    expect(err.detail).not.toMatch(/--/);
  });

  it('the CLI tells a missing home region which flags give one', () => {
    expect(searchErrorMessage(thrown(() => validateHome({ otherRegions: true, region: undefined })))).toMatch(/^--other-regions: .*--province, --city or --county$/);
  });

  it('accepts what is valid', () => {
    expect(validateK(100)).toBe(100);
    expect(validateText(` ${'法'.repeat(5000)} `)).toHaveLength(5000);
    expect(() => validateHome({ otherRegions: true, region: { province: '山东省', city: null, county: null, code: '370000' } })).not.toThrow();
    expect(parseFilter({ year: '2022', kind: 'law', county: '陕县' })).toEqual({ from: 2022, to: 2022, kind: '法律法规', county: '陕州区' });
  });
});
