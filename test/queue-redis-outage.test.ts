// The field test's outage, as a supervisor sees it: Redis is killed mid-batch and stays down
// longer than the writer lock lives, then comes back. Every `fazhi worker` process must either
// be working again (beating, its BullMQ workers connected) or have exited non-zero within a
// bound, for the supervisor (here: this test, like docker-compose's `restart: unless-stopped`)
// to start it again. None may sit alive doing nothing, and the batch completes with every
// passage stored once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelId } from '../models/encoder.ts';
import { processBatch } from '../workers/batch.ts';
import { readHeartbeats, type HeartbeatView } from '../workers/heartbeat.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { isRunning, spawnWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const COPIES = 6; // 5 seeds × 6 = 30 documents
const DOWN_AFTER = 4; // committed files before Redis goes down
const WRITER_LOCK_MS = 2000;
/** Longer than the writer lock lives, shorter than --redis-down-ms (60 s). */
const DOWN_MS = 5000;
/**
 * After Redis is back, a process either beats again or has exited within this; one the
 * supervisor started in between gets the same time from its start.
 */
const SETTLE_MS = 20_000;
const STACK_LINE = /\n\s+at .+:\d+:\d+/;

interface Supervised {
  args: string[];
  current: WorkerProcess;
  /** When the current process was started. */
  startedAt: number;
  /** Exit codes of the processes the supervisor replaced. */
  exits: { code: number | null; stderr: string }[];
}

describe.skipIf(!redisServerAvailable())('queue mode: Redis down longer than the writer lock', () => {
  let fx: QueueFixture;
  let stopping = false;

  beforeAll(async () => {
    fx = await startQueueFixture('outage', { persist: true });
  });

  afterAll(async () => {
    stopping = true;
    await fx?.close();
  });

  /** Starts `fazhi worker` and starts it again whenever it exits non-zero. */
  function supervise(args: string[]): Supervised {
    const start = () => {
      const w = spawnWorker(['bin/fazhi.js', 'worker', '--model', MODEL_DIR, '--job-lock-ms', '4000', ...args], fx.redis.url);
      fx.workers.push(w);
      w.exited.then((code) => {
        if (stopping || code === 0) return;
        s.exits.push({ code, stderr: w.stderr() });
        s.current = start();
        s.startedAt = Date.now();
      });
      return w;
    };
    const s: Supervised = { args, current: undefined as unknown as WorkerProcess, startedAt: Date.now(), exits: [] };
    s.current = start();
    return s;
  }

  it('no worker is left alive doing nothing: each works again or exited non-zero, and the batch completes', async () => {
    const { redis, client, work, dataDir } = fx;
    const sources = copySeeds(work, COPIES);
    const procs = [
      supervise(['--data-dir', dataDir, '--roles', 'parse,embed,write', '--writer-lock-ms', String(WRITER_LOCK_MS)]),
      supervise(['--roles', 'parse,embed']),
    ];
    await Promise.all(procs.map((p) => p.current.ready));

    const batchId = 'outage-test';
    const batch = processBatch(client, sources.map((source) => ({ source, bytes: readFileSync(source) })), { batchId, modelId: await readModelId(MODEL_DIR), maxPending: 8 });
    batch.catch(() => undefined);
    let before = await client.state.progress(batchId).catch(() => ({ done: 0 }));
    while (before.done < DOWN_AFTER) {
      await sleep(50);
      before = await client.state.progress(batchId).catch(() => ({ done: 0 }));
    }
    await redis.restart({ signal: 'SIGKILL', downMs: DOWN_MS });
    expect((await client.state.progress(batchId)).done, 'Redis must go down mid-batch').toBeLessThan(sources.length);

    // Within the bound, every process that is running beats again after the restart.
    const backAt = Date.now();
    const beatingAgain = (beats: HeartbeatView[], p: Supervised) => beats.some((b) => b.pid === p.current.child.pid && b.beating && Date.parse(b.at) > backAt);
    let beats = await readHeartbeats(client.redis, 6000);
    for (;;) {
      const late = procs.filter((p) => !beatingAgain(beats, p));
      const allowed = late.every((p) => Date.now() - Math.max(backAt, p.startedAt) < SETTLE_MS);
      if (late.length === 0 || !allowed) break;
      await sleep(500);
      beats = await readHeartbeats(client.redis, 6000);
    }
    for (const p of procs) {
      for (const exit of p.exits) {
        expect(exit.code, exit.stderr).toBe(1);
        expect(exit.stderr).toMatch(/worker: .*; exiting so that the supervisor restarts this worker/);
        expect(exit.stderr).not.toMatch(STACK_LINE);
      }
      expect(isRunning(p.current), p.current.stderr()).toBe(true);
      const beat = beats.find((b) => b.pid === p.current.child.pid);
      expect(beat, `pid ${p.current.child.pid} is alive but not beating:\n${p.current.stderr()}`).toMatchObject({ beating: true });
      expect(Date.parse(beat!.at)).toBeGreaterThan(backAt);
    }
    // And consumes: its BullMQ workers are connected (a replacement may still be starting up).
    const connected = async () => {
      const [parse, embed, write] = await Promise.all([client.queues.parse, client.queues.embed, client.queues.write].map((q) => q.getWorkersCount()));
      return { parse, embed, write };
    };
    let counts = await connected();
    for (let i = 0; i < 40 && counts.write + counts.parse + counts.embed < 5; i++) {
      await sleep(500);
      counts = await connected();
    }
    expect(counts).toEqual({ parse: 2, embed: 2, write: 1 });

    const result = await batch;
    expect(result.failed).toEqual([]);
    expect(result.added + result.unchanged).toBe(sources.length);
    expectStoreHoldsExactly(dataDir, sources);

    stopping = true;
    for (const p of procs) p.current.child.kill('SIGTERM');
    for (const p of procs) expect(await p.current.exited, p.current.stderr()).toBe(0);
    expect(await client.redis.get('fazhi:writer-lock')).toBeNull();
  });
});
