// `fazhi worker` at startup: "ready" only once Redis answers, a Redis that never does given up on
// at --redis-down-ms (not at the next 5 s beat), a data directory it cannot use refused as bad
// input (exit 2, naming the path) rather than an exit 1 that its supervisor restarts forever, and
// no heartbeat record left behind by a worker that failed to start.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Store, STORE_FILE } from '../search/store.ts';
import { HEARTBEATS_KEY } from '../workers/heartbeat.ts';
import { ROOT } from './helpers/cli.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { redisServerAvailable, startRedisServer } from './helpers/redis.ts';
import { isRunning, spawnWorker, type WorkerProcess } from './helpers/workerProcess.ts';

/** Root ignores file modes: as root, the runs that must not write drop to nobody. */
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const STACK_LINE = /\n\s+at .+:\d+:\d+/;

async function exitOf(w: WorkerProcess, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([w.exited, sleep(ms).then(() => 'still running' as const)]);
}

describe.skipIf(!redisServerAvailable())('fazhi worker startup', () => {
  let fx: QueueFixture;

  beforeAll(async () => {
    fx = await startQueueFixture('startup');
    // nobody must reach the data directories under it.
    chmodSync(fx.work, 0o755);
  });

  afterEach(async () => {
    for (const w of fx.workers.splice(0)) if (isRunning(w)) w.child.kill('SIGKILL');
    await fx.client.redis.flushall();
  });

  afterAll(async () => {
    if (!fx) return;
    // Writable again, so that the folder can be removed by a user that is not root.
    for (const dir of ['locked', 'read-only'].map((name) => path.join(fx.work, name))) if (existsSync(dir)) chmodSync(dir, 0o755);
    await fx.close();
  });

  const writer = (dataDir: string) => {
    const w = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'write', '--data-dir', dataDir], fx.redis.url);
    fx.workers.push(w);
    return w;
  };

  /** A writer run as a user that cannot write `dataDir` (nobody when the tests run as root). */
  const writerWithoutWriteAccess = (dataDir: string): WorkerProcess => {
    const child = spawn(process.execPath, ['bin/fazhi.js', 'worker', '--roles', 'write', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: fx.redis.url, HOME: fx.work },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...NOBODY,
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const w: WorkerProcess = { child, ready: Promise.resolve(), exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stderr: () => err };
    fx.workers.push(w);
    return w;
  };

  it('a data directory that is a file is bad input: exit 2 naming it, not a restart loop', async () => {
    const file = path.join(fx.work, 'not-a-dir');
    writeFileSync(file, 'x');
    const w = writer(file);
    expect(await exitOf(w, 30_000), w.stderr()).toBe(2);
    expect(w.stderr()).toContain(`worker: ${file}: exists and is not a directory`);
    expect(w.stderr()).not.toMatch(/supervisor restarts/);
    expect(w.stderr()).not.toMatch(STACK_LINE);
  });

  it('a data directory it cannot create, or a store it cannot write, is bad input naming the path', async () => {
    const locked = path.join(fx.work, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const unwritable = writerWithoutWriteAccess(path.join(locked, 'data'));
    expect(await exitOf(unwritable, 30_000), unwritable.stderr()).toBe(2);
    expect(unwritable.stderr()).toContain(`worker: ${path.join(locked, 'data')}: permission denied`);

    const readOnly = path.join(fx.work, 'read-only');
    Store.open(readOnly).close();
    chmodSync(path.join(readOnly, STORE_FILE), 0o444);
    chmodSync(readOnly, 0o555);
    const w = writerWithoutWriteAccess(readOnly);
    expect(await exitOf(w, 30_000), w.stderr()).toBe(2);
    // Not just SQLite's "attempt to write a readonly database": which store.
    expect(w.stderr()).toContain(`worker: ${path.join(readOnly, STORE_FILE)}: cannot write to the store`);
    expect(w.stderr()).not.toMatch(STACK_LINE);
  });

  it('a worker that failed at startup leaves no heartbeat record behind', async () => {
    const file = path.join(fx.work, 'also-not-a-dir');
    writeFileSync(file, 'x');
    for (let i = 0; i < 3; i++) {
      const w = writer(file);
      expect(await exitOf(w, 30_000), w.stderr()).not.toBe('still running');
    }
    await sleep(500);
    expect(await fx.client.redis.hgetall(HEARTBEATS_KEY)).toEqual({});
  });

  it('with Redis unreachable: never says ready, and gives up at --redis-down-ms', async () => {
    const gone = await startRedisServer();
    await gone.stop();
    const w = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'parse', '--redis-down-ms', '3000'], gone.url);
    fx.workers.push(w);
    expect(await exitOf(w, 30_000), w.stderr()).toBe(1);
    expect(w.stderr()).not.toMatch(/ready on/);
    expect(w.stderr()).toMatch(new RegExp(`worker: Redis at ${gone.url} has not answered for 3 s; exiting so that the supervisor restarts this worker`));
  });
});
