// `fazhi serve`'s JSON API against a real store (the sample reports, the hostile fixture, a law
// and a government work report), the bundled encoder and jieba: validation, shapes, facets
// (disjunctive, with the document kind), similar, reports, adoption, reload.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { search } from '../search/searchEngine.ts';
import { toJson, toRows } from '../cli/format.ts';
import { adoption, mentioningPassages, searchCsv } from '../server/views.ts';
import type { Store } from '../search/store.ts';
import { parse as parseCsv } from 'csv-parse/sync';
import { startServeFixture, type ServeFixture } from './helpers/serveFixture.ts';

let fx: ServeFixture;

async function get(url: string): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await fx.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body, headers: res.headers };
}

const q = (text: string) => encodeURIComponent(text);

beforeAll(async () => {
  fx = await startServeFixture({ otherKinds: true });
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

describe('GET /api/search', () => {
  it('answers 述法 from the sample reports with the CLI --json fields, facets counted over every match', async () => {
    const { status, body } = await get(`/api/search?q=${q('述法')}&k=3`);
    expect(status).toBe(200);
    expect(body.results).toHaveLength(3);
    expect(body.terms).toContain('述法');
    expect(body.results[0].text).toContain('述法');
    const cliRows = JSON.parse(toJson(toRows(await search(fx.reader.current(), '述法', { k: 3, mode: 'hybrid' })))).results;
    for (const [i, row] of cliRows.entries()) {
      expect(body.results[i]).toMatchObject(row);
      expect(body.results[i]).toHaveProperty('docId');
      expect(body.results[i]).toHaveProperty('headingPath');
    }
    expect(body.total).toBeGreaterThan(3);
    const sum = (facet: Record<string, number>) => Object.values(facet).reduce((a, b) => a + b, 0);
    // Every match has a year and a section; counts cover them all, not just the page of 3.
    expect(sum(body.facets.year)).toBe(body.total);
    expect(sum(body.facets.section)).toBe(body.total);
    expect(body.facets.province['山东省']).toBeGreaterThan(3);
    expect(body.facets.province['河南省']).toBeGreaterThan(0);
  });

  it("a question in users' words also searches the reports' words for it, says which, and expand=false searches only its own", async () => {
    const question = q('穷人请不起律师怎么办');
    const { status, body } = await get(`/api/search?q=${question}&mode=lexical&k=5`);
    expect(status).toBe(200);
    expect(body.expanded).toEqual(expect.arrayContaining(['法律援助', '困难群众']));
    expect(body.terms).toEqual(expect.arrayContaining(['律师', '法律援助']));
    // The sample reports' legal-aid passages say 法律援助, never 请不起律师.
    expect(body.results.some((r: any) => r.text.includes('法律援助'))).toBe(true);
    const own = await get(`/api/search?q=${question}&mode=lexical&k=5&expand=false`);
    expect(own.status).toBe(200);
    expect(own.body.expanded).toEqual([]);
    expect(own.body.terms).not.toContain('法律援助');
    expect(own.body.results.map((r: any) => r.id)).not.toEqual(body.results.map((r: any) => r.id));
    // Facets count what the same search (expanded or not) retrieves.
    const sum = (facet: Record<string, number>) => Object.values(facet).reduce((a, b) => a + b, 0);
    expect(sum(body.facets.section)).toBe(body.total);
    expect(sum(own.body.facets.section)).toBe(own.body.total);
    const csv = await get(`/api/search.csv?q=${question}&mode=lexical&k=5&expand=false`);
    expect(parseCsv(csv.body as string, { columns: true, bom: true })).toHaveLength(own.body.total);
    expect((await get(`/api/search?q=${question}&expand=maybe`)).status).toBe(400);
    // A query in the reports' own words is searched as it is.
    expect((await get(`/api/search?q=${q('述法')}&k=1`)).body.expanded).toEqual([]);
  });

  it("counts a query's length in characters (code points), as its schema does: 300 characters outside the BMP are searched, 501 are a 400", async () => {
    const ok = await get(`/api/search?q=${q('𠀀'.repeat(300))}&k=1`);
    expect(ok.status, ok.body.message).toBe(200);
    const long = await get(`/api/search?q=${q('𠀀'.repeat(501))}&k=1`);
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ param: 'q', message: 'q: must NOT have more than 500 characters' });
  });

  it('filters by province (short name resolved), year and section; by=report groups passages', async () => {
    const { body } = await get(`/api/search?q=${q('述法')}&province=${q('河南')}&k=20`);
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.every((r: any) => r.jurisdiction.province === '河南省')).toBe(true);
    // The province facet ignores the province filter: the other provinces stay listed.
    expect(Object.keys(body.facets.province)).toEqual(expect.arrayContaining(['河南省', '山东省']));
    // Cities are counted inside the chosen province.
    expect(Object.keys(body.facets.city)).not.toContain('枣庄市');
    expect(Object.keys(body.facets.city).length).toBeGreaterThan(0);
    const byYear = await get(`/api/search?q=${q('述法')}&year=2022&section=${q('成效')}&mode=lexical`);
    expect(byYear.body.results.every((r: any) => r.year === 2022 && r.section === '成效')).toBe(true);
    const grouped = await get(`/api/search?q=${q('述法')}&by=report&k=3`);
    expect(grouped.body.results.length).toBeGreaterThan(1);
    expect(new Set(grouped.body.results.map((r: any) => r.docId)).size).toBe(grouped.body.results.length);
    expect(grouped.body.results[0].passages.length).toBeGreaterThan(0);
  });

  it('pages through one ranking with offset (passages, or reports with by=report); total and reports stay; a bad offset is a 400 naming it', async () => {
    const whole = await get(`/api/search?q=${q('行政执法')}&k=12`);
    const second = await get(`/api/search?q=${q('行政执法')}&k=12&offset=6`);
    expect(second.status).toBe(200);
    expect(second.body.offset).toBe(6);
    expect(whole.body.offset).toBe(0);
    expect(second.body.total).toBe(whole.body.total);
    expect(second.body.reports).toBe(whole.body.reports);
    // With k=12 both read as deep: the second page of 6 is the whole list's second half.
    const page = await get(`/api/search?q=${q('行政执法')}&k=6&offset=6`);
    expect(page.body.results.map((r: any) => r.id)).toEqual(whole.body.results.slice(6).map((r: any) => r.id));
    expect(new Set(whole.body.results.map((r: any) => r.docId)).size).toBeLessThanOrEqual(whole.body.reports);
    expect(whole.body.reports).toBeLessThan(whole.body.total);
    const reports = await get(`/api/search?q=${q('行政执法')}&by=report&k=4`);
    const laterReports = await get(`/api/search?q=${q('行政执法')}&by=report&k=2&offset=2`);
    expect(laterReports.body.results.map((r: any) => r.docId)).toEqual(reports.body.results.slice(2).map((r: any) => r.docId));
    const beyond = await get(`/api/search?q=${q('行政执法')}&offset=${whole.body.total}`);
    expect(beyond.status).toBe(200);
    expect(beyond.body.results).toEqual([]);
    for (const bad of ['-1', '1.5', 'x', '10001']) {
      const r = await get(`/api/search?q=${q('行政执法')}&offset=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.param, bad).toBe('offset');
    }
    // Each report says how many of the passages counted in total are its own, beyond the best few it lists.
    const grouped = await get(`/api/search?q=${q('行政执法')}&by=report&k=100`);
    expect(grouped.body.results.reduce((n: number, r: any) => n + r.matched, 0)).toBe(grouped.body.total);
    expect(grouped.body.results.every((r: any) => r.matched >= r.passages.length)).toBe(true);
    expect(grouped.body.results.some((r: any) => r.matched > r.passages.length)).toBe(true);
    const similarAll = await get(`/api/similar/${whole.body.results[0].id}?k=6`);
    const similarLater = await get(`/api/similar/${whole.body.results[0].id}?k=3&offset=3`);
    expect(similarLater.body.results.map((r: any) => r.id)).toEqual(similarAll.body.results.slice(3).map((r: any) => r.id));
  });

  it('filters by document kind exactly, as --kind does (Chinese name or English alias)', async () => {
    const reports = await get(`/api/search?q=${q('述法')}&kind=rule-of-law-report&k=20`);
    expect(reports.body.results.length).toBeGreaterThan(0);
    expect(reports.body.results.every((r: any) => r.kind === '法治政府建设年度报告')).toBe(true);
    expect(reports.body.filter).toEqual({ kind: '法治政府建设年度报告' });
    const named = await get(`/api/search?q=${q('述法')}&kind=law&province=${q('河南')}&year=2022`);
    // The filters as applied: what the web app marks as chosen.
    expect(named.body.filter).toEqual({ province: '河南省', kind: '法律法规', from: 2022, to: 2022 });
    const laws = await get(`/api/search?q=${q('述法')}&kind=${q('法律法规')}&mode=lexical`);
    expect(laws.status).toBe(200);
    expect(laws.body.results.length).toBeGreaterThan(0);
    expect(laws.body.results.every((r: any) => r.kind === '法律法规' && r.title === '郑州市行政执法监督条例')).toBe(true);
    // A kind with no document in the store leaves nothing rather than ignoring itself.
    const others = await get(`/api/search?q=${q('述法')}&kind=other`);
    expect(others.status).toBe(200);
    expect(others.body.results).toEqual([]);
    expect(others.body.facets.kind['法律法规']).toBeGreaterThan(0);
  });

  it('search.csv holds every passage the search counts, in rank order, with its score, place and text', async () => {
    const page = await get(`/api/search?q=${q('述法')}&k=20&province=${q('山东')}`);
    const csv = await get(`/api/search.csv?q=${q('述法')}&k=20&province=${q('山东')}`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(csv.body.slice(1), { relax_column_count: false }) as string[][];
    expect(header).toEqual(['排名', '相关度', '段落编号', '报告', '省', '市', '县区', '年份', '报告板块', '文件类型', '段落', '文件']);
    expect(rows).toHaveLength(page.body.total);
    expect(rows.slice(0, 20).map((r) => Number(r[2]))).toEqual(page.body.results.map((r: any) => r.id));
    expect(rows.every((r) => r[4] === '山东省')).toBe(true);
    const first = page.body.results[0];
    expect(rows[0]).toEqual(['1', first.score.toFixed(4), String(first.id), first.title, '山东省', first.jurisdiction.city ?? '', first.jurisdiction.county ?? '', String(first.year), first.section, first.kind, first.text, first.source]);
    const scores = rows.map((r) => Number(r[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect((await get(`/api/search.csv?q=${q('述法')}&offset=20`)).body.param).toBe('offset');
  });

  it('search.csv neutralises report text a spreadsheet would run as a formula or a terminal as an escape, and keeps commas, quotes and line breaks', () => {
    const passage = {
      id: 7, docId: 1, ordinal: 0, section: '成效' as const, headingPath: [], hash: '', boilerplate: 0, kind: '法治政府建设年度报告' as const,
      source: 'r.txt', title: '+1 报告', year: 2023, jurisdiction: { province: '山东省', city: null, county: null, code: null },
      text: '=HYPERLINK("http://evil.example","点击"),\n第二行\u001b[2J\u202e', score: 0.5,
    };
    const [, row] = parseCsv(searchCsv([passage]).slice(1)) as string[][];
    expect(row![3]).toBe("'+1 报告");
    // Terminal escapes and bidi overrides as their codes: `curl …search.csv` cannot clear a terminal.
    expect(row![10]).toBe(`'=HYPERLINK("http://evil.example","点击"),\n第二行\\x1B[2J\\u202E`);
    expect(row![5]).toBe('');
  });

  it('weak: says where even the best match is below the noise level (hybrid, lexical), never in dense mode', async () => {
    for (const mode of ['hybrid', 'lexical']) expect((await get(`/api/search?q=${q('述法')}&mode=${mode}`)).body.weak, mode).toBe(false);
    const junk = await get(`/api/search?q=${q('😀🎉🚀🌈')}`);
    expect(junk.body.results.length).toBeGreaterThan(0);
    expect(junk.body.results[0].score).toBeLessThan(0.1);
    expect(junk.body.weak).toBe(true);
    expect((await get(`/api/search?q=${q('😀🎉🚀🌈')}&mode=dense`)).body.weak).toBe(false);
  });

  it('an unknown kind is a 400 naming kind and listing the kinds', async () => {
    const { status, body } = await get(`/api/search?q=${q('述法')}&kind=${q('条例')}`);
    expect(status).toBe(400);
    expect(body.param).toBe('kind');
    for (const kind of ['法治政府建设年度报告', '政府报告', '法律法规', '其他', 'law']) expect(body.message).toContain(kind);
  });

  it('counts matches per document kind, over every match', async () => {
    const { body } = await get(`/api/search?q=${q('行政执法 述法')}&mode=lexical&k=20`);
    expect(Object.keys(body.facets.kind).sort()).toEqual(['政府报告', '法律法规', '法治政府建设年度报告'].sort());
    expect(Object.values(body.facets.kind).reduce((a: number, b: any) => a + b, 0)).toBe(body.total);
    for (const [kind, count] of Object.entries(body.facets.kind)) {
      expect((await get(`/api/search?q=${q('行政执法 述法')}&mode=lexical&k=20&kind=${q(kind)}`)).body.total, kind).toBe(count);
    }
  });
});

describe('disjunctive facets: each dimension counted with the other dimensions\' filters only', () => {
  const QUERY = '行政执法 述法';
  /** Lexical retrieval reads up to max(100, 10k) = 200 passages: below that every match is counted. */
  const DEPTH = 200;
  const search = async (params: Record<string, string | number>) => {
    const { status, body } = await get(`/api/search?${new URLSearchParams({ q: QUERY, k: '20', ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) })}`);
    expect(status).toBe(200);
    return body;
  };
  /** A click on a facet value: that dimension set to it, the ones it ignores dropped, the rest kept. */
  const IGNORES: Record<string, string[]> = { province: ['province', 'city', 'county'], city: ['city', 'county'], county: ['county'], year: ['year', 'from', 'to'], section: ['section'], kind: ['kind'] };
  const click = (params: Record<string, string | number>, facet: string, value: string) => {
    const next: Record<string, string | number> = { ...params };
    for (const key of IGNORES[facet]!) delete next[key];
    return { ...next, [facet]: value };
  };

  it.each([
    [{ province: '河南省' }],
    [{ province: '山东省', kind: '法治政府建设年度报告' }],
    [{ province: '山东省', city: '枣庄市', year: 2023 }],
    [{ kind: '法律法规', section: '其他' }],
    [{ from: 2022, to: 2023, section: '成效', kind: 'rule-of-law-report' }],
  ])('lexical, %o: every listed value counts exactly the matches a click on it retrieves', async (filter) => {
    const params = { mode: 'lexical', ...filter };
    const page = await search(params);
    const unfiltered = await search({ mode: 'lexical' });
    expect(unfiltered.total).toBeLessThan(DEPTH);
    for (const facet of ['province', 'city', 'county', 'year', 'section', 'kind']) {
      for (const [value, count] of Object.entries(page.facets[facet] as Record<string, number>)) {
        const clicked = await search(click(params, facet, value));
        expect(clicked.total, `${facet}=${value}`).toBe(count);
      }
    }
    // A filtered dimension lists what its own filter would leave out too: the values one could switch to.
    for (const facet of Object.keys(IGNORES)) {
      const own = IGNORES[facet]!.filter((key) => key in params);
      if (own.length === 0) continue;
      const without = Object.fromEntries(Object.entries(params).filter(([key]) => !IGNORES[facet]!.includes(key)));
      expect(page.facets[facet], facet).toEqual((await search(without)).facets[facet]);
    }
    // The chosen values are listed with the page's own total, beside the values one could switch to.
    if ('province' in filter && !('city' in filter)) expect(page.facets.province[filter.province]).toBe(page.total);
    if ('kind' in filter && filter.kind === '法律法规') expect(page.facets.kind['法律法规']).toBe(page.total);
  });

  it('hybrid: a dimension\'s counts equal those of the same query without that dimension\'s filter', async () => {
    const both = await search({ province: '河南省', kind: '法治政府建设年度报告' });
    const noProvince = await search({ kind: '法治政府建设年度报告' });
    const noKind = await search({ province: '河南省' });
    const neither = await search({});
    expect(both.results.every((r: any) => r.jurisdiction.province === '河南省' && r.kind === '法治政府建设年度报告')).toBe(true);
    expect(both.facets.province).toEqual(noProvince.facets.province);
    expect(both.facets.kind).toEqual(noKind.facets.kind);
    expect(noKind.facets.province).toEqual(neither.facets.province);
    expect(Object.keys(both.facets.province).length).toBeGreaterThan(1);
    expect(Object.keys(both.facets.kind).length).toBeGreaterThan(1);
    // Dimensions without a filter of their own count over the page's own matches.
    const sum = (facet: Record<string, number>) => Object.values(facet).reduce((a, b) => a + b, 0);
    expect(sum(both.facets.year)).toBe(both.total);
    expect(sum(both.facets.section)).toBe(both.total);
  });

  it('region hierarchy: a chosen city keeps its province\'s other cities; the province facet ignores the city', async () => {
    const page = await search({ mode: 'lexical', province: '山东省', city: '枣庄市' });
    const province = await search({ mode: 'lexical', province: '山东省' });
    const none = await search({ mode: 'lexical' });
    expect(page.facets.city).toEqual(province.facets.city);
    expect(Object.keys(page.facets.city)).toEqual(expect.arrayContaining(['枣庄市', '威海市']));
    expect(page.facets.province).toEqual(none.facets.province);
  });

  it.each([
    ['', 'q'],
    ['q=', 'q'],
    ['q=x&k=0', 'k'],
    ['q=x&k=101', 'k'],
    ['q=x&k=abc', 'k'],
    ['q=x&mode=fuzzy', 'mode'],
    ['q=x&by=city', 'by'],
    ['q=x&year=1800', 'year'],
    ['q=x&section=xx', 'section'],
    ['q=x&kind=novel', 'kind'],
    ['q=x&province=xx', 'province'],
    ['q=x&from=2023&to=2022', 'from'],
    ['q=x&year=2022&from=2021', 'year'],
    ['q=x&provnce=山东', 'provnce'],
    [`q=${'法'.repeat(501)}`, 'q'],
  ])('?%s → 400 naming %s', async (query, param) => {
    const { status, body } = await get(`/api/search?${query.replace(/[^\x00-\x7f]+/g, (m) => encodeURIComponent(m))}`);
    expect(status).toBe(400);
    expect(body.param).toBe(param);
    expect(body.message).toContain(param);
  });
});

describe('GET /api/reports: the report catalogue', () => {
  const stored = () => fx.reader.current().store.documents();

  it('lists every stored document, newest year first, with facets counting documents', async () => {
    const { status, body } = await get('/api/reports');
    expect(status).toBe(200);
    const docs = stored();
    expect(body.total).toBe(docs.length);
    expect(body.reports.map((r: any) => r.id).sort()).toEqual(docs.map((d) => d.id).sort());
    const years = body.reports.map((r: any) => r.year ?? -1);
    expect(years).toEqual([...years].sort((a: number, b: number) => b - a));
    const first = body.reports[0];
    const doc = docs.find((d) => d.id === first.id)!;
    expect(first).toEqual({ id: doc.id, source: doc.source, title: doc.title, kind: doc.kind, jurisdiction: doc.jurisdiction, year: doc.year, passages: doc.passageCount, aliases: doc.aliases });
    const sum = (facet: Record<string, number>) => Object.values(facet).reduce((a, b) => a + b, 0);
    expect(sum(body.facets.kind)).toBe(docs.length);
    expect(body.facets.kind['法律法规']).toBe(docs.filter((d) => d.kind === '法律法规').length);
  });

  it('filters as search does (short region names, year range, kind alias); each facet keeps its other values', async () => {
    const henan = await get(`/api/reports?province=${q('河南')}`);
    expect(henan.body.filter).toEqual({ province: '河南省' });
    expect(henan.body.reports.length).toBeGreaterThan(0);
    expect(henan.body.reports.every((r: any) => r.jurisdiction.province === '河南省')).toBe(true);
    expect(henan.body.total).toBe(stored().filter((d) => d.jurisdiction.province === '河南省').length);
    expect(Object.keys(henan.body.facets.province)).toEqual(expect.arrayContaining(['河南省', '山东省']));
    expect(Object.keys(henan.body.facets.city).every((city) => stored().some((d) => d.jurisdiction.city === city && d.jurisdiction.province === '河南省'))).toBe(true);
    const laws = await get('/api/reports?kind=law');
    expect(laws.body.reports.length).toBeGreaterThan(0);
    expect(laws.body.reports.every((r: any) => r.kind === '法律法规')).toBe(true);
    expect(Object.keys(laws.body.facets.kind).length).toBeGreaterThan(1);
    const range = await get('/api/reports?from=2023&to=2023');
    expect(range.body.reports.every((r: any) => r.year === 2023)).toBe(true);
  });

  it('pages with k and offset; refuses section and bad values, naming them', async () => {
    const all = await get('/api/reports?k=6');
    const later = await get('/api/reports?k=3&offset=3');
    expect(later.body.reports.map((r: any) => r.id)).toEqual(all.body.reports.slice(3).map((r: any) => r.id));
    expect(later.body.total).toBe(all.body.total);
    for (const [query, param] of [['section=成效', 'section'], ['k=0', 'k'], ['offset=-1', 'offset'], ['province=火星', 'province'], ['year=1800', 'year']]) {
      const r = await get(`/api/reports?${query!.replace(/[^\x00-\x7f]+/g, (m) => encodeURIComponent(m))}`);
      expect(r.status, query).toBe(400);
      expect(r.body.param, query).toBe(param);
    }
  });
});

describe('similar, reports, passages', () => {
  it('GET /api/similar/:id?other_regions=1 leaves out the source region and its report', async () => {
    const source = (await get(`/api/search?q=${q('述法')}&city=${q('枣庄')}&k=1`)).body.results[0];
    expect(source.jurisdiction.county).toBe('峄城区');
    const { status, body } = await get(`/api/similar/${source.id}?other_regions=1&k=10`);
    expect(status).toBe(200);
    expect(body.results.length).toBe(10);
    expect(body.results.some((r: any) => r.jurisdiction.county === '峄城区' || r.docId === source.docId)).toBe(false);
    expect((await get('/api/similar/999999')).status).toBe(404);
    expect((await get('/api/similar/abc')).body.param).toBe('id');
  });

  it('POST /api/similar {text, region} validates and leaves out the given region', async () => {
    const post = (payload: unknown) => fx.app.inject({ method: 'POST', url: '/api/similar', payload: payload as object });
    const res = await post({ text: '党政主要负责人年终述法', region: { province: '山东' }, k: 5 });
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r: any) => r.jurisdiction.province !== '山东省')).toBe(true);
    for (const text of ['', '   ']) {
      const bad = await post({ text });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ param: 'text', message: 'text: must not be empty or only spaces' });
    }
    // A property of the region object is named with its path.
    const town = await post({ text: '党政主要负责人年终述法', region: { town: '某镇' } });
    expect(town.statusCode).toBe(400);
    expect(town.json().param).toBe('region.town');
  });

  it('POST /api/similar region: a county or city alone, by its short or full name, leaves out that place, as similar --other-regions does', async () => {
    const post = (payload: unknown) => fx.app.inject({ method: 'POST', url: '/api/similar', payload: payload as object });
    const text = '组织党政主要负责人述法';
    // Without a region, 峄城区's own 述法 passage is the nearest: each region below has to take it out.
    expect((await post({ text, k: 5 })).json().results[0].jurisdiction.county).toBe('峄城区');
    for (const region of [{ county: '峄城' }, { county: '峄城区' }, { city: '枣庄' }, { province: '山东', county: '峄城' }, { city: '枣庄市', county: '峄城' }]) {
      const res = await post({ text, k: 5, region });
      expect(res.statusCode, JSON.stringify(region)).toBe(200);
      const results = res.json().results;
      expect(results).toHaveLength(5);
      expect(results.some((r: any) => r.jurisdiction.county === '峄城区'), JSON.stringify(region)).toBe(false);
      if (region.city) expect(results.some((r: any) => r.jurisdiction.city === '枣庄市')).toBe(false);
    }
  });

  it('POST /api/similar region: an unknown, ambiguous or misplaced region is a 400 naming region.<level>', async () => {
    const post = (payload: unknown) => fx.app.inject({ method: 'POST', url: '/api/similar', payload: payload as object });
    const text = '组织党政主要负责人述法';
    const cases: [object, string, RegExp][] = [
      [{ county: '不存在县' }, 'region.county', /unknown county "不存在县"/],
      [{ city: '不存在市' }, 'region.city', /unknown city/],
      [{ county: '朝阳' }, 'region.county', /names \d+ regions/],
      [{ city: '枣庄', county: '环翠' }, 'region.county', /no county "环翠" in 枣庄市/],
      [{ province: '火星', county: '峄城' }, 'region.province', /unknown province/],
      [{}, 'region', /home region/],
    ];
    for (const [region, param, message] of cases) {
      const res = await post({ text, region });
      expect(res.statusCode, JSON.stringify(region)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'Bad Request', param });
      expect(res.json().message).toMatch(message);
      expect(res.json().message.startsWith(`${param}: `)).toBe(true);
    }
  });

  it('GET /api/reports/:id and /api/passages/:id refuse unknown parameters, naming them', async () => {
    for (const url of ['/api/reports/1?foo=1', '/api/passages/1?passage=2', '/api/status?verbose=1']) {
      const { status, body } = await get(url);
      expect(status, url).toBe(400);
      expect(body).toMatchObject({ error: 'Bad Request', param: url.split('?')[1]!.split('=')[0] });
      expect(body.message).toMatch(/unknown parameter/);
    }
    expect((await get('/api/reports/1')).status).toBe(200);
    expect((await get('/api/passages/1')).status).toBe(200);
  });

  it('GET /api/reports/:id has metadata, a heading tree and every passage; /api/passages/:id has neighbours', async () => {
    const hit = (await get(`/api/search?q=${q('述法')}&city=${q('枣庄')}&k=1`)).body.results[0];
    const { body: report } = await get(`/api/reports/${hit.docId}`);
    expect(report.title).toBe(hit.title);
    expect(report.passages).toHaveLength(report.passageCount);
    expect(report.passages.map((p: any) => p.id)).toContain(hit.id);
    expect(report.headings.length).toBeGreaterThan(1);
    expect(report.headings[0].children.length).toBeGreaterThan(0);
    const { body: passage } = await get(`/api/passages/${hit.id}`);
    expect(passage.text).toBe(hit.text);
    const at = report.passages.findIndex((p: any) => p.id === hit.id);
    expect(passage.before.map((p: any) => p.id)).toEqual(report.passages.slice(Math.max(0, at - 2), at).map((p: any) => p.id));
    expect(passage.after.map((p: any) => p.id)).toEqual(report.passages.slice(at + 1, at + 3).map((p: any) => p.id));
    expect((await get('/api/reports/424242')).status).toBe(404);
  });
});

