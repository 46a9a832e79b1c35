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
/** A write's child process is stopped past this: an annual report ingests in seconds, a large law in a minute. */
const WRITE_TIMEOUT_MS = 10 * 60_000;
/**
 * Writes queued, the running one included, each holding its body (up to UPLOAD_LIMIT): more are answered 503. A
 * tester queued 25 uploads of 19 MB behind a slow one and the server grew from 425 MB to 1 GB.
 */
const MAX_WAITING_WRITES = 4;
/** File names are bytes on disk: past this, writing the upload failed with ENAMETOOLONG (a 500). */
const MAX_FILENAME_BYTES = 255;

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

async function fazhi(reader: Reader, opts: WriteOptions, args: string[]): Promise<{ ok: boolean; output: string }> {
  const modelArgs = opts.model ? ['--model', opts.model] : [];
  try {
    const { stderr } = await run(process.execPath, [FAZHI, ...args, '--data-dir', reader.dataDir, '--root', opts.root, ...modelArgs], { maxBuffer: 1 << 20, timeout: WRITE_TIMEOUT_MS });
    return { ok: true, output: stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string; signal?: string | null; killed?: boolean };
    // A child killed (out of memory, or past WRITE_TIMEOUT_MS) printed a heap log, not a reason.
    if (e.signal) return { ok: false, output: e.killed ? `${args[0]} took longer than ${WRITE_TIMEOUT_MS / 60_000} min and was stopped` : `${args[0]} was killed (${e.signal}): out of memory?` };
    return { ok: false, output: e.stderr || e.message };
  }
}

export async function registerWrites(app: FastifyInstance, reader: Reader, opts: WriteOptions): Promise<void> {
  const { root } = opts;
  // One writer per data dir: a child started while another writes would be refused, so this
  // server's writes run one after another.
  let previous: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const serialized = <T>(step: () => Promise<T>): Promise<T> => {
    waiting++;
    const next = previous.then(step).finally(() => waiting--);
    previous = next.catch(() => undefined);
    return next;
  };
  const busy = (reply: FastifyReply) =>
    reply.code(503).header('retry-after', '30').send({ error: 'Service Unavailable', message: `${waiting} writes are queued (one running); try again later` });
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
    // No path separators, and no control or bidi characters: the name becomes a stored source that
    // API clients show, and an override (\u202E) makes it read as another name.
    properties: { filename: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^/\\\\\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]+$' } },
  } as const;
  app.post('/api/reports', { onRequest: requireToken, bodyLimit: UPLOAD_LIMIT, schema: { summary: 'Upload a report file (raw bytes) and ingest it', querystring: uploadQuery } }, async (request, reply) => {
    const { filename } = request.query as { filename: string };
    const ext = path.extname(filename).toLowerCase();
    if (!UPLOAD_TYPES.includes(ext) || filename.startsWith('.')) {
      return reply.code(400).send({ error: 'Bad Request', param: 'filename', message: `filename: expected a name ending in ${UPLOAD_TYPES.join(', ')}` });
    }
    if (Buffer.byteLength(filename) > MAX_FILENAME_BYTES) {
      return reply.code(400).send({ error: 'Bad Request', param: 'filename', message: `filename: ${Buffer.byteLength(filename)} bytes long, at most ${MAX_FILENAME_BYTES}` });
    }
    if (waiting >= MAX_WAITING_WRITES) return busy(reply);
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
      const done = await fazhi(reader, opts, ['ingest', file]);
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
    const missing = () => reply.code(404).send({ error: 'Not Found', message: `no report with id ${id}` });
    if (!reader.current().store.getDocument(id)) return missing();
    if (waiting >= MAX_WAITING_WRITES) return busy(reply);
    // Looked up again in turn: a removal of the same report queued before this one has run by then.
    const result = await serialized(async () => {
      const doc = reader.current().store.getDocument(id);
      return doc ? { ...(await fazhi(reader, opts, ['remove', doc.source])), source: doc.source } : null;
    });
    if (!result) return missing();
    if (!result.ok) return refused(reply, reader, result.output, { code: 500, error: 'Internal Server Error' });
    return { removed: id, source: result.source };
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
