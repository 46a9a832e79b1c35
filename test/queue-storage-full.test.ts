// A queue writer whose disk filled up fails the commits of that moment ("database or disk is
// full", after its retries) and commits again once space is back; a rerun of the same files
// started right after that is tried again, not answered with the failure of the full disk.
// The full disk is SQLite's own limit on the writer's connection (max_page_count): growing the
// store fails with SQLITE_FULL exactly as on a full file system, and raising the limit frees it.
import type Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Store } from '../search/store.ts';
import { processBatch } from '../workers/batch.ts';
import { CORPUS_FILES } from './helpers/cli.ts';
import { useQueueInProcess } from './helpers/queueInProcess.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { snapshotStore } from './helpers/storeSnapshot.ts';

describe.skipIf(!redisServerAvailable())('queue writer on a full disk', () => {
  const bed = useQueueInProcess('storage-full');

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('commits again once space is back, and a rerun started at once is tried again', async () => {
    const dataDir = bed.tempDir('data');
    // The writer's own connection: the page limit is a setting of the connection, not of the file.
    const opened: Store[] = [];
    const open = Store.open.bind(Store);
    vi.spyOn(Store, 'open').mockImplementation((dir, options) => {
      const store = open(dir, options);
      opened.push(store);
      return store;
    });
    await bed.start(['parse', 'embed', 'write'], dataDir).ready;
    expect(opened).toHaveLength(1);
    const db = (opened[0] as unknown as { db: Database.Database }).db;
    const pages = db.pragma('page_count', { simple: true }) as number;

    const source = CORPUS_FILES[0]!;
    const batch = () => processBatch(bed.client, [{ source, bytes: readFileSync(source) }], { modelId: bed.encoder.modelId });

    db.pragma(`max_page_count = ${pages}`);
    const full = await batch();
    expect(full).toMatchObject({ added: 0, failed: [{ source, stage: 'write', reason: 'database or disk is full' }] });
    expect(snapshotStore(dataDir)).toEqual([]);

    // Space is back; the same file is ingested again right away (well within the 15 s for which
    // Redis keeps a settled file's outcome for late batches).
    db.pragma('max_page_count = 1073741823');
    const again = await batch();
    expect(again).toMatchObject({ added: 1, failed: [] });
    expect(snapshotStore(dataDir).map((d) => d.source)).toEqual([source]);
  });
});
