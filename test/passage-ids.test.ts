// Passage ids are what users, `similar` and the API hold on to: reindexing with another model
// keeps them, in embedded mode (stored texts re-embedded) and in queue mode (the files sent
// through the workers again), with real worker processes and the real CLI.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../search/store.ts';
import { fazhiAsync, ROOT } from './helpers/cli.ts';
import { startQueueFixture, type QueueFixture } from './helpers/queueFixture.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { spawnWorker } from './helpers/workerProcess.ts';

const BUNDLED = path.join(ROOT, 'models/fazhi-mini-zh');
const FILES = ['corpus/000_58c1e1fb0637adbd.txt', 'corpus/003_49b691710f879f5c.txt'];

function passageIds(dataDir: string): { ids: Record<string, number[]>; models: string[] } {
  const store = Store.openReadOnly(dataDir);
  try {
    const ids = Object.fromEntries(store.documents().map((d) => [d.source, store.passageIdsOf(d.id)]));
    return { ids, models: store.modelsInUse().map((m) => m.modelId) };
  } finally {
    store.close();
  }
}

describe.skipIf(!redisServerAvailable())('passage ids across reindex', () => {
  let fx: QueueFixture;
  let otherModel: string;

  beforeAll(async () => {
    fx = await startQueueFixture('ids');
    // The bundled model's files under another directory: another model id, same dimension.
    otherModel = path.join(fx.work, 'other-zh');
    mkdirSync(path.join(otherModel, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) copyFileSync(path.join(BUNDLED, f), path.join(otherModel, f));
  });

  afterAll(() => fx?.close());

  it('keeps every passage id through a queue reindex and an embedded one', { timeout: 300_000 }, async () => {
    const { redis, dataDir } = fx;
    const env = { REDIS_URL: redis.url };
    const worker = (model: string) => {
      const w = spawnWorker(['bin/fazhi.js', 'worker', '--data-dir', dataDir, '--model', model, '--roles', 'parse,embed,write'], redis.url);
      fx.workers.push(w);
      return w;
    };
    const first = worker(BUNDLED);
    await first.ready;
    const ingest = await fazhiAsync(['ingest', '--queue', ...FILES, '--data-dir', dataDir, '--model', BUNDLED], env);
    expect(ingest.code, ingest.stderr).toBe(0);
    const before = passageIds(dataDir);
    expect(Object.keys(before.ids)).toHaveLength(2);
    expect(before.models).toEqual([expect.stringMatching(/^fazhi-mini-zh/)]);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Queue mode: the files go through workers running the other model.
    const second = worker(otherModel);
    await second.ready;
    const queued = await fazhiAsync(['reindex', '--queue', '--data-dir', dataDir, '--model', otherModel], env);
    expect(queued.code, queued.stderr).toBe(0);
    const afterQueue = passageIds(dataDir);
    expect(afterQueue.models).toEqual(['other-zh']);
    expect(afterQueue.ids).toEqual(before.ids);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // Embedded mode, back to the bundled model.
    const embedded = await fazhiAsync(['reindex', '--data-dir', dataDir, '--model', BUNDLED]);
    expect(embedded.code, embedded.stderr).toBe(0);
    const afterEmbedded = passageIds(dataDir);
    expect(afterEmbedded.models).toEqual([expect.stringMatching(/^fazhi-mini-zh/)]);
    expect(afterEmbedded.ids).toEqual(before.ids);

    // An id seen before the reindexes still names its passage.
    const id = Object.values(before.ids)[0]![0]!;
    const similar = await fazhiAsync(['similar', String(id), '--data-dir', dataDir, '--model', BUNDLED, '--k', '2', '--json']);
    expect(similar.code, similar.stderr).toBe(0);
  });
});
