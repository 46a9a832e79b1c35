// The OpenAPI 3 document, generated from the same JSON schemas the routes validate with.
import type { FastifySchema } from 'fastify';

export interface RouteDoc {
  method: string | string[];
  url: string;
  schema: FastifySchema;
}

type JsonSchema = { properties?: Record<string, unknown>; required?: readonly string[] };

function parameters(schema: unknown, where: 'query' | 'path'): unknown[] {
  const s = schema as JsonSchema | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    schema: property,
  }));
}

export function openApiDocument(routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const url = route.url.replace(/:(\w+)/g, '{$1}');
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      const s = route.schema as FastifySchema & { summary?: string; description?: string };
      paths[url] ??= {};
      paths[url]![method.toLowerCase()] = {
        summary: s.summary,
        ...(s.description ? { description: s.description } : {}),
        parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
        ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
        responses: { '200': { description: 'OK' }, '400': { description: 'a parameter is invalid: `param` names it' } },
      };
    }
  }
  return { openapi: '3.0.3', info: { title: 'fazhi-search API', version: '1' }, paths };
}