describe('adoption', () => {
  it('counts reports and passages mentioning a measure per jurisdiction and year, with first years and a CSV', async () => {
    const { body } = await get(`/api/adoption?q=${q('述法')}`);
    expect(body.totals.passages).toBeGreaterThan(0);
    expect(body.truncated).toBe(false);
    const yicheng = body.places.find((p: any) => p.place === '山东省/枣庄市/峄城区');
    expect(yicheng).toMatchObject({ firstYear: 2023, reports: 1 });
    expect(body.cells.reduce((n: number, c: any) => n + c.passages, 0)).toBe(body.totals.passages);
    const cell = await get(`/api/adoption/passages?q=${q('述法')}&place=${q(yicheng.place)}&year=2023`);
    expect(cell.body.results).toHaveLength(yicheng.passages);
    expect(cell.body.results.every((r: any) => r.text.includes('述法'))).toBe(true);
    // A place no report is from is a 400 naming it; a stored place the measure is not mentioned in is an empty cell.
    const nowhere = await get(`/api/adoption/passages?q=${q('述法')}&place=${q('山东省/某市')}`);
    expect(nowhere.status).toBe(400);
    expect(nowhere.body).toMatchObject({ param: 'place', message: expect.stringContaining('no stored report is from 山东省/某市') });
    expect((await get(`/api/adoption/passages?q=${q('述法')}&place=${q(yicheng.place)}&year=1999`)).body.results).toEqual([]);
    const csv = await get(`/api/adoption.csv?q=${q('述法')}`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('地区,省,市,县区,年份,报告数,段落数,首次提及年份');
    expect(lines).toContain(`山东省/枣庄市/峄城区,山东省,枣庄市,峄城区,2023,1,${yicheng.passages},2023`);
    expect(lines).toHaveLength(body.cells.length + 1);
  });

  it('lists every year from the first mention to the last, those without one too', () => {
    const ctx = fx.reader.current();
    // The fixture's reports are of 2022 and 2023: two of its mentions moved to 2016 and 2019 leave years between them unmentioned.
    const moved = mentioningPassages(ctx, '述法').passages.slice(0, 2).map((p, i) => ({ ...p, year: i === 0 ? 2016 : 2019 }));
    const store = { lexicalSearch: (terms: string[], n: number) => ctx.store.lexicalSearch(terms, n), getPassages: () => moved } as unknown as Store;
    const table = adoption({ ...ctx, store }, '述法');
    expect(table.years).toEqual([2016, 2017, 2018, 2019]);
    expect(table.cells.map((c) => c.year).sort()).toEqual([2016, 2019]);
  });

  it('an unmentioned measure gives an empty table, not an error', async () => {
    const { status, body } = await get(`/api/adoption?q=${q('量子纠缠执法')}`);
    expect(status).toBe(200);
    expect(body.places).toEqual([]);
  });
});

describe('status, OpenAPI, security headers, limits', () => {
  it('status and the OpenAPI document', async () => {
    const { body } = await get('/api/status');
    expect(body).toMatchObject({ documents: 8, documentsNeedingReparse: 0, writes: false });
    expect(body.loadedIndexGeneration).toBe(body.generation);
    const { body: doc } = await get('/api/openapi.json');
    expect(doc.openapi).toMatch(/^3\./);
    const params = doc.paths['/api/search'].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(['q', 'mode', 'k', 'offset', 'province', 'city', 'county', 'year', 'from', 'to', 'section', 'kind', 'by']));
    expect(doc.paths['/api/reports'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['k', 'offset', 'province', 'year', 'kind']));
    expect(doc.paths['/api/search.csv'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['q', 'mode', 'k', 'kind']));
    const kind = doc.paths['/api/search'].get.parameters.find((p: any) => p.name === 'kind');
    expect(kind.schema.enum).toEqual(expect.arrayContaining(['法治政府建设年度报告', '政府报告', '法律法规', '其他']));
    expect(doc.paths['/api/search'].get.description).toMatch(/kind/);
    expect(doc.paths['/api/similar/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
  });

  it('serves the web app with a strict CSP and refuses bodies over the limit', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const big = await fx.app.inject({ method: 'POST', url: '/api/similar', payload: { text: '法'.repeat(100_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'Payload Too Large' });
    expect((await fx.app.inject({ method: 'POST', url: '/api/reports?filename=a.txt', payload: 'x' })).statusCode).toBe(404);
  });

  it('rate-limits a client that floods it', async () => {
    const limited = await import('../server/app.ts').then(({ buildServer }) => buildServer({ reader: fx.reader, rateLimitPerMinute: 3 }));
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await limited.inject({ method: 'GET', url: '/api/status' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Named by its status, as the 400 and 404 bodies are.
    const refused = (await limited.inject({ method: 'GET', url: '/api/status' })).json();
    expect(refused).toEqual({ error: 'Too Many Requests', message: expect.stringMatching(/rate limit/i) });
    await limited.close();
  });
});

describe('reload without restart, never writing the store', () => {
  it('picks up a report another process commits; the server itself writes nothing', async () => {
    const files = ['fazhi.sqlite', 'hnsw.bin'].map((f) => path.join(fx.dataDir, f));
    const before = files.map((f) => statSync(f).mtimeMs);
    for (const url of [`/api/search?q=${q('述法')}`, '/api/status', `/api/adoption?q=${q('述法')}`]) await get(url);
    expect(files.map((f) => statSync(f).mtimeMs)).toEqual(before);

    const term = '智慧普法驿站';
    expect((await get(`/api/search?q=${q(term)}&mode=lexical`)).body.results.some((r: any) => r.text.includes(term))).toBe(false);
    const seed = readFileSync(path.join(fx.filesDir, '004_e41503e62c4741d1.txt'), 'utf8');
    const added = path.join(fx.filesDir, 'new-report.txt');
    writeFileSync(added, seed.replace('2023', '2024') + `\n四、新做法\n建成${term}三十个，群众就近学法用法。\n`);
    const generationBefore = (await get('/api/status')).body.generation;
    await fx.ingest([added]);
    const { body } = await get(`/api/search?q=${q(term)}`);
    expect(body.results[0].text).toContain(term);
    const status = (await get('/api/status')).body;
    expect(status.generation).toBeGreaterThan(generationBefore);
    expect(status.loadedIndexGeneration).toBe(status.generation);
    expect(status.documents).toBe(9);
  });

  it('answers 503 while a report embedded with another model is stored, and again once it is gone', async () => {
    const removeIt = fx.storeOtherModelReport();
    const stale = await get(`/api/search?q=${q('述法')}`);
    expect(stale.status).toBe(503);
    expect(stale.body).toMatchObject({ error: 'Service Unavailable' });
    expect(stale.body.message).toContain('restart `fazhi serve`');
    expect(stale.body.message).toContain('fazhi reindex');
    expect(stale.body.message).not.toContain('--model');
    expect(stale.body.param).toBeUndefined();
    // Status still answers, saying why.
    const status = await get('/api/status');
    expect(status.status).toBe(200);
    expect(status.body.documentsNeedingReindex).toBe(1);
    removeIt();
    expect((await get(`/api/search?q=${q('述法')}`)).status).toBe(200);
    expect((await get('/api/status')).body.documentsNeedingReindex).toBe(0);
  });
});
