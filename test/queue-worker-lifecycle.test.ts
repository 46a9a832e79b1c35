// `fazhi worker` processes never linger: after any Redis outage they reconnect or exit non-zero
// within a bound, SIGTERM drains and exits within docker-compose's grace period (even with
// Redis gone), a lost writer lock ends the writer with one clear line, and every process beats:
// `fazhi status` lists the last heartbeat, `fazhi health` answers docker-compose's healthcheck.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readModelId } from '../models/encoder.ts';
import { DEFAULT_DRAIN_MS } from '../workers/runWorkers.ts';
import { enqueueBatch, queueStatus, waitForBatch } from '../workers/batch.ts';
import { readHeartbeats } from '../workers/heartbeat.ts';
import { copySeeds, expectStoreHoldsExactly } from './helpers/batchFiles.ts';
import { fazhi } from './helpers/cli.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { isRunning, spawnWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
/** docker-compose.yml's stop_grace_period for the worker services (one value, in the x-worker block). */
const COMPOSE_GRACE_MS = (() => {
  const periods = [...readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]) * 1000);
  if (periods.length !== 1) throw new Error(`docker-compose.yml: expected one stop_grace_period, found ${periods.length}`);
  return periods[0]!;
})();
/** A stack trace line: what a user must never get instead of a reason. */
const STACK_LINE = /\n\s+at .+:\d+:\d+/;

async function exitWithin(w: WorkerProcess, ms: number): Promise<{ code: number | null; ms: number } | 'still running'> {
  const start = Date.now();
  const code = await Promise.race([w.exited, sleep(ms).then(() => 'still running' as const)]);
  return code === 'still running' ? code : { code, ms: Date.now() - start };
}

