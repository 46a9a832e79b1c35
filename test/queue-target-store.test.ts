// A batch is committed only into the store it was queued for. `fazhi ingest --queue --data-dir X`
// checks that the queue's writer writes to X, but only once a writer has bound the queue: a batch
// queued before any writer started was committed into whatever data directory the first writer
// came up with. Now each job names the producer's store and the writer refuses another one.
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Store } from '../search/store.ts';
import { runBatch } from '../workers/batch.ts';
import { CORPUS_FILES } from './helpers/cli.ts';
import { QUEUE_MODEL_DIR, useQueueInProcess } from './helpers/queueInProcess.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { snapshotStore } from './helpers/storeSnapshot.ts';

const FILES = CORPUS_FILES.slice(0, 2);

describe.skipIf(!redisServerAvailable())('the store a queued batch is for', () => {
  const bed = useQueueInProcess('target-store');

  /** Starts `fazhi ingest --queue` for `dataDir` with no writer running, and waits until its files are queued. */
  async function queuedWithoutWriter(dataDir: string) {
    const batch = runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: QUEUE_MODEL_DIR, files: FILES, onNotice: () => undefined });
    batch.catch(() => undefined);
    for (let i = 0; (await bed.client.queues.parse.getJobCounts('waiting')).waiting < FILES.length; i++) {
      if (i > 600) throw new Error('the producer did not queue its files');
      await sleep(50);
    }
    return { batch };
  }

  it('a writer started on another data directory stores nothing of it and fails it naming both directories', async () => {
    const wanted = path.join(bed.tempDir('producer'), 'data');
    const writerDir = bed.tempDir('writer');
    const { batch } = await queuedWithoutWriter(wanted);
    await bed.start(['parse', 'embed', 'write'], writerDir).ready;

    await expect(batch).rejects.toThrow(`the batch was not stored: ${wanted} is not the data directory this queue's writer writes to`);
    expect(snapshotStore(writerDir)).toEqual([]);
    const failures = await bed.client.state.failures();
    expect(failures.map((f) => f.source).sort()).toEqual([...FILES].sort());
    for (const f of failures) {
      expect(f.stage).toBe('write');
      expect(f.reason).toContain(`the batch is for the data directory ${wanted} (no queue writer has written it), but this queue's writer writes to ${writerDir}`);
    }
  });

  it('a store the producer knows by its id is told apart from another writer\'s store', async () => {
    const wanted = bed.tempDir('producer');
    const writerDir = bed.tempDir('writer');
    // Both stores were written by queue writers before (of another Redis, or before a flush).
    for (const dir of [wanted, writerDir]) {
      const store = Store.open(dir);
      store.setMeta('store_id', `store-of-${path.basename(dir)}`);
      store.close();
    }
    const { batch } = await queuedWithoutWriter(wanted);
    await bed.start(['parse', 'embed', 'write'], writerDir).ready;

    await expect(batch).rejects.toThrow('the batch was not stored');
    expect(snapshotStore(writerDir)).toEqual([]);
    for (const f of await bed.client.state.failures()) expect(f.reason).toContain(`(store store-of-${path.basename(wanted)})`);
  });

  it('the writer started on the same data directory afterwards stores it, whatever path each was given', async () => {
    const work = bed.tempDir('same');
    mkdirSync(path.join(work, 'real'));
    symlinkSync(path.join(work, 'real'), path.join(work, 'link'));
    // The producer names the data directory through a symlink, before it exists.
    const { batch } = await queuedWithoutWriter(path.join(work, 'link', 'data'));
    await bed.start(['parse', 'embed', 'write'], path.join(work, 'real', 'data')).ready;

    expect(await batch).toMatchObject({ added: FILES.length, failed: [] });
    expect(snapshotStore(path.join(work, 'real', 'data')).map((d) => d.source).sort()).toEqual([...FILES].sort());
  });
});
