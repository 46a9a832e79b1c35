// A real data dir (the five sample reports and the hostile fixture, embedded with the bundled
// encoder) and `fazhi serve`'s Fastify app over it, read-only, on a free port.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openApp } from '../../cli/app.ts';
import { REPO_ROOT } from '../../cli/config.ts';
import { indexFiles } from '../../search/ingest.ts';
import { refreshDerivedOnce } from '../../search/derivedRefresh.ts';
import { openReader, type Reader } from '../../server/reader.ts';
import { Store } from '../../search/store.ts';
import { makeReport, vectorsFor } from './searchFixtures.ts';
import { buildServer, type ServerOptions } from '../../server/app.ts';

export const HOSTILE_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'hostile-report.txt');
/** A law (河南省/郑州市, 2022) and a government work report (山东省/威海市, 2023): other document kinds beside the annual reports. */
export const OTHER_KINDS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'kinds');

export interface ServeFixture {
  dataDir: string;
  /** Where the fixture's report files live (their sources in the store). */
  filesDir: string;
  reader: Reader;
  app: FastifyInstance;
  url: string;
  /** Ingests files with the CLI's writer path, as another process would. */
  ingest(files: string[]): Promise<void>;
  /** Stores a report embedded with another model, as a writer switching models leaves one; returns its removal. */
  storeOtherModelReport(): () => void;
  close(): Promise<void>;
}

function writeStore(dataDir: string, change: (store: Store) => void): void {
  const store = Store.open(dataDir);
  try {
    change(store);
  } finally {
    store.close();
  }
}

async function writerIngest(dataDir: string, files: string[]): Promise<void> {
  const writer = await openApp({ dataDir });
  try {
    await indexFiles(writer, files);
    await refreshDerivedOnce(writer.store, dataDir, writer.encoder.modelId, () => {}, { saveIndex: true });
  } finally {
    writer.close();
  }
}

/**
 * `writeToken`: serve with the write endpoints on (as `--allow-writes` with FAZHI_TOKEN), naming
 * sources under `writeRoot` (`--root`; default: the folder holding the data dir, as the CLI's);
 * `otherKinds`: also store the documents of OTHER_KINDS_DIR.
 */
export async function startServeFixture(
  options: Omit<ServerOptions, 'reader' | 'writes'> & { writeToken?: string; writeRoot?: string; otherKinds?: boolean } = {},
): Promise<ServeFixture> {
  const root = mkdtempSync(path.join(tmpdir(), 'fazhi-serve-'));
  const dataDir = path.join(root, 'data');
  const filesDir = path.join(root, 'reports');
  const corpus = path.join(REPO_ROOT, 'corpus');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(filesDir);
  for (const name of readdirSync(corpus)) copyFileSync(path.join(corpus, name), path.join(filesDir, name));
  copyFileSync(HOSTILE_FIXTURE, path.join(filesDir, 'hostile-report.txt'));
  if (options.otherKinds) for (const name of readdirSync(OTHER_KINDS_DIR)) copyFileSync(path.join(OTHER_KINDS_DIR, name), path.join(filesDir, name));
  await writerIngest(dataDir, readdirSync(filesDir).sort().map((name) => path.join(filesDir, name)));
  const reader = await openReader({ dataDir });
  const { writeToken, writeRoot, otherKinds: _, ...serverOptions } = options;
  const writes = writeToken ? { token: writeToken, uploadDir: path.join(root, 'uploads'), root: writeRoot ?? root } : undefined;
  const app = await buildServer({ reader, ...serverOptions, writes });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    dataDir,
    filesDir,
    reader,
    app,
    url,
    ingest: (files) => writerIngest(dataDir, files),
    storeOtherModelReport() {
      const report = makeReport('other-model.txt', { province: '山东省', city: '威海市', county: null, year: 2024 }, [{ section: '成效', words: ['推行', '述法'] }]);
      writeStore(dataDir, (store) => store.putReport(report, vectorsFor(report), 'another-model'));
      return () => writeStore(dataDir, (store) => store.removeBySource(report.source));
    },
    async close() {
      await app.close();
      reader.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
