// `fazhi serve`: indexes a seed directory first when asked and the data dir is empty, then
// serves the API and web app over the store, read-only, until interrupted.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../pipeline/errors.ts';
import { STORE_FILE, Store } from '../search/store.ts';
import { ingestCommand } from './commands.ts';
import { parseIntFlag } from './options.ts';

export interface ServeFlags {
  host: string;
  port: string;
  allowWrites?: boolean;
  rateLimit: string;
  seed?: string;
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

export async function serveCommand(o: { dataDir: string; model?: string; flags: ServeFlags }): Promise<void> {
  const port = parseIntFlag('--port', o.flags.port, 0, 65535);
  const rateLimitPerMinute = parseIntFlag('--rate-limit', o.flags.rateLimit, 0, 1_000_000);
  const token = process.env.FAZHI_TOKEN;
  if (o.flags.allowWrites && !token) throw new InputError('--allow-writes', 'needs a FAZHI_TOKEN environment variable (the bearer token write requests must send)');
  if (o.flags.seed !== undefined && storeIsEmpty(o.dataDir)) {
    process.stderr.write(`${o.dataDir} is empty: indexing ${o.flags.seed} first\n`);
    await ingestCommand({ dataDir: o.dataDir, model: o.model, paths: [o.flags.seed], queue: false });
  }
  if (!existsSync(path.join(o.dataDir, STORE_FILE))) {
    throw new InputError('--data-dir', `${o.dataDir} holds no store: run \`fazhi ingest <dir>\` first (or \`npm start\`, which indexes corpus/)`);
  }
  const { openReader } = await import('../server/reader.ts');
  const { buildServer } = await import('../server/app.ts');
  const reader = await openReader(o);
  const app = await buildServer({
    reader,
    rateLimitPerMinute,
    writes: o.flags.allowWrites ? { token: token!, uploadDir: path.join(o.dataDir, 'uploads'), model: o.model } : undefined,
  });
  const address = await app.listen({ host: o.flags.host, port });
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = 'localhost';
  process.stdout.write(`fazhi serve: ${url.href}  (data ${o.dataDir}${o.flags.allowWrites ? ', writes allowed' : ', read-only'})\n`);
  const stop = () => {
    void app.close().then(() => reader.close());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
