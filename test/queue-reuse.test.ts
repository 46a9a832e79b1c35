// Queue mode embeds only what the store lacks: a changed or re-parsed file's passages whose text
// the store already holds vectors for (same source, same model) are not embedded again; the
// writer takes their vectors from the store. Real redis-server, pipeline, model (fazhi-mini-zh)
// and SQLite store; only the encoder is wrapped, to count what it is asked to embed.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import { Store } from '../search/store.ts';
import { enqueueBatch, runBatch, waitForBatch } from '../workers/batch.ts';
import { ROOT } from './helpers/cli.ts';
import { QUEUE_MODEL_DIR as MODEL_DIR, useQueueInProcess } from './helpers/queueInProcess.ts';
import { redisServerAvailable } from './helpers/redis.ts';

const REPORT = path.join(ROOT, 'corpus', '000_58c1e1fb0637adbd.txt');

describe.skipIf(!redisServerAvailable())('queue mode re-uses stored vectors', () => {
  /** Texts the model was asked to embed since the counter was last reset. */
  let embeddedTexts: string[] = [];
  const bed = useQueueInProcess('queue-reuse', {
    encoder: (model) => ({
      ...model,
      embedPassages: (texts) => {
        embeddedTexts.push(...texts);
        return model.embedPassages(texts);
      },
    }),
  });
  const { tempDir, start } = bed;
  const onDisk = <T>(dataDir: string, run: (db: Database.Database) => T): T => {
    const db = new Database(path.join(dataDir, 'fazhi.sqlite'));
    try {
      return run(db);
    } finally {
      db.close();
    }
  };
  /** Until the file has gone through parse and embed while no writer runs. */
  const writeJobWaiting = async () => {
    for (let i = 0; i < 600; i++) {
      if ((await bed.client.queues.write.getJobCounts('waiting')).waiting > 0) return;
      await sleep(100);
    }
    throw new Error('no write job arrived');
  };
  /** Each passage's text with its stored vector. */
  const storedVectors = (dataDir: string) =>
    new Map(
      onDisk(dataDir, (db) => db.prepare(`SELECT p.text, v.data FROM passages p JOIN vectors v ON v.passage_id = p.id`).all() as { text: string; data: Buffer }[]).map(
        (row) => [row.text, row.data],
      ),
    );

  beforeEach(() => {
    embeddedTexts = [];
  });

  it('an edited file embeds only its changed passage; one parsed by an earlier parser embeds nothing', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const file = path.join(work, 'report.txt');
    const raw = readFileSync(REPORT, 'utf8');
    writeFileSync(file, raw);
    const batch = () => runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, root: work, files: ['report.txt'] });
    const workers = start(['parse', 'embed', 'write'], dataDir);
    await workers.ready;

    const first = await batch();
    expect(first).toMatchObject({ added: 1, failed: [] });
    const texts = new Set(parseReport(file, Buffer.from(raw)).passages.map((p) => p.text));
    expect(embeddedTexts.length).toBe(texts.size);
    const before = storedVectors(dataDir);

    const edited = [...texts].find((text) => text.length < 250 && raw.split('\n').includes(text))!;
    const changed = `${edited}全年新增调解组织十二个。`;
    writeFileSync(file, raw.replace(edited, changed));
    embeddedTexts = [];
    expect(await batch()).toMatchObject({ replaced: 1, failed: [] });
    expect(embeddedTexts).toEqual([changed]);
    const after = storedVectors(dataDir);
    expect(after.size).toBe(texts.size);
    for (const [text, data] of after) if (text !== changed) expect(data).toEqual(before.get(text));
    const [own] = await bed.encoder.embedPassages([changed]);
    expect(after.get(changed)).toEqual(Buffer.from(own!.vector.buffer, own!.vector.byteOffset, own!.vector.byteLength));

    // What an earlier parser left: the same bytes are parsed again, and nothing is embedded. (An
    // upgrade gives the file a new job id; here the version changes under the same one, so the
    // outcome Redis keeps a while for late batches is cleared.)
    onDisk(dataDir, (db) => db.prepare(`UPDATE documents SET parser = 0`).run());
    await workers.close();
    await bed.client.redis.flushall();
    await start(['parse', 'embed', 'write'], dataDir).ready;
    embeddedTexts = [];
    expect(await batch()).toMatchObject({ replaced: 1, failed: [] });
    expect(embeddedTexts).toEqual([]);
    expect(onDisk(dataDir, (db) => db.prepare(`SELECT parser FROM documents`).pluck().all())).toEqual([PARSER_VERSION]);
    expect(storedVectors(dataDir)).toEqual(after);
  });

  it('a store from before parser versions: the producer, a reader, sends its files to be parsed again, and nothing is embedded', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const file = path.join(work, 'report.txt');
    writeFileSync(file, readFileSync(REPORT));
    const all = start(['parse', 'embed', 'write'], dataDir);
    await all.ready;
    const batch = () => runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, root: work, files: ['report.txt'] });
    expect(await batch()).toMatchObject({ added: 1 });
    const before = storedVectors(dataDir);
    await all.close();
    await bed.client.redis.flushall();
    // How such a store looks on disk; no writer has opened it since.
    onDisk(dataDir, (db) => db.exec(`ALTER TABLE documents DROP COLUMN parser`));

    const stages = start(['parse', 'embed']);
    await stages.ready;
    embeddedTexts = [];
    const again = batch();
    await writeJobWaiting();
    await start(['write'], dataDir).ready;
    expect(await again).toMatchObject({ replaced: 1, failed: [] });
    expect(embeddedTexts).toEqual([]);
    expect(onDisk(dataDir, (db) => db.prepare(`SELECT parser FROM documents`).pluck().all())).toEqual([PARSER_VERSION]);
    expect(storedVectors(dataDir)).toEqual(before);
  });

  it('a write whose stored vectors went meanwhile sends the file back to be embedded whole', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const file = path.join(work, 'report.txt');
    const raw = readFileSync(REPORT, 'utf8');
    writeFileSync(file, raw);
    const all = start(['parse', 'embed', 'write'], dataDir);
    await all.ready;
    expect(await runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, root: work, files: ['report.txt'] })).toMatchObject({ added: 1 });
    await all.close();

    // The edit is parsed and embedded against the stored version while no writer runs …
    const edited = raw.split('\n').find((line) => line.length > 40 && line.length < 250)!;
    writeFileSync(file, raw.replace(edited, `${edited}全年新增调解组织十二个。`));
    const stages = start(['parse', 'embed']);
    await stages.ready;
    embeddedTexts = [];
    const reader = Store.openReadOnly(dataDir);
    try {
      await enqueueBatch(bed.client, [{ source: 'report.txt', bytes: readFileSync(file) }], {
        modelId: bed.encoder.modelId,
        batchId: 'edit',
        storedTexts: (source) => reader.embeddedTextsOfSource(source, bed.encoder.modelId),
      });
    } finally {
      reader.close();
    }
    await writeJobWaiting();
    expect(embeddedTexts).toHaveLength(1);

    // … and the stored version is removed before the write.
    const store = Store.open(dataDir);
    expect(store.removeSource('report.txt')).toMatchObject({ removed: 'document' });
    store.close();
    embeddedTexts = [];
    const writer = start(['write'], dataDir);
    await writer.ready;
    expect(await waitForBatch(bed.client, 'edit')).toMatchObject({ added: 1, failed: [] });
    const texts = new Set(parseReport(file, readFileSync(file)).passages.map((p) => p.text));
    expect(new Set(embeddedTexts)).toEqual(texts);
    expect(storedVectors(dataDir).size).toBe(texts.size);
  });
});
