// Exactly one writer, fenced: a writer paused (SIGSTOP) past its lock's ttl while a second one
// takes over is refused by the store when it resumes — nothing lost, nothing doubled — and the
// real `fazhi worker` writer exits non-zero instead of re-taking the lock.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder } from '../models/encoder.ts';
import { Store } from '../search/store.ts';
import { enqueueBatch, waitForBatch } from '../workers/batch.ts';
import { WRITER_LOCK_KEY } from '../workers/batchState.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { spawnWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const TTL_MS = 1000;

/** test/helpers/fencedWriter.ts as a process, with its output lines awaitable. */
function fencedWriter(redisUrl: string, dataDir: string) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/fencedWriter.ts', redisUrl, dataDir, String(TTL_MS)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(out);
      if (match) return match[0];
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} from the writer (exit ${child.exitCode}):\n${out}\n${err}`);
      await sleep(20);
    }
  };
  return { child, exited, waitFor, send: (line: string) => child.stdin!.write(`${line}\n`), stderr: () => err, stdout: () => out };
}

describe.skipIf(!redisServerAvailable())('writer fencing', () => {
  let fx: QueueFixture;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    fx = await startQueueFixture('fence');
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fx?.close();
  });

  it('refuses the commit of a writer resumed after a successor claimed the store', async () => {
    const { redis, dataDir } = fx;
    const a = fencedWriter(redis.url, dataDir);
    children.push(a.child);
    expect(await a.waitFor(/claimed epoch \d+/)).toBe('claimed epoch 1');
    a.send('a1');
    await a.waitFor(/committed \S+ added/);

    // Paused past its ttl: it cannot renew, the lock expires, a second writer takes it over.
    a.child.kill('SIGSTOP');
    const b = fencedWriter(redis.url, dataDir);
    children.push(b.child);
    expect(await b.waitFor(/claimed epoch \d+/)).toBe('claimed epoch 2');
    b.send('b1');
    await b.waitFor(/committed \S+b1\.txt added/);

    // Resumed, it still believes it writes: the store refuses inside the transaction.
    a.child.kill('SIGCONT');
    a.send('a2');
    expect(await a.exited).toBe(3);
    expect(a.stderr()).toMatch(/refused: .*another writer took over this data directory \(writer epoch 2, this process holds 1\)/);
    // It did not take the lock back either.
    expect(await fx.client.redis.get(WRITER_LOCK_KEY)).toMatch(new RegExp(`:${b.child.pid}:`));

    b.send('b2');
    await b.waitFor(/committed \S+b2\.txt added/);
    b.child.stdin!.end();
    expect(await b.exited, b.stderr()).toBe(0);

    const store = Store.openReadOnly(dataDir);
    try {
      const sources = store.documents().map((d) => path.basename(d.source).replace(/^\d+-\d+-/, ''));
      expect(sources.sort()).toEqual(['a1.txt', 'b1.txt', 'b2.txt']);
      expect(store.counts()).toEqual({ documents: 3, passages: 3, vectors: 3 });
    } finally {
      store.close();
    }
  });

  it('makes a fazhi worker writer paused mid-batch exit non-zero; its successor completes the batch exactly once', { timeout: 300_000 }, async () => {
    const { redis, client, work } = fx;
    const dataDir = path.join(work, 'batch-data');
    const sources = copySeeds(work, 4);
    const workers: WorkerProcess[] = [];
    const worker = (roles: string) => {
      const w = spawnWorker(['bin/fazhi.js', 'worker', '--data-dir', dataDir, '--model', MODEL_DIR, '--roles', roles, '--job-lock-ms', '3000', '--writer-lock-ms', String(TTL_MS)], redis.url);
      workers.push(w);
      fx.workers.push(w);
      return w;
    };
    const producer = worker('parse,embed');
    const first = worker('write');
    await Promise.all([producer.ready, first.ready]);

    const batchId = 'fence-test';
    const modelId = (await loadEncoder(MODEL_DIR)).modelId;
    await enqueueBatch(client, sources.map((source) => ({ source, bytes: readFileSync(source) })), { modelId, batchId, maxPending: sources.length });
    while ((await client.state.progress(batchId)).done < 3) await sleep(20);

    first.child.kill('SIGSTOP');
    const second = worker('write');
    await second.ready; // only once the paused writer's lock expired
    expect(second.stderr()).toMatch(/holding the writer lock/);
    await sleep(500);
    first.child.kill('SIGCONT');
    expect(await first.exited, first.stderr()).toBe(1);
    expect(first.stderr()).toMatch(/writer: (the writer lock was not renewed|another process holds the writer lock|.*another writer took over)/);
    expect(first.stderr()).toMatch(/exiting so that the supervisor restarts this worker/);

    const result = await waitForBatch(client, batchId);
    expect(result.failed).toEqual([]);
    expect(result.added + result.unchanged).toBe(sources.length);
    expectStoreHoldsExactly(dataDir, sources);

    for (const w of [producer, second]) w.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);
    expect(await producer.exited).toBe(0);
  });
});
