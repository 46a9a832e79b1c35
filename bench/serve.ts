// `npm run bench -- --serve --data-dir DIR`: starts `fazhi serve` on DIR (read-only) as its own
// process and measures GET /api/search from 1 and 8 concurrent HTTP clients per search mode:
// latency p50/p95, queries/s, the server's CPU time per query and its RSS (current and peak, from /proc).
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
  /** `fazhi serve --workers` values to measure, one server start each. */
  workers: readonly number[];
}

/** RSS and peak RSS of a process and its children (the cluster's worker processes), summed. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const own = { rss: kb('VmRSS'), peak: kb('VmHWM') };
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.map(rssOf).reduce((a, b) => ({ rss: a.rss + b.rss, peak: a.peak + b.peak }), own);
}

/**
 * CPU time (user + system, ms) of a process and its children so far. On a shared machine wall-clock
 * latency mostly measures the other processes; the server's CPU time per query barely moves with them.
 */
function cpuMsOf(pid: number): number {
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  const own = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.map(cpuMsOf).reduce((a, b) => a + b, own);
}
/** USER_HZ (`getconf CLK_TCK`): 100 on x86 and arm Linux. */
const CLOCK_TICKS_PER_S = 100;

async function startServer(o: ServeBenchOptions, workers: number): Promise<{ url: string; pid: number; stop(): void }> {
  const args = [path.join(REPO_ROOT, 'bin', 'fazhi.js'), 'serve', '--data-dir', o.dataDir, '--port', '0', '--rate-limit', '0', '--workers', String(workers), ...(o.model ? ['--model', o.model] : [])];
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
  const load = os.loadavg()[0]!.toFixed(1);
  const rows: (string | number)[][] = [];
  const memory: string[] = [];
  for (const workers of o.workers) {
    const server = await startServer(o, workers);
    // Every worker process answers the warm-up, so none pays its first query inside the measurement.
    await measure(server.url, 'hybrid', o.queries, o.queries.length * workers, workers);
    const idle = rssOf(server.pid);
    try {
      for (const mode of ['hybrid', 'lexical', 'dense']) {
        await measure(server.url, mode, o.queries, o.queries.length, 1);
        for (const clients of o.clients) {
          const cpuBefore = cpuMsOf(server.pid);
          const { times, wallMs } = await measure(server.url, mode, o.queries, o.requests, clients);
          const cpuPerQuery = (cpuMsOf(server.pid) - cpuBefore) / times.length;
          rows.push([workers, mode, clients, times.length, percentile(times, 50).toFixed(1), percentile(times, 95).toFixed(1), ((times.length / wallMs) * 1000).toFixed(0), cpuPerQuery.toFixed(1), mib(rssOf(server.pid).rss)]);
        }
      }
      memory.push(`--workers ${workers}: server RSS ${mib(idle.rss)} after start and warm-up (model, jieba, index loaded), peak ${mib(rssOf(server.pid).peak)} (all its processes)`);
    } finally {
      server.stop();
    }
  }
  return [
    `fazhi serve bench, ${startedAt.toISOString()}: ${counts.documents} documents, ${counts.passages} passages (${o.dataDir})`,
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${load} at start; clients in the bench process, server in its own; k=10, ${o.queries.length} queries cycled`,
    '',
    table(['server processes', 'mode', 'clients', 'requests', 'p50 ms', 'p95 ms', 'queries/s', 'server CPU ms/query', 'server RSS after'], rows),
    '',
    ...memory,
  ].join('\n');
}
