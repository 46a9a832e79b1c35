// Upload and remove endpoints (only with `fazhi serve --allow-writes` and a FAZHI_TOKEN bearer).
// The server itself stays read-only: each write runs the CLI's own writer (`fazhi ingest` /
// `fazhi remove`) as a child process, so it takes the same single-writer path as the command line.
import { execFile } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalSource } from '../cli/identity.ts';
import { idParamSchema, noQuerySchema } from './params.ts';
import type { Reader } from './reader.ts';

const run = promisify(execFile);
const FAZHI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'fazhi.js');
/** Reports as published run to a few MB (PDF scans are refused anyway). */
const UPLOAD_LIMIT = 20 * 1024 * 1024;
const UPLOAD_TYPES = ['.txt', '.md', '.html', '.htm', '.shtml', '.docx', '.pdf'];

export interface WriteOptions {
  token: string;
  /** Where uploaded files are kept (they are the ingested reports' sources). */
  uploadDir: string;
  /** The source root the children name sources under (`serve --root`, as the CLI resolves it). */
  root: string;
  model?: string;
}

function authorized(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function fazhi(reader: Reader, opts: WriteOptions, root: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  const modelArgs = opts.model ? ['--model', opts.model] : [];
  try {
    const { stderr } = await run(process.execPath, [FAZHI, ...args, '--data-dir', reader.dataDir, '--root', root, ...modelArgs], { maxBuffer: 1 << 20 });
    return { ok: true, output: stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, output: e.stderr || e.message };
  }
}

export async function registerWrites(app: FastifyInstance, reader: Reader, opts: WriteOptions): Promise<void> {
  const { root } = opts;
  // One writer per data dir: a child started while another writes would be refused, so this
  // server's writes run one after another.
  let previous: Promise<unknown> = Promise.resolve();
  const serialized = <T>(step: () => Promise<T>): Promise<T> => {
    const next = previous.then(step);
    previous = next.catch(() => undefined);
    return next;
  };
  // On the write routes themselves, not on the raw URL: the router decodes the path first, so a test
  // of request.url let /api/%72eports through (a tester uploaded and deleted reports without a token).
  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorized(request, opts.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: 'a valid FAZHI_TOKEN bearer is required' });
    }
  };
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT }, (_request, body, done) => done(null, body));

  const uploadQuery = {
    type: 'object',
    additionalProperties: false,
    required: ['filename'],
    properties: { filename: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^/\\\\\\u0000]+$' } },
  } as const;
  app.post('/api/reports', { onRequest: requireToken, bodyLimit: UPLOAD_LIMIT, schema: { summary: 'Upload a report file (raw bytes) and ingest it', querystring: uploadQuery } }, async (request, reply) => {
    const { filename } = request.query as { filename: string };
    const ext = path.extname(filename).toLowerCase();
    if (!UPLOAD_TYPES.includes(ext) || filename.startsWith('.')) {
      return reply.code(400).send({ error: 'Bad Request', param: 'filename', message: `filename: expected a name ending in ${UPLOAD_TYPES.join(', ')}` });
    }
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
      return reply.code(400).send({ error: 'Bad Request', param: 'body', message: 'body: send the file as application/octet-stream' });
    }
    const body = request.body;
    const file = path.join(opts.uploadDir, filename);
    // One step, not interleaved with another upload of the same name: a refused upload leaves the
    // file as it was (a stored report's source keeps its bytes).
    const result = await serialized(async () => {
      await mkdir(opts.uploadDir, { recursive: true });
      const before = await readFile(file).catch(() => null);
      await writeFile(file, body);
      const done = await fazhi(reader, opts, root, ['ingest', file]);
      if (!done.ok) await (before === null ? rm(file, { force: true }) : writeFile(file, before));
      return done;
    });
    if (!result.ok) return refused(reply, reader, result.output, { code: 400, error: 'Bad Request', param: 'body' });
    const source = canonicalSource(file, root);
    // Bytes equal to a stored report's are recorded as its alias: that report is the answer.
    const doc = reader.current().store.documents().find((d) => d.source === source || d.aliases.includes(source));
    return reply.code(201).send({ id: doc?.id ?? null, source: doc?.source ?? source, log: result.output.trim() });
  });

  app.delete('/api/reports/:id', { onRequest: requireToken, schema: { summary: 'Remove a report', params: idParamSchema, querystring: noQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const doc = reader.current().store.getDocument(id);
    if (!doc) return reply.code(404).send({ error: 'Not Found', message: `no report with id ${id}` });
    const result = await serialized(() => fazhi(reader, opts, root, ['remove', doc.source]));
    if (!result.ok) return refused(reply, reader, result.output, { code: 500, error: 'Internal Server Error' });
    return { removed: id, source: doc.source };
  });
}

/**
 * A write the child refused: 409 with Retry-After where another writer holds the data directory (a
 * `fazhi worker` writer, or an ingest from the command line) — a conflict to wait out, not the
 * client's error — else `otherwise`, with the child's message.
 */
function refused(reply: FastifyReply, reader: Reader, output: string, otherwise: { code: number; error: string; param?: string }): FastifyReply {
  const busy = reader.current().store.currentWriter();
  if (busy) {
    const seconds = Math.max(1, Math.ceil((busy.untilMs - Date.now()) / 1000));
    return reply.code(409).header('retry-after', String(seconds)).send({ error: 'Conflict', message: busy.message });
  }
  const { code, ...body } = otherwise;
  return reply.code(code).send({ ...body, message: output.trim() });
}
