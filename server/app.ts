// `fazhi serve`: the JSON API and the web app in one Fastify process over a read-only store.
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { InputError } from '../pipeline/errors.ts';
import { SearchParamError } from '../search/errors.ts';
import { loadMatches, nothingMatchesWell, rankMatches, searchWithMatches, similar, type PassageResult, type ReportResult, type SearchMode } from '../search/searchEngine.ts';
import { readIndexHealth } from '../search/vectorIndex.ts';
import { toJsonRow } from '../cli/format.ts';
import type { Jurisdiction } from '../pipeline/types.ts';
import { StoreNotCurrentError, type Reader } from './reader.ts';
import {
  idParamSchema,
  noQuerySchema,
  queryText,
  searchQuerySchema,
  similarBodySchema,
  similarQuerySchema,
  catalogueQuerySchema,
  searchCsvQuerySchema,
  apiParamOf,
} from './params.ts';
import { parseFilter, parseHomeRegion, type RawFilter } from '../search/filter.ts';
import { adoption, adoptionCsv, mentioningPassages, passageContext, placeKey, reportView, searchCsv } from './views.ts';
import { openApiDocument, type RouteDoc } from './openapi.ts';
import { disjunctiveFacets, embedQueryOnce, matchingIds } from './facets.ts';
import { reportCatalogue } from './catalogue.ts';
import { registerWrites, type WriteOptions } from './writes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEB_DIR = path.join(ROOT, 'web');
const ECHARTS_DIR = path.join(ROOT, 'node_modules', 'echarts', 'dist');

export interface ServerOptions {
  reader: Reader;
  /** Requests per minute per client address; 0 turns the limit off (benchmarks). */
  rateLimitPerMinute?: number;
  /** Upload and remove endpoints; absent: they do not exist. */
  writes?: WriteOptions;
  logger?: boolean;
}

/** Requests per minute per address: far above an analyst's clicking, low enough to stop a scraper loop. */
export const DEFAULT_RATE_LIMIT = 1200;
/** JSON bodies: a `similar` text is at most 5,000 characters (≤ 15 kB of UTF-8). */
const BODY_LIMIT = 64 * 1024;

function apiRow(r: PassageResult): Record<string, unknown> {
  return { ...toJsonRow(r), docId: r.docId, headingPath: r.headingPath };
}

/** `matched`: passages per report among the matches counted in `total`. */
function apiResult(r: PassageResult | ReportResult, matched: ReadonlyMap<number, number>): Record<string, unknown> {
  if (!('passages' in r)) return apiRow(r);
  // As the CLI's --by report: the documented fields filled from the best passage. `passages` holds
  // only its best few (PASSAGES_PER_REPORT); `matched` says how many it has.
  return { ...apiRow(r.passages[0]!), score: r.score, matched: matched.get(r.docId), passages: r.passages.map(apiRow) };
}

