// Versions in order, and failure records per source, against a real redis-server, the real
// pipeline, model and SQLite store. An older version of a file whose write arrives after a newer
// one's (a retry after backoff) must leave the newer one in place; a file that failed and was
// fixed must leave no failure behind, whichever mode committed the fix.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import { hashBytes } from '../pipeline/contentHash.ts';
import { commitReport, embedStage, indexFiles } from '../search/ingest.ts';
import { Store } from '../search/store.ts';
import { enqueueBatch, queueStatus, runBatch, waitForBatch } from '../workers/batch.ts';
import { canonicalSources, resolveRoot } from '../cli/identity.ts';
import type { WriteJob } from '../workers/queues.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import { CORPUS_FILES, fazhi } from './helpers/cli.ts';
import { QUEUE_MODEL_DIR as MODEL_DIR, useQueueInProcess } from './helpers/queueInProcess.ts';
import { redisServerAvailable } from './helpers/redis.ts';
import { snapshotStore } from './helpers/storeSnapshot.ts';

const CORPUS = CORPUS_FILES;

describe.skipIf(!redisServerAvailable())('versions in order', () => {
  const bed = useQueueInProcess('versions');
  const { tempDir, start } = bed;

  async function waitingWriteJobs(n: number): Promise<WriteJob[]> {
    for (let i = 0; i < 600; i++) {
      const jobs = await bed.client.queues.write.getJobs(['waiting']);
      if (jobs.length >= n) return jobs.map((j) => j.data);
      await sleep(100);
    }
    throw new Error(`fewer than ${n} write jobs arrived`);
  }

  it('an older version whose write arrives after the newer one is refused: the newer one stays', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const file = path.join(work, 'report.txt');
    const read = () => [{ source: file, bytes: readFileSync(file) }];

    // Both versions go through parse and embed while no writer runs.
    const stages = start(['parse', 'embed']);
    await stages.ready;
    copyFileSync(CORPUS[0]!, file);
    await enqueueBatch(bed.client, read(), { modelId: bed.encoder.modelId, batchId: 'old' });
    const [oldJob] = await waitingWriteJobs(1);
    copyFileSync(CORPUS[1]!, file);
    await enqueueBatch(bed.client, read(), { modelId: bed.encoder.modelId, batchId: 'new' });
    const newJob = (await waitingWriteJobs(2)).find((j) => j.fileId !== oldJob!.fileId)!;
    expect(newJob.version).toBeGreaterThan(oldJob!.version);

    // The old version's write is held back (as a retry waiting out its backoff would be) …
    await (await bed.client.queues.write.getJob(oldJob!.fileId))!.remove();
    const writer = start(['write'], dataDir);
    await writer.ready;
    const newer = await waitForBatch(bed.client, 'new');
    expect(newer).toMatchObject({ added: 1, failed: [] });
    // … and arrives after the newer one committed.
    await bed.client.queues.write.add('write', oldJob!, { jobId: oldJob!.fileId });
    const older = await waitForBatch(bed.client, 'old');
    expect(older).toMatchObject({ added: 0, replaced: 0, unchanged: 1, failed: [] });

    const [doc] = snapshotStore(dataDir);
    expect(doc!.contentHash).toBe(hashBytes(readFileSync(CORPUS[1]!)));
    expect(doc!.passages.map((p) => p.hash)).toEqual(parseReport(file, readFileSync(CORPUS[1]!)).passages.map((p) => p.hash));
  });

  it('the same refusal holds across modes: an embedded ingest is newer than a queue version enqueued before it', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const file = path.join(work, 'report.txt');
    copyFileSync(CORPUS[2]!, file);
    const stages = start(['parse', 'embed']);
    await stages.ready;
    await enqueueBatch(bed.client, [{ source: file, bytes: readFileSync(file) }], { modelId: bed.encoder.modelId, batchId: 'queued' });
    await waitingWriteJobs(1);

    copyFileSync(CORPUS[3]!, file);
    const store = Store.open(dataDir);
    try {
      expect(await indexFiles({ store, encoder: bed.encoder }, [file])).toMatchObject({ added: 1 });
    } finally {
      store.close();
    }
    const writer = start(['write'], dataDir);
    await writer.ready;
    expect(await waitForBatch(bed.client, 'queued')).toMatchObject({ added: 0, replaced: 0, unchanged: 1 });
    expect(snapshotStore(dataDir)[0]!.contentHash).toBe(hashBytes(readFileSync(CORPUS[3]!)));

    // And directly: a commit stamped before the stored version writes nothing (the queue's
    // writer stopped first: an embedded writer is refused while it holds the data directory).
    await writer.close();
    const again = Store.open(dataDir);
    try {
      const old = parseReport(file, readFileSync(CORPUS[2]!));
      const version = again.versionOf(file)!;
      expect(commitReport(again, old, (await embedStage(bed.encoder, old)).vectors, bed.encoder.modelId, version - 1)).toBe('superseded');
      expect(again.getDocumentBySource(file)!.contentHash).toBe(hashBytes(readFileSync(CORPUS[3]!)));
    } finally {
      again.close();
    }
  });

  it('a failure record is kept per source and cleared once the fixed file is committed (queue or embedded)', async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const a = path.join(work, 'a.txt');
    const b = path.join(work, 'b.txt');
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    writeFileSync(a, binary);
    writeFileSync(b, binary);
    // Sources as the CLI sends them to the queue (canonical under the source root), so that the
    // embedded ingest below, through the CLI, names the same source.
    const root = resolveRoot(undefined, dataDir);
    const [srcA, srcB] = canonicalSources([a, b], root);
    const batch = (files: string[]) => runBatch({ redisUrl: bed.redis.url, dataDir, modelDir: MODEL_DIR, root, files });
    const all = start(['parse', 'embed', 'write'], dataDir);
    await all.ready;
    const failures = async () => {
      const status = await queueStatus(bed.redis.url);
      if ('error' in status) throw new Error(status.error);
      return status.failures;
    };

    expect((await batch([srcA!, srcB!])).failed).toHaveLength(2);
    // A second bad version of the same file replaces the record instead of adding one.
    writeFileSync(a, Buffer.concat([binary, binary]));
    await batch([srcA!]);
    const records = await failures();
    expect(records.map((f) => f.source).sort()).toEqual([srcA, srcB].sort());
    expect(records.find((f) => f.source === srcA)!.contentHash).toBe(hashBytes(readFileSync(a)));

    // Fixed and ingested through the queue: the record goes.
    copyFileSync(CORPUS[0]!, a);
    expect(await batch([srcA!])).toMatchObject({ added: 1, failed: [] });
    expect((await failures()).map((f) => f.source)).toEqual([srcB]);

    // Fixed and ingested in embedded mode (no Redis involved): `fazhi status` no longer lists it.
    await all.close();
    copyFileSync(CORPUS[4]!, b);
    const ingest = fazhi(['ingest', b, '--data-dir', dataDir, '--model', MODEL_DIR]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const status = fazhi(['status', '--json', '--data-dir', dataDir, '--model', MODEL_DIR], { REDIS_URL: bed.redis.url });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).queue.failures).toEqual([]);
  });

  it('workers of mixed versions: a parse job of a newer producer and a report of an older parser fail the file, saying to upgrade every worker; nothing is stored', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('data');
    const work = tempDir('work');
    const [older, newer] = [path.join(work, 'older.txt'), path.join(work, 'newer.txt')];
    copyFileSync(CORPUS[0]!, older);
    copyFileSync(CORPUS[1]!, newer);
    const read = (file: string) => [{ source: file, bytes: readFileSync(file) }];
    // A report an older parse worker made: its write job, with the parser version that worker stamps.
    const stages = start(['parse', 'embed']);
    await stages.ready;
    await enqueueBatch(bed.client, read(older), { modelId: bed.encoder.modelId, batchId: 'older' });
    const [job] = await waitingWriteJobs(1);
    await (await bed.client.queues.write.getJob(job!.fileId))!.remove();
    await bed.client.queues.write.add('write', { ...job!, report: { ...job!.report, parser: PARSER_VERSION - 1 } }, { jobId: job!.fileId });
    // A file a newer producer sent: its parse job asks for a newer parser than these workers run.
    await stages.close();
    await enqueueBatch(bed.client, read(newer), { modelId: bed.encoder.modelId, batchId: 'newer' });
    const [parseJob] = await bed.client.queues.parse.getJobs(['waiting']);
    await parseJob!.updateData({ ...parseJob!.data, parser: PARSER_VERSION + 1 });

    const all = start(['parse', 'embed', 'write'], dataDir);
    await all.ready;
    const [a, b] = await Promise.all([waitForBatch(bed.client, 'older'), waitForBatch(bed.client, 'newer')]);
    expect(a.failed.map((f) => f.reason)).toEqual([expect.stringMatching(new RegExp(`parser version ${PARSER_VERSION - 1}, older than this writer's ${PARSER_VERSION}.*ingest it again once every worker runs this version`))]);
    expect(b.failed.map((f) => f.reason)).toEqual([expect.stringMatching(new RegExp(`runs parser version ${PARSER_VERSION}, older than the producer's ${PARSER_VERSION + 1}.*same fazhi version on every worker`))]);
    expect(snapshotStore(dataDir)).toEqual([]);
  });
});
