// One writer per data directory across modes: while a `fazhi worker` writer holds a data
// directory, the embedded writers (`fazhi ingest`, `remove`, `reindex` without --queue) refuse
// with a message saying so and leave the store and the queue's writer as they were; once the
// worker has stopped they go through. Real redis-server, real worker and CLI processes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../search/store.ts';
import { copySeeds } from './helpers/batchFiles.ts';
import { fazhi, ROOT } from './helpers/cli.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { isRunning, spawnWorker } from './helpers/workerProcess.ts';

const MODEL_DIR = path.join(ROOT, 'models/fazhi-mini-zh');
const TTL_MS = 1000;

function documentCount(dataDir: string): number {
  const store = Store.openReadOnly(dataDir);
  try {
    return store.counts().documents;
  } finally {
    store.close();
  }
}

describe.skipIf(!redisServerAvailable())('embedded writers and a queue writer on one data directory', () => {
  let fx: QueueFixture;

  beforeAll(async () => {
    fx = await startQueueFixture('modes');
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('refuses embedded ingest, remove and reindex while `fazhi worker` writes; they go through once it stopped', { timeout: 180_000 }, async () => {
    const { redis, work, dataDir } = fx;
    const [first, second] = copySeeds(work, 1) as [string, string];
    const cli = (args: string[]) => fazhi([...args, '--data-dir', dataDir, '--model', MODEL_DIR]);

    // A store with one report, written in embedded mode before any queue writer ran.
    expect(cli(['ingest', first]).code).toBe(0);

    const writer = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'write', '--data-dir', dataDir, '--writer-lock-ms', String(TTL_MS)], redis.url);
    fx.workers.push(writer);
    await writer.ready;

    // Each refusal says what that command can do instead: only ingest and reindex have a queue mode.
    const instead: [string[], string][] = [
      [['ingest', second], 'ingest through it with --queue, or stop it first'],
      [['remove', first], '`fazhi remove` has no queue mode: stop the writer first, then remove'],
      [['reindex'], 'reindex through it with `fazhi reindex --queue`, or stop it first'],
    ];
    for (const [args, advice] of instead) {
      const r = cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`a queue writer \\(\`fazhi worker\` \\S+:${writer.child.pid}:\\S+\\) is writing to this data directory \\(its hold ends at most \\d+ s after it stops\\); `));
      expect(r.stderr, args.join(' ')).toContain(advice);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(documentCount(dataDir)).toBe(1);
    // Read commands answer meanwhile: they only read.
    for (const args of [['list', '--json'], ['status', '--json']]) {
      const r = cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(JSON.parse(cli(['list', '--json']).stdout).reports).toHaveLength(1);
    // The refusals claimed nothing: the worker renews its hold (a fenced renewal would end it).
    await sleep(3 * TTL_MS);
    expect(isRunning(writer), writer.stderr()).toBe(true);

    writer.child.kill('SIGTERM');
    expect(await writer.exited, writer.stderr()).toBe(0);
    const r = cli(['ingest', second]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 added/);
    expect(cli(['remove', first]).code).toBe(0);
    expect(documentCount(dataDir)).toBe(1);
  });

  it('`model use` refuses before selecting while `fazhi worker` writes; the queue path it names switches and selects the model', { timeout: 180_000 }, async () => {
    const { redis, work } = fx;
    const dataDir = path.join(work, 'switch-data');
    // Another data directory: unbind the queue from the first test's.
    await fx.client.redis.flushall();
    const report = path.join(ROOT, 'corpus/004_e41503e62c4741d1.txt');
    expect(fazhi(['ingest', report, '--data-dir', dataDir, '--model', MODEL_DIR]).code).toBe(0);
    const modelIds = () => (JSON.parse(fazhi(['status', '--json', '--data-dir', dataDir, '--model', MODEL_DIR]).stdout) as { models: { modelId: string }[] }).models.map((m) => m.modelId);
    expect(modelIds()).toEqual([expect.stringMatching(/^fazhi-mini-zh@/)]);
    // The ingest named its model, so the data dir selects it.
    const config = path.join(dataDir, 'config.json');
    const selected = readFileSync(config, 'utf8');
    expect(JSON.parse(selected)).toEqual({ model: MODEL_DIR });

    const target = 'bge-small-zh-v1.5';
    const worker = spawnWorker(['bin/fazhi.js', 'worker', '--data-dir', dataDir, '--model', target, '--writer-lock-ms', String(TTL_MS)], redis.url);
    fx.workers.push(worker);
    await worker.ready;

    const use = fazhi(['model', 'use', target, '--data-dir', dataDir]);
    expect(use.code, use.stderr).toBe(1);
    expect(use.stderr).not.toContain('selected model');
    expect(use.stderr).toContain(
      `nothing was changed; stop it first, or switch through the queue: restart the embed workers with \`--model ${target}\`, then run \`fazhi reindex --queue --model ${target}\``,
    );
    expect(readFileSync(config, 'utf8')).toBe(selected);
    expect(modelIds()).toEqual([expect.stringMatching(/^fazhi-mini-zh@/)]);

    // The embed worker already runs the target model: the reindex the refusal names goes through it.
    const reindex = fazhi(['reindex', '--queue', '--model', target, '--data-dir', dataDir], { REDIS_URL: redis.url });
    expect(reindex.code, reindex.stderr).toBe(0);
    expect(reindex.stderr).toContain(`selected model ${target} for ${dataDir}`);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'config.json'), 'utf8'))).toEqual({ model: target });
    // Commands without --model now use it, and the store holds only its vectors.
    const search = fazhi(['search', '述法', '--data-dir', dataDir, '--k', '1']);
    expect(search.code, search.stderr).toBe(0);
    expect(modelIds()).toEqual([expect.stringMatching(/^bge-small-zh-v1\.5/)]);

    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr()).toBe(0);
  });

  it('an embedded writer refuses a worker SIGKILLed a moment ago, and goes through once its hold lapsed', { timeout: 120_000 }, async () => {
    const { redis, work } = fx;
    const dataDir = path.join(work, 'killed-data');
    // Another data directory: unbind the queue from the first test's.
    await fx.client.redis.flushall();
    const [file] = copySeeds(work, 1) as [string];
    // Long enough for the CLI's start below to fall inside it on a loaded machine.
    const ttlMs = 15_000;
    const writer = spawnWorker(['bin/fazhi.js', 'worker', '--roles', 'write', '--data-dir', dataDir, '--writer-lock-ms', String(ttlMs)], redis.url);
    fx.workers.push(writer);
    await writer.ready;
    writer.child.kill('SIGKILL');
    const killedAt = Date.now();
    await writer.exited;
    const cli = () => fazhi(['ingest', file, '--data-dir', dataDir, '--model', MODEL_DIR]);
    // A dead writer cannot say it is dead: its hold lasts at most the lock's ttl.
    const refused = cli();
    expect(Date.now() - killedAt).toBeLessThan(ttlMs);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a queue writer .* is writing to this data directory/);
    await sleep(Math.max(0, killedAt + ttlMs - Date.now()));
    const r = cli();
    expect(r.code, r.stderr).toBe(0);
    expect(documentCount(dataDir)).toBe(1);
  });
});