/** The parameter a validation error is about, from Ajv's report. */
function invalidParam(error: FastifyError): string | undefined {
  const v = error.validation?.[0];
  if (!v) return undefined;
  const p = v.params as Record<string, unknown>;
  // A nested object's property is named with its path: region.town, not town.
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const property = (p.missingProperty ?? p.additionalProperty) as string | undefined;
  return (property === undefined ? path : path ? `${path}.${property}` : property) || undefined;
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Unknown parameters are errors (a misspelt filter must not be silently ignored).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.schema) routes.push({ method: route.method, url: route.url, schema: route.schema });
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  if ((opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT) > 0) {
    await app.register(rateLimit, { max: opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT, timeWindow: 60_000 });
  }

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      const param = invalidParam(error);
      const v = error.validation[0]!;
      const allowed = v.keyword === 'enum' ? (v.params as { allowedValues?: unknown[] }).allowedValues : undefined;
      // A text of spaces only fails `pattern: \S` (or minLength 1): say that, not the pattern.
      const blank = (v.keyword === 'pattern' && (v.params as { pattern?: string }).pattern === '\\S') || (v.keyword === 'minLength' && (v.params as { limit?: number }).limit === 1);
      const why = 'additionalProperty' in v.params ? 'unknown parameter' : allowed ? `must be one of ${allowed.join(', ')}` : blank ? 'must not be empty or only spaces' : v.message;
      return reply.code(400).send({ error: 'Bad Request', param, message: param ? `${param}: ${why}` : error.message });
    }
    if (error instanceof SearchParamError) {
      const param = apiParamOf(error.param);
      return reply.code(400).send({ error: 'Bad Request', param, message: error.naming(param) });
    }
    if (error instanceof StoreNotCurrentError) {
      return reply.code(503).send({ error: 'Service Unavailable', message: error.message });
    }
    if (error instanceof InputError) {
      return reply.code(400).send({ error: 'Bad Request', param: error.subject, message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) app.log.error(error);
    // The status's name, as the 400 and 404 bodies say it: plugins' errors (the rate limit's 429, the body limit's 413) are named Error or FastifyError.
    return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: status >= 500 ? '服务器内部错误' : error.message });
  });

  const reader = opts.reader;

  const searchDescription =
    'Answers {query, terms, expanded, filter, total, totalAtLeast, reports, offset, weak, results, facets, facetsAtLeast}. terms: the words lexical search looked for; ' +
    'expanded: the reports\' words searched for besides the query\'s own, for what it says in users\' words (打官司 → 诉讼 行政诉讼 应诉; ' +
    'none with expand=false). total: the passages retrieved for the query; totalAtLeast: a retrieval read as deep as it may (always so in ' +
    'hybrid and dense mode on a store larger than the retrieval depth), so more passages could match and a filter can list more of its own; ' +
    'reports: the reports they are in; offset pages through them (results offset + 1 … offset + k; with by=report, reports, ' +
    'each with its best passages and matched: how many of the total are in it). ' +
    'weak: even the best match scores below 0.1, the noise level (hybrid and lexical mode): nothing matches the query well. ' +
    'filter: the filters as applied (region names resolved, ' +
    'a kind alias as its name, year as from = to). facets holds province, city, county, year, section and kind, each ' +
    'value → passage count over the retrieved matches (not just the page). Each dimension is counted with the filters of ' +
    'the other dimensions applied and its own left out (disjunctive facets: after province=河南 the other provinces keep ' +
    'their counts); province ignores city and county too, city ignores county, year ignores from/to. facetsAtLeast: the dimensions ' +
    'whose counts are lower bounds (their retrieval was truncated, see totalAtLeast): a click on a value may list more than its count; ' +
    'elsewhere a count is what the click lists.';
  app.get('/api/search', { schema: { summary: 'Search passages (or reports) by meaning and words', description: searchDescription, querystring: searchQuerySchema } }, async (request) => {
    const q = request.query as { q: string; mode: SearchMode; k: number; offset: number; by: 'passage' | 'report'; expand: boolean } & RawFilter;
    const filter = parseFilter(q);
    const ctx = embedQueryOnce(reader.current());
    const { results, matches, truncated, terms } = await searchWithMatches(ctx, q.q, { k: q.k, offset: q.offset, mode: q.mode, by: q.by, filter, expand: q.expand });
    // Same query, mode and depth (k) under each facet's relaxed filter: the counts are of the matches a click would retrieve.
    const { facets, atLeast } = await disjunctiveFacets(ctx.store, filter, { matches, truncated }, (relaxed) => matchingIds(ctx, terms, { k: q.k, mode: q.mode, filter: relaxed }));
    const perReport = new Map<number, number>();
    for (const m of matches) perReport.set(m.docId, (perReport.get(m.docId) ?? 0) + 1);
    const weak = nothingMatchesWell(q.mode, matches);
    return {
      query: q.q,
      terms: terms.tokens,
      expanded: terms.expansion,
      filter,
      total: matches.length,
      totalAtLeast: truncated,
      reports: perReport.size,
      offset: q.offset,
      weak,
      results: results.map((r) => apiResult(r, perReport)),
      facets,
      facetsAtLeast: atLeast,
    };
  });

  app.get(
    '/api/search.csv',
    {
      schema: {
        summary: 'Every passage a search retrieves, as CSV',
        description: 'The matches /api/search counts in total for the same q, mode, k, expand and filters, in rank order, with score, place, year, section, kind, text and file.',
        querystring: searchCsvQuerySchema,
      },
    },
    async (request, reply) => {
      const q = request.query as { q: string; mode: SearchMode; k: number; expand: boolean } & RawFilter;
      const ctx = reader.current();
      const { matches } = await rankMatches(ctx, q.q, { k: q.k, mode: q.mode, filter: parseFilter(q), expand: q.expand });
      // A passage removed meanwhile is left out.
      const passages = loadMatches(ctx.store, matches);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="search.csv"; filename*=UTF-8''${encodeURIComponent(`search-${q.q}.csv`)}`)
        .send(searchCsv(passages));
    },
  );

  app.get('/api/similar/:id', { schema: { summary: 'Passages similar to a stored one', params: idParamSchema, querystring: similarQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const { other_regions, mode, offset, ...q } = request.query as { k: number; offset: number; mode: SearchMode; other_regions: string } & RawFilter;
    const ctx = reader.current();
    if (!ctx.store.getPassage(id)) return reply.code(404).send({ error: 'Not Found', message: `no passage with id ${id}` });
    const results = await similar(ctx, { passageId: id }, { k: q.k, offset, mode, otherRegions: other_regions === '1' || other_regions === 'true', filter: parseFilter(q) });
    return { results: results.map(apiRow) };
  });

  app.post('/api/similar', { schema: { summary: 'Passages similar to a text', body: similarBodySchema } }, async (request, reply) => {
    const body = request.body as { text: string; k?: number; offset?: number; mode?: SearchMode; region?: { province?: string; city?: string; county?: string } } & RawFilter;
    const { text, k, offset, mode, region, ...raw } = body;
    let home: Jurisdiction | undefined;
    try {
      // As `fazhi similar --text --other-regions`: a county or city alone (峄城, 枣庄) names its whole place, province included.
      home = region && parseHomeRegion(region);
    } catch (err) {
      if (!(err instanceof SearchParamError)) throw err;
      const param = `region.${apiParamOf(err.param)}`;
      return reply.code(400).send({ error: 'Bad Request', param, message: err.naming(param) });
    }
    const ctx = reader.current();
    // An empty region names none: `similar` answers that it needs one.
    const results = await similar(ctx, { text }, { k: k ?? 10, offset, mode, otherRegions: region !== undefined, region: home, filter: parseFilter(raw) });
    return { results: results.map(apiRow) };
  });

  app.get(
    '/api/reports',
    {
      schema: {
        summary: 'The stored reports under a filter, newest year first',
        description:
          'Answers {filter, total, offset, reports, facets}: reports offset + 1 … offset + k of the documents the filters admit (newest year first, ' +
          'then by province, city, county and title), each {id, source, title, kind, jurisdiction, year, passages, aliases}; facets province, city, ' +
          'county, year and kind count documents, each dimension under the other dimensions\' filters (as /api/search counts passages).',
        querystring: catalogueQuerySchema,
      },
    },
    async (request) => {
      const { k, offset, ...raw } = request.query as { k: number; offset: number } & RawFilter;
      return reportCatalogue(reader.current().store, parseFilter(raw), { k, offset });
    },
  );

  app.get('/api/reports/:id', { schema: { summary: 'A report: metadata, heading tree, passages', params: idParamSchema, querystring: noQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    return reportView(reader.current().store, id) ?? reply.code(404).send({ error: 'Not Found', message: `no report with id ${id}` });
  });

  app.get('/api/passages/:id', { schema: { summary: 'A passage with its neighbours in the report', params: idParamSchema, querystring: noQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    return passageContext(reader.current().store, id) ?? reply.code(404).send({ error: 'Not Found', message: `no passage with id ${id}` });
  });

  const adoptionQuery = { type: 'object', additionalProperties: false, required: ['q'], properties: { q: queryText } } as const;
  app.get('/api/adoption', { schema: { summary: 'Where and when a measure is mentioned: per jurisdiction and year', querystring: adoptionQuery } }, async (request) => {
    return adoption(reader.current(), (request.query as { q: string }).q);
  });

  app.get('/api/adoption.csv', { schema: { summary: 'The adoption table as CSV', querystring: adoptionQuery } }, async (request, reply) => {
    const table = adoption(reader.current(), (request.query as { q: string }).q);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="adoption.csv"; filename*=UTF-8''${encodeURIComponent(`adoption-${table.query}.csv`)}`)
      .send(adoptionCsv(table));
  });

  const adoptionPassagesQuery = {
    type: 'object',
    additionalProperties: false,
    required: ['q', 'place'],
    properties: { q: queryText, place: { type: 'string', minLength: 1, maxLength: 100 }, year: { type: 'integer' } },
  } as const;
  app.get('/api/adoption/passages', { schema: { summary: 'The passages behind one adoption cell (place, optionally year)', querystring: adoptionPassagesQuery } }, async (request, reply) => {
    const q = request.query as { q: string; place: string; year?: number };
    const ctx = reader.current();
    // A place no stored report is from is a mistyped link, not an empty cell.
    if (!ctx.store.documents().some((d) => placeKey(d.jurisdiction) === q.place)) {
      return reply.code(400).send({ error: 'Bad Request', param: 'place', message: `place: no stored report is from ${q.place} (a place as the adoption table names it, e.g. 山东省/枣庄市/峄城区)` });
    }
    const { passages } = mentioningPassages(ctx, q.q);
    const hits = passages.filter((p) => placeKey(p.jurisdiction) === q.place && (q.year === undefined || p.year === q.year));
    return { results: hits.map((p) => ({ ...toJsonRow({ ...p, score: 0 }), docId: p.docId, headingPath: p.headingPath })) };
  });

  // Answers while the store is not searchable with the server's model too: that is when it is asked.
  app.get('/api/status', { schema: { summary: 'Counts, model, store generation, index health', querystring: noQuerySchema } }, async () => {
    const { store, modelId, indexGeneration, documentsNeedingReindex } = reader.inspect();
    return {
      model: modelId,
      modelDir: path.relative(ROOT, reader.modelDir),
      generation: store.generation(),
      ...store.stats(),
      index: readIndexHealth(reader.dataDir, store),
      loadedIndexGeneration: indexGeneration,
      documentsNeedingReindex,
      writes: opts.writes !== undefined,
    };
  });

  if (opts.writes) await registerWrites(app, reader, opts.writes);

  app.get('/api/openapi.json', async () => openApiDocument(routes));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'Not Found', message: `${request.method} ${request.url.split('?')[0]}` }));

  await app.register(fastifyStatic, { root: WEB_DIR, index: ['index.html'], wildcard: false });
  app.get('/vendor/echarts.js', (_request, reply) => reply.type('text/javascript; charset=utf-8').sendFile('echarts.esm.min.mjs', ECHARTS_DIR));
  return app;
}