describe.skipIf(!redisServerAvailable())('fazhi worker lifecycle', () => {
  let fx: QueueFixture;
  const tmp: string[] = [];

  beforeAll(async () => {
    fx = await startQueueFixture('lifecycle', { persist: true });
  });

  afterEach(async () => {
    for (const w of fx.workers.splice(0)) if (isRunning(w)) w.child.kill('SIGKILL');
    await fx.client.redis.flushall().catch(() => undefined);
  });

  afterAll(async () => {
    await fx?.close();
    for (const dir of tmp) rmSync(dir, { recursive: true, force: true });
  });

  const worker = (args: string[]) => {
    const w = spawnWorker(['bin/fazhi.js', 'worker', '--model', MODEL_DIR, ...args], fx.redis.url);
    fx.workers.push(w);
    return w;
  };

  it('beats while alive: status lists each process with its last heartbeat, fazhi health answers, a killed one stops beating', async () => {
    const healthFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'fazhi-health-')), 'worker.json');
    tmp.push(path.dirname(healthFile));
    const stages = worker(['--roles', 'parse,embed', '--health-file', healthFile]);
    const writer = worker(['--roles', 'write', '--data-dir', fx.dataDir]);
    await Promise.all([stages.ready, writer.ready]);
    await sleep(500);

    const status = await queueStatus(fx.redis.url);
    if ('error' in status) throw new Error(status.error);
    const pids = status.processes.map((p) => p.pid).sort();
    expect(pids).toEqual([stages.child.pid, writer.child.pid].sort());
    for (const p of status.processes) expect(p).toMatchObject({ state: 'ready', beating: true });
    expect(status.processes.find((p) => p.pid === writer.child.pid)).toMatchObject({ roles: ['write'], dataDir: fx.dataDir });

    const text = fazhi(['status', '--data-dir', fx.dataDir, '--model', MODEL_DIR], { REDIS_URL: fx.redis.url });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`pid ${stages.child.pid} \\[parse,embed\\] ready, last heartbeat \\d+ s ago\\n`));

    const healthy = fazhi(['health', '--health-file', healthFile]);
    expect(healthy.code, healthy.stderr).toBe(0);

    stages.child.kill('SIGKILL');
    await stages.exited;
    const unhealthy = fazhi(['health', '--health-file', healthFile]);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stderr).toMatch(`worker pid ${stages.child.pid} is not running`);
    // Killed without a goodbye: its record stays, and it is seen to stop beating while the
    // writer goes on (one beat every 5 s).
    await sleep(7000);
    const views = await readHeartbeats(fx.client.redis, 6000);
    expect(views.find((v) => v.pid === stages.child.pid)!.ageMs).toBeGreaterThanOrEqual(7000);
    expect(views.find((v) => v.pid === stages.child.pid)).toMatchObject({ beating: false });
    expect(views.find((v) => v.pid === writer.child.pid)).toMatchObject({ beating: true });

    // A clean stop removes its record.
    writer.child.kill('SIGTERM');
    expect(await writer.exited, writer.stderr()).toBe(0);
    expect((await readHeartbeats(fx.client.redis, 1000)).map((v) => v.pid)).not.toContain(writer.child.pid);
  });

  it('the default drain ends well inside docker-compose\'s stop grace period', () => {
    // 5 s for a forced close after the drain, and some for the process to end.
    expect(DEFAULT_DRAIN_MS + 5000).toBeLessThan(COMPOSE_GRACE_MS - 3000);
  });

  it('SIGTERM in the middle of a batch drains the running jobs and exits 0 well within the grace period', async () => {
    const sources = copySeeds(fx.work, 3);
    const w = worker(['--roles', 'parse,embed,write', '--data-dir', fx.dataDir]);
    await w.ready;
    await enqueueBatch(fx.client, sources.map((source) => ({ source, bytes: readFileSync(source) })), { modelId: await readModelId(MODEL_DIR), batchId: 'drain' });
    let progress = await fx.client.state.progress('drain');
    while (progress.done < 2) {
      await sleep(50);
      progress = await fx.client.state.progress('drain');
    }
    w.child.kill('SIGTERM');
    const exit = await exitWithin(w, COMPOSE_GRACE_MS);
    expect(exit, w.stderr()).not.toBe('still running');
    expect(exit).toMatchObject({ code: 0 });
    expect(w.stderr()).toMatch(/SIGTERM, (finishing \d+ running job|stopping)/);
    expect(await fx.client.redis.get('fazhi:writer-lock')).toBeNull();
    const drained = await fx.client.state.progress('drain');
    expect(drained.done, 'the batch must not have finished before the stop').toBeLessThan(sources.length);

    // Nothing was lost: a new worker finishes the batch with every document once.
    const next = worker(['--roles', 'parse,embed,write', '--data-dir', fx.dataDir, '--job-lock-ms', '3000']);
    await next.ready;
    expect((await waitForBatch(fx.client, 'drain')).failed).toEqual([]);
    expectStoreHoldsExactly(fx.dataDir, sources);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('a writer whose lock another process took stops with one clear line and exit 1, no trace', async () => {
    const w = worker(['--roles', 'write', '--data-dir', fx.dataDir, '--writer-lock-ms', '900']);
    await w.ready;
    await fx.client.redis.set('fazhi:writer-lock', 'intruder');
    const exit = await exitWithin(w, 10_000);
    expect(exit, w.stderr()).toMatchObject({ code: 1 });
    expect(w.stderr()).toMatch(/worker: writer: .*writer lock.*; exiting so that the supervisor restarts this worker/);
    expect(w.stderr()).not.toMatch(STACK_LINE);
    expect(await fx.client.redis.get('fazhi:writer-lock')).toBe('intruder');
  });

  it('SIGTERM while Redis is down: exits within --drain-ms plus a bounded close, not never', async () => {
    const w = worker(['--roles', 'parse,embed', '--drain-ms', '2000']);
    await w.ready;
    const restarted = fx.redis.restart({ signal: 'SIGKILL', downMs: 20_000 });
    await sleep(500);
    w.child.kill('SIGTERM');
    // Bound: the 2 s drain, then at most 5 s to close what can be closed.
    const exit = await exitWithin(w, 2000 + 5000 + 4000);
    expect(exit, w.stderr()).not.toBe('still running');
    expect(w.stderr()).not.toMatch(STACK_LINE);
    await restarted;
  });

  it('Redis gone for longer than --redis-down-ms: every worker exits 1 with the reason, none is left hanging', async () => {
    const stages = worker(['--roles', 'parse,embed', '--redis-down-ms', '3000']);
    const writer = worker(['--roles', 'write', '--data-dir', fx.dataDir, '--redis-down-ms', '3000', '--writer-lock-ms', '2000']);
    await Promise.all([stages.ready, writer.ready]);
    // Down 12 s, then back: the processes must have given up on their own before it returns.
    const restarted = fx.redis.restart({ signal: 'SIGKILL', downMs: 12_000 });
    // Bound: 3 s of silence, noticed at the next 5 s self-check, plus at most 5 s to close.
    // The writer may notice its unrenewable lock (2 s) before the Redis silence: either reason.
    const reasons = { stages: /worker: Redis at redis:\/\/127\.0\.0\.1:\d+ has not answered for \d+ s/, writer: /worker: (Redis at .* has not answered for \d+ s|writer: .*writer lock.*)/ };
    for (const [name, w] of [['stages', stages], ['writer', writer]] as const) {
      const exit = await exitWithin(w, 3000 + 5000 + 5000 + 4000);
      expect(exit, w.stderr()).toMatchObject({ code: 1 });
      expect(w.stderr()).toMatch(reasons[name]);
      expect(w.stderr()).toMatch(/; exiting so that the supervisor restarts this worker/);
      expect(w.stderr()).not.toMatch(STACK_LINE);
    }
    await restarted;
  });
});
