// `fazhi serve`: indexes a seed directory first when asked and the data dir is empty, then
// serves the API and web app over the store, read-only, until interrupted.
import cluster from 'node:cluster';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../pipeline/errors.ts';
import { STORE_FILE, Store } from '../search/store.ts';
import { ingestCommand } from './commands.ts';
import { checkDataDirUsable, requireStore, type DataDir } from './config.ts';
import { parseIntFlag } from './options.ts';

export interface ServeFlags {
  host: string;
  port: string;
  allowWrites?: boolean;
  rateLimit: string;
  seed?: string;
  workers: string;
}

function storeIsEmpty(dataDir: string): boolean {
  if (!existsSync(path.join(dataDir, STORE_FILE))) return true;
  const store = Store.openReadOnly(dataDir);
  try {
    return store.counts().documents === 0;
  } finally {
    store.close();
  }
}

export async function serveCommand(o: { data: DataDir; dataDir: string; root: string; model?: string; flags: ServeFlags }): Promise<void> {
  const port = parseIntFlag('--port', o.flags.port, 0, 65535);
  const rateLimitPerMinute = parseIntFlag('--rate-limit', o.flags.rateLimit, 0, 1_000_000);
  const token = process.env.FAZHI_TOKEN;
  if (o.flags.allowWrites && !token) throw new InputError('--allow-writes', 'needs a FAZHI_TOKEN environment variable (the bearer token write requests must send)');
  const workers = parseIntFlag('--workers', o.flags.workers, 1, 64);
  if (cluster.isWorker) return serveHere(o, port, rateLimitPerMinute, token);
  if (o.flags.seed !== undefined) {
    // Seeding writes the data dir as `fazhi ingest` does, so it is checked as ingest checks it.
    checkDataDirUsable(o.data);
    if (storeIsEmpty(o.dataDir)) {
      process.stderr.write(`${o.dataDir} is empty: indexing ${o.flags.seed} first\n`);
      await ingestCommand({ dataDir: o.dataDir, root: o.root, model: o.model, paths: [o.flags.seed], queue: false });
    }
  }
  requireStore(o.data);
  if (workers === 1) return serveHere(o, port, rateLimitPerMinute, token);
  // One Node process answers one query at a time; on a multi-core machine several processes,
  // each with its own model and index, share the port (node:cluster reruns this same command).
  const first = cluster.fork();
  for (let i = 1; i < workers; i++) cluster.fork();
  const address = await new Promise<{ address: string; port: number } | undefined>((resolve, reject) => {
    first.once('listening', resolve);
    first.once('exit', (code) => {
      if (code !== 2) return reject(new Error(`fazhi serve worker exited with ${code} before listening`));
      // An argument error (the port in use), which the worker has said already.
      process.exitCode = 2;
      resolve(undefined);
    });
  });
  if (!address) return;
  printUrl(`http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`, o.dataDir, !!o.flags.allowWrites, workers);
  let stopping = false;
  const stop = (exitCode: number) => {
    stopping = true;
    process.exitCode = exitCode;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  // A process that dies (killed, out of memory) is replaced, so the server keeps its capacity; one
  // that keeps dying stops the whole server with exit 1, for its supervisor to see and restart.
  const exits: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    exits.push(now);
    while (exits[0]! < now - RESTART_WINDOW_MS) exits.shift();
    const how = signal ?? `code ${code}`;
    if (exits.length > MAX_RESTARTS) {
      process.stderr.write(`fazhi serve: server processes keep exiting (${exits.length} in a minute, the last with ${how}); stopping\n`);
      return stop(1);
    }
    process.stderr.write(`fazhi serve: process ${worker.process.pid} exited (${how}); starting another\n`);
    cluster.fork();
  });
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
}

/** serve --workers replaces a process that exits, up to this many times within RESTART_WINDOW_MS. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

function printUrl(address: string, dataDir: string, writes: boolean, workers: number): void {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = 'localhost';
  process.stdout.write(`fazhi serve: ${url.href}  (data ${dataDir}${writes ? ', writes allowed' : ', read-only'}${workers > 1 ? `, ${workers} processes` : ''})\n`);
}

async function serveHere(o: { dataDir: string; root: string; model?: string; flags: ServeFlags }, port: number, rateLimitPerMinute: number, token: string | undefined): Promise<void> {
  const { openReader } = await import('../server/reader.ts');
  const { buildServer } = await import('../server/app.ts');
  const reader = await openReader(o);
  const app = await buildServer({
    reader,
    rateLimitPerMinute,
    writes: o.flags.allowWrites ? { token: token!, uploadDir: path.join(o.dataDir, 'uploads'), root: o.root, model: o.model } : undefined,
  });
  const address = await app.listen({ host: o.flags.host, port }).catch((err: NodeJS.ErrnoException) => {
    const refusal = listenRefusal(err, o.flags.host, port);
    if (!refusal) throw err;
    // A worker's channel to the primary would keep it alive; disconnecting through the worker (not
    // process.disconnect, which exits 0) lets it exit with the error's code, which the primary takes on.
    cluster.worker?.disconnect();
    throw refusal;
  });
  if (cluster.isPrimary) printUrl(address, o.dataDir, !!o.flags.allowWrites, 1);
  const stop = () => {
    // A cluster worker's channel to the primary would keep it alive after the server closed.
    void app.close().then(() => {
      reader.close();
      if (cluster.isWorker) process.disconnect();
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Why the system refused to listen, as the flag to change; null for a failure that is not the flags' (it is thrown as it is). */
function listenRefusal(err: NodeJS.ErrnoException, host: string, port: number): InputError | null {
  switch (err.code) {
    case 'EADDRINUSE':
      return new InputError('--port', `${port} is already in use on ${host}`);
    case 'EACCES':
      return new InputError('--port', `${port} needs privileges this user lacks (ports below 1024); choose a port from 1024 up`);
    case 'EADDRNOTAVAIL':
      return new InputError('--host', `${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InputError('--host', `${host} cannot be resolved to an address`);
    default:
      return null;
  }
}
