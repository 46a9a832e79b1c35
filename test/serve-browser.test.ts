// The web app in a real browser (Debian chromium via playwright-core) against `fazhi serve` on
// a real store: search, filter (kind, disjunctive counts), pages, the report catalogue, report reader, similar, adoption + CSV,
// the hostile fixture.
// Saves a screenshot of each view to $FAZHI_SCREENSHOTS (docs/ holds the committed ones).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { startServeFixture, type ServeFixture } from './helpers/serveFixture.ts';

const available = chromiumAvailable();
const SHOTS = process.env.FAZHI_SCREENSHOTS;

let fx: ServeFixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every request the page made to another origin, console errors, uncaught errors, CSP reports. */
let foreign: string[];
let problems: string[];

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

describe.skipIf(!available)('web app in chromium', () => {
  beforeAll(async () => {
    fx = await startServeFixture({ otherKinds: true });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: 'zh-CN' });
    page = await context.newPage();
    foreign = [];
    problems = [];
    const origin = new URL(fx.url).origin;
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
  });

  const clean = () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  };

  it('/?q=述法 renders results without a click', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
    await page.locator('.result').first().waitFor();
    expect(await page.inputValue('#q')).toBe('述法');
    expect(await page.locator('.result').count()).toBeGreaterThan(3);
    expect(await page.locator('.result mark').first().textContent()).toBe('述法');
    expect(await page.locator('.facet[data-facet="province"] li').count()).toBeGreaterThan(1);
    await shot('search');
    // A query's single characters (不, 全) are not marked wherever they stand, its words are.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('合法性审查全覆盖不')}&mode=lexical`);
    await page.locator('.result').first().waitFor();
    const marks = await page.locator('.result mark').allTextContents();
    expect(marks).toContain('合法性审查');
    expect(marks.filter((m) => [...m].length === 1)).toEqual([]);
    clean();
  });

  it("a question in users' words: the page says which reports' words it also searched for, marks them, and can search only the question's own", async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('穷人请不起律师怎么办')}&mode=lexical`);
    await page.locator('.result').first().waitFor();
    const note = page.locator('.expansion');
    expect(await note.textContent()).toContain('同时检索了报告用语：法律援助、困难群众');
    expect(await page.locator('.result mark', { hasText: '法律援助' }).count()).toBeGreaterThan(0);
    // Lexical mode counts passages holding a query word.
    expect(await page.locator('.summary').textContent()).toMatch(/^“穷人请不起律师怎么办”：含查询词语的 \d+ 个段落/);
    await shot('expansion');
    await note.locator('a').click();
    await page.waitForURL(/expand=false/);
    await page.locator('.expansion', { hasText: '只检索了查询原有的词语' }).waitFor();
    expect(await page.locator('.result mark', { hasText: '法律援助' }).count()).toBe(0);
    expect(await page.locator('.csv-link').getAttribute('href')).toContain('expand=false');
    await page.locator('.expansion a').click();
    await page.waitForURL((url) => !url.search.includes('expand='));
    await page.locator('.expansion', { hasText: '同时检索了报告用语' }).waitFor();
    clean();
  });

  it('type a query, filter by province, group by report; the URL reproduces the page', async () => {
    await page.goto(fx.url);
    await page.fill('#q', '行政执法');
    await page.press('#q', 'Enter');
    await page.locator('.result').first().waitFor();
    await page.locator('.facet[data-facet="province"] a[data-value="河南省"]').click();
    await page.waitForURL(/province=/);
    await page.locator('.facet[data-facet="province"] .chip').waitFor();
    const places = await page.locator('.result .place').allTextContents();
    expect(places.length).toBeGreaterThan(0);
    expect(places.every((p) => p.startsWith('河南省'))).toBe(true);
    await page.check('#by-report');
    await page.waitForURL(/by=report/);
    await page.locator('.report-group').first().waitFor();
    // The summary's links do not break across lines, wherever the line ends (widths about the 1280 px of this test).
    for (let width = 1000; width <= 1400; width += 10) {
      await page.setViewportSize({ width, height: 860 });
      for (const link of ['.adoption-link', '.csv-link']) expect(await page.locator(`.summary ${link}`).evaluate((a) => a.getClientRects().length), `${link} at ${width} px`).toBe(1);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    const shared = page.url();
    const again = await context.newPage();
    await again.goto(shared);
    await again.locator('.report-group').first().waitFor();
    expect(await again.locator('.report-group h3').allTextContents()).toEqual(await page.locator('.report-group h3').allTextContents());
    await again.close();
    clean();
  });

  it('filter by document kind, then switch province: every facet keeps its other values and counts; the URL reproduces it', async () => {
    const query = '行政执法 述法';
    /** value → count as the sidebar shows it. */
    const sidebar = async (p: Page, facet: string) => {
      const items = p.locator(`.facet[data-facet="${facet}"] li a`);
      const out: Record<string, number> = {};
      // A count the API marks a lower bound (facetsAtLeast) reads 90+.
      for (let i = 0; i < (await items.count()); i++) out[(await items.nth(i).getAttribute('data-value'))!] = Number((await items.nth(i).locator('.count').textContent())!.replace(/\+$/, ''));
      return out;
    };
    const apiFacets = async (url: string) => {
      const params = new URL(url).searchParams;
      params.set('k', '20');
      return (await fx.app.inject({ method: 'GET', url: `/api/search?${params}` })).json().facets;
    };
    await page.goto(`${fx.url}/?q=${encodeURIComponent(query)}`);
    await page.locator('.result').first().waitFor();
    const kinds = await sidebar(page, 'kind');
    expect(Object.keys(kinds).sort()).toEqual(['政府报告', '法律法规', '法治政府建设年度报告'].sort());
    expect(kinds).toEqual((await apiFacets(page.url())).kind);
    // This store is smaller than retrieval's depth, so every count is exact and shown as a plain number.
    expect((await page.locator('.facet .count').allTextContents()).every((c) => /^\d+$/.test(c))).toBe(true);
    // Where the API says retrieval read as deep as it may (a larger store), those counts and the total read 90+.
    await page.route('**/api/search?*', async (route) => {
      const body = (await route.fetch()).json();
      await route.fulfill({ json: { ...(await body), totalAtLeast: true, facetsAtLeast: ['kind'] } });
    });
    await page.reload();
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.facet[data-facet="kind"] li .count').allTextContents()).toEqual(expect.arrayContaining([`${kinds['法律法规']}+`]));
    expect((await page.locator('.facet[data-facet="province"] li .count').allTextContents()).every((c) => /^\d+$/.test(c))).toBe(true);
    expect(await page.locator('.summary').textContent()).toMatch(/\d+\+ 个段落/);
    await page.unroute('**/api/search?*');
    await page.reload();
    await page.locator('.result').first().waitFor();

    await page.locator('.facet[data-facet="kind"] a[data-value="法治政府建设年度报告"]').click();
    await page.waitForURL(/kind=/);
    await page.locator('.facet[data-facet="kind"] .chip').waitFor();
    expect(await page.locator('.result .kind').count()).toBe(0);
    // The other kinds stay listed with the counts they would give, the chosen one marked.
    expect(await sidebar(page, 'kind')).toEqual(kinds);
    expect(await page.locator('.facet[data-facet="kind"] li.selected a').getAttribute('data-value')).toBe('法治政府建设年度报告');

    await page.locator('.facet[data-facet="province"] a[data-value="河南省"]').click();
    await page.waitForURL(/province=/);
    await page.locator('.facet[data-facet="province"] .chip').waitFor();
    const provinces = await sidebar(page, 'province');
    expect(Object.keys(provinces)).toEqual(expect.arrayContaining(['河南省', '山东省']));
    expect(provinces).toEqual((await apiFacets(page.url())).province);
    expect(Object.keys(await sidebar(page, 'kind')).length).toBeGreaterThan(1);
    await shot('filters');

    // Switch to another province straight from the list.
    await page.locator('.facet[data-facet="province"] a[data-value="山东省"]').click();
    await page.waitForURL((u) => u.searchParams.get('province') === '山东省');
    await page.locator('.facet[data-facet="province"] li.selected a[data-value="山东省"]').waitFor();
    const places = await page.locator('.result .place').allTextContents();
    expect(places.length).toBeGreaterThan(0);
    expect(places.every((p) => p.startsWith('山东省'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('kind')).toBe('法治政府建设年度报告');
    expect(await sidebar(page, 'province')).toEqual(provinces);
    const cities = await sidebar(page, 'city');
    expect(Object.keys(cities).length).toBeGreaterThan(0);

    const again = await context.newPage();
    await again.goto(page.url());
    await again.locator('.result').first().waitFor();
    for (const facet of ['province', 'city', 'year', 'section', 'kind']) expect(await sidebar(again, facet), facet).toEqual(await sidebar(page, facet));
    await again.close();
    clean();
  });

  it('pages through the results: next and previous page, a filter starts again at page one; the CSV holds them all', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('行政执法')}`);
    await page.locator('.result').first().waitFor();
    const api = (await fx.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('行政执法')}&k=20` })).json();
    expect(api.total).toBeGreaterThan(20);
    expect(await page.locator('.summary').textContent()).toContain(`显示第 1–20 条`);
    // A ranking by meaning reads every candidate, the far ones too: counted as ranked, not as found.
    expect(await page.locator('.summary').textContent()).toMatch(new RegExp(`^“行政执法”：按相关度排列的 ${api.total}${api.totalAtLeast ? '\\+' : ''} 个段落`));
    expect(await page.locator('.pager a[rel="prev"]').count()).toBe(0);
    const firstPage = await page.locator('.result').allTextContents();
    // The CSV holds every passage counted, not just this page.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.summary .csv-link')]);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '')) as string[][];
    expect(csv).toHaveLength(api.total + 1);
    expect(csv.slice(1, 21).map((row) => Number(row[2]))).toEqual(api.results.map((r: { id: number }) => r.id));

    await page.locator('.pager a[rel="next"]').click();
    await page.waitForURL((u) => u.searchParams.get('offset') === '20');
    await page.locator('.pager a[rel="prev"]').waitFor();
    const secondPage = await page.locator('.result').allTextContents();
    expect(secondPage.length).toBe(Math.min(20, api.total - 20));
    expect(secondPage.some((text) => firstPage.includes(text))).toBe(false);
    expect(await page.locator('.summary').textContent()).toContain(`显示第 21–${20 + secondPage.length} 条`);
    const later = (await fx.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('行政执法')}&k=20&offset=20` })).json();
    expect(await page.locator('.result').count()).toBe(later.results.length);

    // A filter chosen on page two shows that filter's first page.
    await page.locator('.facet[data-facet="province"] a[data-value="山东省"]').click();
    await page.waitForURL(/province=/);
    expect(new URL(page.url()).searchParams.get('offset')).toBeNull();
    await page.locator('.facet[data-facet="province"] .chip').waitFor();
    expect(await page.locator('.pager a[rel="prev"]').count()).toBe(0);

    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('offset') === '20');
    await page.locator('.pager a[rel="prev"]').click();
    await page.waitForURL((u) => !u.searchParams.has('offset'));
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.result').allTextContents()).toEqual(firstPage);

    // Past the last page: said so, with the way back.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('行政执法')}&offset=${api.total}`);
    await page.locator('.state.empty').waitFor();
    expect(await page.locator('.state.empty').textContent()).toBe(`第 ${api.total} 条之后没有更多结果。`);
    expect(await page.locator('.pager a').textContent()).toBe('回到第一页');
    // An offset off the page grid: items 6–25 are page 2, after the partial page of items 1–5.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('行政执法')}&offset=5`);
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.summary').textContent()).toContain('显示第 6–25 条');
    expect(await page.locator('.pager span').textContent()).toBe(`第 2 页，共 ${1 + Math.ceil((api.total - 5) / 20)} 页`);
    clean();
  });

  it('the report catalogue: from the footer, filtered by province (other provinces still listed), a title opens the reader', async () => {
    await page.goto(fx.url);
    await page.locator('footer .catalogue-link').click();
    await page.waitForURL(/view=reports/);
    await page.locator('table.catalogue tbody tr').first().waitFor();
    const documents = fx.reader.current().store.documents();
    expect(await page.locator('table.catalogue tbody tr').count()).toBe(documents.length);
    expect(await page.locator('.summary').textContent()).toBe(`共 ${documents.length} 份报告`);

    await page.locator('.facet[data-facet="province"] a[data-value="河南省"]').click();
    await page.waitForURL(/province=/);
    await page.locator('.facet[data-facet="province"] .chip').waitFor();
    const places = await page.locator('table.catalogue td.place').allTextContents();
    expect(places.length).toBe(documents.filter((d) => d.jurisdiction.province === '河南省').length);
    expect(places.every((p) => p.startsWith('河南省'))).toBe(true);
    expect(await page.locator('.facet[data-facet="province"] a[data-value="山东省"]').count()).toBe(1);
    await shot('catalogue');

    const title = await page.locator('table.catalogue .report-link').first().textContent();
    await page.locator('table.catalogue .report-link').first().click();
    await page.waitForURL(/report=/);
    await page.locator('.passage').first().waitFor();
    expect(await page.locator('main h2, main h1').first().textContent()).toContain(title!);
    clean();
  });

  it('opens a report scrolled to the passage, then finds similar practice in other regions', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&city=${encodeURIComponent('枣庄')}`);
    const first = page.locator('.result').first();
    await first.waitFor();
    const passageId = await first.getAttribute('data-passage-id');
    await first.locator('.open-report').click();
    await page.waitForURL(/report=/);
    const target = page.locator(`.passage.target[data-passage-id="${passageId}"]`);
    await target.waitFor();
    expect(await target.isVisible()).toBe(true);
    const box = await target.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(860);
    expect(await page.locator('.toc li').count()).toBeGreaterThan(3);
    // The search's words are marked in the report as on the result page, not elsewhere than they stand.
    expect(new URL(page.url()).searchParams.get('hl')).toBe('述法');
    expect(await target.locator('.text mark').first().textContent()).toBe('述法');
    const marks = await page.locator('.passage .text mark').allTextContents();
    expect(marks.length).toBeGreaterThan(1);
    expect(marks.every((m) => m === '述法')).toBe(true);
    await shot('report');
    await target.locator('.similar-link').click();
    await page.waitForURL(/similar=/);
    await page.locator('.result').first().waitFor();
    const places = await page.locator('.result .place').allTextContents();
    expect(places.length).toBeGreaterThan(0);
    expect(places.some((p) => p.includes('峄城区'))).toBe(false);
    await shot('similar');
    // More similar practice, a page at a time.
    const firstPage = await page.locator('.result').allTextContents();
    expect(firstPage).toHaveLength(20);
    await page.locator('.pager a[rel="next"]').click();
    await page.waitForURL((u) => u.searchParams.get('offset') === '20');
    await page.locator('.pager a[rel="prev"]').waitFor();
    const secondPage = await page.locator('.result').allTextContents();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.some((text) => firstPage.includes(text))).toBe(false);
    expect((await page.locator('.result .place').allTextContents()).some((p) => p.includes('峄城区'))).toBe(false);
    clean();
  });

  it('adoption view: heatmap, timeline, first mentions, passages of a place, CSV download', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
    await page.locator('.result').first().waitFor();
    await page.click('#adoption-btn');
    await page.waitForURL(/view=adoption/);
    await page.locator('main[data-charts-ready="true"]').waitFor();
    expect(await page.locator('.heatmap canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('.timeline canvas').count()).toBeGreaterThan(0);
    const rows = await page.locator('.first-mentions tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('山东省/枣庄市/峄城区') && r.includes('2023'))).toBe(true);
    // Documents of no known place are one row, not counted as a region: neither in the summary nor as a first mention on the timeline.
    const known = rows.filter((r) => !r.includes('地区未知')).length;
    expect(rows).toHaveLength(known + 1);
    expect(await page.locator('.adoption-head p').textContent()).toMatch(new RegExp(`^${known} 个地区[及，]`));
    // The chart's own data (a string: the test runner would rewrite an import() written as code).
    const chartData = (selector: string, expression: string) => page.evaluate(`import('/vendor/echarts.js').then((echarts) => { const chart = echarts.getInstanceByDom(document.querySelector('${selector}')); return ${expression}; })`);
    const [firstMentions, cumulative] = (await chartData('.timeline', 'chart.getOption().series.map((s) => s.data)')) as number[][];
    expect(firstMentions!.reduce((a, b) => a + b, 0)).toBe(known);
    expect(cumulative!.at(-1)).toBe(known);

    // A place's passages are a page of their own: in the URL, kept on reload, left and found again by back and forward.
    await page.locator('.place-link', { hasText: '山东省/枣庄市/峄城区' }).click();
    await page.waitForURL((u) => u.searchParams.get('place') === '山东省/枣庄市/峄城区' && !u.searchParams.has('year'));
    await page.locator('.adoption-passages .result').first().waitFor();
    const passages = await page.locator('.adoption-passages .result .text').allTextContents();
    expect(passages.every((t) => t.includes('述法'))).toBe(true);
    await page.reload();
    await page.locator('.adoption-passages .result').first().waitFor();
    expect(await page.locator('.adoption-passages .result .text').allTextContents()).toEqual(passages);
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('view') === 'adoption' && !u.searchParams.has('place'));
    await page.locator('.adoption-passages .muted').waitFor();
    expect(await page.locator('.adoption-passages .result').count()).toBe(0);
    await page.goForward();
    await page.locator('.adoption-passages .result').first().waitFor();
    expect(await page.locator('.adoption-passages .result .text').allTextContents()).toEqual(passages);
    // A heatmap cell: the place in that year.
    await page.locator('.heatmap canvas').first().waitFor();
    await page.locator('.heatmap').scrollIntoViewIfNeeded();
    const [x, y] = (await chartData('.heatmap', "chart.convertToPixel({ seriesIndex: 0 }, [chart.getOption().xAxis[0].data.indexOf('2023'), chart.getOption().yAxis[0].data.indexOf('山东省/枣庄市/峄城区')])")) as number[];
    const heat = (await page.locator('.heatmap').boundingBox())!;
    await page.mouse.click(heat.x + x!, heat.y + y!);
    await page.waitForURL((u) => u.searchParams.get('place') === '山东省/枣庄市/峄城区' && u.searchParams.get('year') === '2023');
    await page.locator('.adoption-passages h3', { hasText: '山东省/枣庄市/峄城区 · 2023 年' }).waitFor();
    await page.reload();
    await page.locator('.adoption-passages h3', { hasText: '山东省/枣庄市/峄城区 · 2023 年' }).waitFor();
    expect(await page.locator('.adoption-passages .result').count()).toBe(passages.length);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('adoption');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.csv-link')]);
    const csv = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    expect(csv.split('\r\n')[0]).toBe('地区,省,市,县区,年份,报告数,段落数,首次提及年份');
    expect(csv).toContain('山东省/枣庄市/峄城区,山东省,枣庄市,峄城区,2023');
    clean();
  });

  it('loading, empty and error states', async () => {
    // A slow answer: the loading state shows until it arrives, then the results replace it.
    await page.route('**/api/search?*', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&kind=law`);
    await page.locator('.state.loading').waitFor();
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.state.loading').count()).toBe(0);
    // The alias in the URL marks the kind it stands for, not an entry of its own.
    expect(await page.locator('.facet[data-facet="kind"] li.selected a').getAttribute('data-value')).toBe('法律法规');
    expect(await page.locator('.facet[data-facet="kind"] a[data-value="law"]').count()).toBe(0);
    await page.unroute('**/api/search?*');
    expect(await page.locator('.notice').count()).toBe(0);
    // Nothing matches well: the nearest passages are listed under a notice that says so.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('😀🎉🚀🌈')}`);
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.notice').textContent()).toContain('没有与“😀🎉🚀🌈”明显相关的段落');
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&year=1950`);
    await page.locator('.state.empty').waitFor();
    const error = page.locator('.state.error');
    // The schema's errors are said in Chinese, not in the API's English; a length in characters as the server counts them (an emoji is one).
    for (const [query, said] of [
      [`q=${encodeURIComponent(`${'法'.repeat(500)}😀`)}`, '查询最多 500 个字符，当前 501 个。'],
      [`q=${encodeURIComponent('述法')}&offset=20000`, '起始位置不能大于 10000。'],
      [`q=${encodeURIComponent('述法')}&mode=fast`, '检索方式只能是：hybrid、dense、lexical。'],
      [`q=${encodeURIComponent('述法')}&year=abc`, '年份须为整数。'],
      [`q=${encodeURIComponent('述法')}&view=adoption&place=${encodeURIComponent('山东省/某市')}`, '地区“山东省/某市”没有已入库的报告。'],
      [`q=${encodeURIComponent('述法')}&province=${encodeURIComponent('火星')}`, '没有名为“火星”的省份。'],
      [`q=${encodeURIComponent('述法')}&expand=maybe`, '同时检索报告用语只能是 true 或 false。'],
      ['report=abc', '编号须为整数。'],
    ]) {
      await page.goto(`${fx.url}/?${query}`);
      await error.waitFor();
      expect(await error.textContent()).toContain(said);
      expect(await error.textContent()).not.toMatch(/must|unknown|参数/);
    }
    // A report or passage that does not exist is said in Chinese, not with the API's English message.
    for (const [query, said] of [['report=99999', '没有编号为 99999 的报告'], ['similar=99999', '没有编号为 99999 的段落']]) {
      await page.goto(`${fx.url}/?${query}`);
      await error.waitFor();
      expect(await error.textContent()).toContain(said);
      expect(await error.textContent()).not.toMatch(/no (report|passage) with id/);
    }
    // A store the server's model cannot search (a model switch under it): said in Chinese, what to do included.
    const removeStale = fx.storeOtherModelReport();
    try {
      await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
      await error.waitFor();
      expect(await error.textContent()).toContain('需要重启检索服务');
      expect(await error.textContent()).not.toContain('--model');
    } finally {
      removeStale();
    }
    // The 400, 404 and 503s behind the error states are the console errors expected here.
    problems = problems.filter((p) => !p.includes('400') && !p.includes('404') && !p.includes('503'));
    clean();
  });

  /** A report of the fixture with a heading tree long enough to scroll: the one of the first 述法 passage from 枣庄. */
  const longReport = async () => (await fx.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('述法')}&city=${encodeURIComponent('枣庄')}&k=1` })).json().results[0].docId as number;

  /** After a TOC jump: the passage jumped to, where it stands against the header, and what has focus. */
  const tocJump = async (docId: number) => {
    await page.goto(`${fx.url}/?report=${docId}`);
    const link = page.locator('.toc a').nth(2);
    await link.click();
    const id = (await link.getAttribute('href'))!.slice(1);
    return page.evaluate((id) => ({
      passageTop: document.getElementById(id)!.getBoundingClientRect().top,
      headerBottom: document.querySelector('.top')!.getBoundingClientRect().bottom,
      focused: document.activeElement?.id,
      id,
    }), id);
  };

  it('on a 390 px phone: no horizontal scroll, a short header that does not stay, results above the filters; a TOC jump shows its passage below the header', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
    await page.locator('.result').first().waitFor();
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      adoptionRight: document.getElementById('adoption-btn')!.getBoundingClientRect().right,
      searchButton: document.getElementById('search-btn')!.getBoundingClientRect().height,
      input: document.getElementById('q')!.getBoundingClientRect().height,
      header: document.querySelector('.top')!.getBoundingClientRect().height,
      position: getComputedStyle(document.querySelector('.top')!).position,
      results: document.querySelector('.results')!.getBoundingClientRect().top,
      filters: document.querySelector('.filters')!.getBoundingClientRect().top,
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
    expect(layout.adoptionRight).toBeLessThanOrEqual(layout.clientWidth);
    // 检索 on one line, as tall as the input beside it, not a column of characters.
    expect(layout.searchButton).toBeLessThanOrEqual(layout.input + 2);
    expect(layout.position).not.toBe('sticky');
    expect(layout.header).toBeLessThan(150);
    expect(layout.results).toBeLessThan(layout.filters);
    await shot('mobile-search');
    const jump = await tocJump(await longReport());
    expect(jump.passageTop).toBeGreaterThanOrEqual(Math.max(0, jump.headerBottom));
    expect(jump.focused).toBe(jump.id);
    clean();
  });

  it('a TOC jump on a wide screen shows the passage below the sticky header and moves focus to it', async () => {
    const jump = await tocJump(await longReport());
    expect(jump.passageTop).toBeGreaterThanOrEqual(jump.headerBottom);
    expect(jump.focused).toBe(jump.id);
    // The heading path is an item of the passage's meta row, on its line.
    const offsets = await page.locator('.passage .meta').first().evaluate((meta) => [...meta.children].map((c) => c.getBoundingClientRect().top));
    expect(new Set(offsets).size).toBe(1);
    clean();
  });

  it('year range: the arrow keys step through a list without leaving the page, a range that would end before it starts is not offered, a button applies it', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
    await page.locator('.result').first().waitFor();
    const from = page.locator('.year-range select.from');
    const to = page.locator('.year-range select.to');
    const url = page.url();
    await from.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await from.inputValue()).toBe('2023');
    await page.waitForTimeout(300);
    expect(page.url()).toBe(url);
    expect(await to.locator('option[value="2022"]').isDisabled()).toBe(true);
    expect(await to.locator('option[value="2023"]').isDisabled()).toBe(false);
    await page.locator('.year-range button.apply').click();
    await page.waitForURL((u) => u.searchParams.get('from') === '2023');
    await page.locator('.facet[data-facet="year"] li.selected').first().waitFor();
    expect(await page.locator('.state.error').count()).toBe(0);
    expect(await from.locator('option[value="2023"]').isDisabled()).toBe(false);
    // A range given in the URL the other way round: said in Chinese, with the way to the search without it.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&from=2023&to=2022`);
    const error = page.locator('.state.error');
    await error.waitFor();
    expect(await error.textContent()).toContain('起始年份 2023 晚于截止年份 2022。');
    expect(await error.textContent()).not.toMatch(/after|参数/);
    await page.locator('a.drop-filter').click();
    await page.waitForURL((u) => !u.searchParams.has('from') && u.searchParams.get('to') === '2022');
    await page.locator('.result').first().waitFor();
    problems = problems.filter((p) => !p.includes('400'));
    clean();
  });

  it('Back returns to where the page was read; a link followed moves focus to the new page, not to <body>', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('行政执法')}`);
    await page.locator('.result').first().waitFor();
    const link = page.locator('.result .open-report').nth(12);
    await link.scrollIntoViewIfNeeded();
    const before = await page.evaluate(() => window.scrollY);
    expect(before).toBeGreaterThan(500);
    await link.click();
    await page.waitForURL(/report=/);
    await page.locator('.passage.target').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.goBack();
    await page.waitForURL((u) => !u.searchParams.has('report'));
    await page.locator('.result').first().waitFor();
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(before);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('summary');
    clean();
  });

  it('no connection, a busy server, a chart library that does not load: said in Chinese, with 重试', async () => {
    const error = page.locator('.state.error');
    await page.route('**/api/search?*', (route) => route.abort('failed'));
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
    await error.waitFor();
    expect(await error.textContent()).toContain('无法连接服务器');
    for (const [status, body] of [
      [502, 'Bad Gateway'],
      [429, JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 minute' })],
    ] as const) {
      await page.unroute('**/api/search?*');
      await page.route('**/api/search?*', (route) => route.fulfill({ status, body, contentType: status === 429 ? 'application/json' : 'text/html' }));
      await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}`);
      await error.waitFor();
      expect(await error.textContent()).toContain('服务器繁忙');
      expect(await error.textContent()).toContain('请稍后重试');
      expect(await error.textContent()).not.toMatch(/Rate limit|Bad Gateway/);
    }
    // Once the server answers again, 重试 shows the page.
    await page.unroute('**/api/search?*');
    await error.locator('button', { hasText: '重试' }).click();
    await page.locator('.result').first().waitFor();
    await page.route('**/vendor/echarts.js', (route) => route.abort('failed'));
    await page.goto(`${fx.url}/?view=adoption&q=${encodeURIComponent('述法')}`);
    await page.locator('.heatmap .state.error').waitFor();
    expect(await page.locator('.heatmap .state.error').textContent()).toContain('无法连接服务器');
    expect(await page.locator('.heatmap .state.error').textContent()).not.toMatch(/fetch|import/i);
    // The failed requests behind these states are the console errors expected here.
    problems = problems.filter((p) => !/Failed to load resource|429|502|echarts/.test(p));
    clean();
  });

  it("a query's length counts characters as the API does: 300 characters outside the BMP are searched, 501 are refused in Chinese", async () => {
    await page.goto(fx.url);
    await page.fill('#q', '𠀀'.repeat(300));
    await page.press('#q', 'Enter');
    await page.waitForURL((u) => [...(u.searchParams.get('q') ?? '')].length === 300);
    await page.locator('.summary').waitFor();
    expect(await page.locator('.state.error').count()).toBe(0);
    await page.fill('#q', '法'.repeat(501));
    await page.press('#q', 'Enter');
    expect(await page.locator('#q').evaluate((input: HTMLInputElement) => input.validationMessage)).toBe('查询最多 500 个字符，当前 501 个。');
    expect([...(new URL(page.url()).searchParams.get('q') ?? '')].length).toBe(300);
    clean();
  });

  it('by report: each report says how many of its passages matched, not only the three shown', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&by=report`);
    await page.locator('.report-group').first().waitFor();
    const api = (await fx.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('述法')}&by=report&k=20` })).json();
    const said = await page.locator('.report-group .matched').allTextContents();
    expect(said).toEqual(api.results.map((r: { matched: number; passages: unknown[] }) => (r.matched > r.passages.length ? `${r.matched} 个段落，显示前 ${r.passages.length} 个` : `${r.matched} 个段落`)));
    expect(api.results.some((r: { matched: number }) => r.matched > 3)).toBe(true);
    clean();
  });

  it('the adoption view keeps the search it came from; a place\'s passages mark the words it counted; 地区未知 as elsewhere; axis name and legend clear of the years', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法')}&mode=lexical&province=${encodeURIComponent('山东省')}&year=2023`);
    await page.locator('.result').first().waitFor();
    const summary = await page.locator('.summary').textContent();
    await page.locator('.adoption-link').click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'adoption');
    await page.locator('main[data-charts-ready="true"]').waitFor();
    const rows = await page.locator('.first-mentions tbody tr td:first-child').allTextContents();
    expect(rows).toContain('地区未知');
    expect(rows.some((r) => r.includes('(地区未知)'))).toBe(false);
    // A place keeps the search too, and the way back returns to it.
    await page.locator('.place-link', { hasText: '山东省/枣庄市/峄城区' }).click();
    await page.waitForURL((u) => u.searchParams.has('place'));
    await page.locator('.adoption-passages .result').first().waitFor();
    await page.locator('.back-link').click();
    await page.waitForURL((u) => !u.searchParams.has('view'));
    const back = new URL(page.url()).searchParams;
    expect([back.get('mode'), back.get('province'), back.get('from'), back.get('to'), back.get('place')]).toEqual(['lexical', '山东省', '2023', '2023', null]);
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.summary').textContent()).toBe(summary);

    await page.goto(`${fx.url}/?view=adoption&q=${encodeURIComponent('述法工作')}&place=${encodeURIComponent('山东省/枣庄市/峄城区')}`);
    await page.locator('.adoption-passages .result').first().waitFor();
    const marks = new Set(await page.locator('.adoption-passages .result mark').allTextContents());
    expect([...marks].sort()).toEqual(['工作', '述法']);

    await page.locator('main[data-charts-ready="true"]').waitFor();
    // Where the heatmap draws its texts: the axis name inside the chart, the colour legend's below the year labels.
    const texts = (await page.evaluate(`import('/vendor/echarts.js').then((echarts) => {
      const chart = echarts.getInstanceByDom(document.querySelector('.heatmap'));
      return chart.getZr().storage.getDisplayList(true).filter((e) => e.style && typeof e.style.text === 'string').map((e) => {
        const r = e.getBoundingRect().clone();
        r.applyTransform(e.getComputedTransform());
        return { text: e.style.text, x: r.x, y: r.y, right: r.x + r.width, bottom: r.y + r.height, width: chart.getWidth() };
      });
    })`)) as { text: string; x: number; y: number; right: number; bottom: number; width: number }[];
    const name = texts.find((t) => t.text === '年份')!;
    expect(name.x).toBeGreaterThanOrEqual(0);
    expect(name.right).toBeLessThanOrEqual(name.width);
    const years = texts.filter((t) => /^20\d\d$/.test(t.text));
    expect(years.length).toBeGreaterThan(0);
    const overlapping = texts.filter((t) => !years.includes(t) && years.some((y) => t.x < y.right && y.x < t.right && t.y < y.bottom && y.y < t.bottom));
    expect(overlapping.map((t) => t.text)).toEqual([]);
    clean();
  });

  it('the hostile report renders as plain text: no script runs, no request leaves', async () => {
    await page.goto(`${fx.url}/?q=${encodeURIComponent('执法公示平台 述法评议 终端转义测试 双随机')}&mode=lexical&k=20`);
    await page.locator('.result').first().waitFor();
    const texts = (await page.locator('.result .text').allTextContents()).join('\n');
    expect(texts).toContain('<script>window.__pwned = "script"</script>');
    expect(texts).toContain('<img src="http://evil.example/track.png"');
    expect(texts).toContain('javascript:alert(document.cookie)');
    expect(texts).toContain('\\x1B[31m红色文字');
    expect(texts).not.toContain('\u001b');
    // A bidi override would draw the rest of the passage in reverse: shown as its code instead.
    expect(texts).toContain('方向覆盖\\u202E字符顺序');
    expect(texts).not.toContain('\u202e');
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: string }).__pwned ?? null,
      elements: document.querySelectorAll('main script, main img, main iframe, main svg, main style, main a[href^="javascript"]').length,
    }));
    expect(injected).toEqual({ pwned: null, elements: 0 });
    // The page's title too: a bidi override there would reverse the tab's title.
    await page.goto(`${fx.url}/?q=${encodeURIComponent('述法\u202E评议')}`);
    await page.locator('.summary').waitFor();
    expect(await page.title()).toBe('述法\\u202E评议 - 法治报告检索');
    await page.goBack();
    await page.locator('.result').first().waitFor();
    await shot('hostile');
    const hostile = page.locator('.result', { hasText: '执法公示平台' }).first();
    await hostile.locator('.open-report').click();
    await page.locator('.passage.target').waitFor();
    expect(await page.locator('.report-meta').textContent()).toContain('桃源县');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned ?? null)).toBeNull();
    expect(await page.locator('main script, main img, main iframe, main svg, main style').count()).toBe(0);
    // The <style>body{display:none}</style> in the report did not hide anything.
    expect(await page.locator('.report h1').isVisible()).toBe(true);
    clean();
  });
});
