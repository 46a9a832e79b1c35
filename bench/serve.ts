// `npm run bench -- --serve --data-dir DIR`: starts `fazhi serve` on DIR (read-only) as its own
// process and measures GET /api/search from 1 and 8 concurrent HTTP clients per search mode:
// latency p50/p95, queries/s, and the server's RSS (current and peak, from /proc).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../search/store.ts';
import { REPO_ROOT } from '../cli/config.ts';
import { mib, percentile, table } from './stats.ts';

export interface ServeBenchOptions {
  dataDir: string;
  model?: string;
  queries: readonly string[];
  /** Requests per (mode, clients) cell, after one warm-up pass over the queries. */
  requests: number;
  clients: readonly number[];
}

function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function startServer(o: ServeBenchOptions): Promise<{ url: string; pid: number; stop(): void }> {
  const args = [path.join(REPO_ROOT, 'bin', 'fazhi.js'), 'serve', '--data-dir', o.dataDir, '--port', '0', '--rate-limit', '0', ...(o.model ? ['--model', o.model] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /(http:\/\/\S+?)\/?\s/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fazhi serve exited with ${code} before listening`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

async function measure(url: string, mode: string, queries: readonly string[], requests: number, clients: number): Promise<{ times: number[]; wallMs: number }> {
  const times: number[] = [];
  let next = 0;
  const one = async (q: string) => {
    const started = performance.now();
    const res = await fetch(`${url}/api/search?${new URLSearchParams({ q, mode, k: '10' })}`);
    if (!res.ok) throw new Error(`${res.status} for ${q} (${mode}): ${await res.text()}`);
    await res.arrayBuffer();
    return performance.now() - started;
  };
  const client = async () => {
    while (next < requests) times.push(await one(queries[next++ % queries.length]!));
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  return { times: times.sort((a, b) => a - b), wallMs: performance.now() - started };
}

export async function serveBench(o: ServeBenchOptions): Promise<string> {
  const store = Store.openReadOnly(o.dataDir);
  const counts = store.counts();
  store.close();
  const startedAt = new Date();
  const server = await startServer(o);
  const idle = rssOf(server.pid);
  const rows: (string | number)[][] = [];
  try {
    for (const mode of ['hybrid', 'lexical', 'dense']) {
      await measure(server.url, mode, o.queries, o.queries.length, 1);
      for (const clients of o.clients) {
        const { times, wallMs } = await measure(server.url, mode, o.queries, o.requests, clients);
        const rss = rssOf(server.pid);
        rows.push([mode, clients, times.length, percentile(times, 50).toFixed(1), percentile(times, 95).toFixed(1), ((times.length / wallMs) * 1000).toFixed(0), mib(rss.rss)]);
      }
    }
    const peak = rssOf(server.pid).peak;
    return [
      `fazhi serve bench, ${startedAt.toISOString()}: ${counts.documents} documents, ${counts.passages} passages (${o.dataDir})`,
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0]!.toFixed(1)} at start; clients in the bench process, server its own process; k=10, ${o.queries.length} queries cycled`,
      '',
      table(['mode', 'clients', 'requests', 'p50 ms', 'p95 ms', 'queries/s', 'server RSS after'], rows),
      '',
      `server RSS: ${mib(idle.rss)} after start (model, jieba, index loaded), peak ${mib(peak)}`,
    ].join('\n');
  } finally {
    server.stop();
  }
}
