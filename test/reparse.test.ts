// A file ingested again after an upgrade that parses differently is parsed again, not skipped as
// unchanged; and a new version of a file (re-parsed or edited) embeds only the passages its stored
// version lacks. Real pipeline, model (fazhi-mini-zh) and SQLite store; the stores "written by an
// earlier version" are made the way such a store looks on disk.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, type Encoder } from '../models/encoder.ts';
import { parseReport } from '../pipeline/parseReport.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import { indexFiles, type IngestSummary } from '../search/ingest.ts';
import { Store } from '../search/store.ts';
import { fazhi, ROOT } from './helpers/cli.ts';

const REPORT = path.join(ROOT, 'corpus', '000_58c1e1fb0637adbd.txt');

describe('parser versions and vector reuse', () => {
  let encoder: Encoder;
  /** Texts the model was asked to embed since the counter was last read. */
  let embeddedTexts: string[] = [];
  const tmp: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-reparse-'));
    tmp.push(dir);
    return dir;
  };
  const ingest = async (dataDir: string, file: string): Promise<IngestSummary> => {
    embeddedTexts = [];
    const store = Store.open(dataDir);
    try {
      return await indexFiles({ store, encoder, root: path.dirname(file) }, [path.basename(file)]);
    } finally {
      store.close();
    }
  };
  const onDisk = (dataDir: string, run: (db: Database.Database) => void) => {
    const db = new Database(path.join(dataDir, 'fazhi.sqlite'));
    try {
      run(db);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const real = await loadEncoder(path.join(ROOT, 'models/fazhi-mini-zh'));
    encoder = {
      ...real,
      embedPassages: (texts) => {
        embeddedTexts.push(...texts);
        return real.embedPassages(texts);
      },
    };
  });
  afterAll(() => {
    for (const dir of tmp) rmSync(dir, { recursive: true, force: true });
  });

  it('parses a document stored by an earlier parser again, re-using the vectors of the passages it keeps', async () => {
    const dataDir = newDir();
    const file = path.join(newDir(), 'report.txt');
    copyFileSync(REPORT, file);
    const first = await ingest(dataDir, file);
    expect(first.added).toBe(1);
    const passages = first.passages;
    expect(embeddedTexts.length).toBe(passages);
    expect((await ingest(dataDir, file)).unchanged).toBe(1);
    expect(embeddedTexts).toEqual([]);

    // What an earlier parser left: no version, another title, and headings and heading words (in
    // the lexical index too) that this one no longer produces.
    let vectorBefore: Buffer | undefined;
    let idsBefore: unknown[] = [];
    onDisk(dataDir, (db) => {
      db.prepare(`UPDATE documents SET parser = 0, title = '旧解析的标题'`).run();
      db.prepare(`UPDATE passages SET heading_path = '["（九）旧解析留下的标题"]'`).run();
      const row = db.prepare(`SELECT id, tokens, parts, context FROM passages ORDER BY id LIMIT 1`).get() as { id: number; tokens: string; parts: string; context: string };
      db.prepare(`INSERT INTO passages_fts(passages_fts, rowid, tokens, parts, context) VALUES ('delete', ?, ?, ?, ?)`).run(row.id, row.tokens, row.parts, row.context);
      db.prepare(`UPDATE passages SET context = '旧解析标题词' WHERE id = ?`).run(row.id);
      db.prepare(`INSERT INTO passages_fts(rowid, tokens, parts, context) VALUES (?, ?, ?, '旧解析标题词')`).run(row.id, row.tokens, row.parts);
      vectorBefore = db.prepare(`SELECT data FROM vectors ORDER BY passage_id LIMIT 1`).pluck().get() as Buffer;
      idsBefore = db.prepare(`SELECT doc_id || ':' || id FROM passages ORDER BY id`).pluck().all();
    });
    const lexicalHits = (token: string) => {
      const store = Store.openReadOnly(dataDir);
      try {
        return store.lexicalSearch([token], 10, {}).length;
      } finally {
        store.close();
      }
    };
    expect(lexicalHits('旧解析标题词')).toBe(1);
    const again = await ingest(dataDir, file);
    expect(again).toMatchObject({ replaced: 1, unchanged: 0, passages });
    expect(embeddedTexts).toEqual([]);
    onDisk(dataDir, (db) => {
      expect(db.prepare(`SELECT parser, title FROM documents`).all()).toEqual([{ parser: PARSER_VERSION, title: parseReport(file, readFileSync(file)).meta.title }]);
      expect(db.prepare(`SELECT count(*) FROM passages WHERE heading_path LIKE '%旧解析%'`).pluck().get()).toBe(0);
      expect(db.prepare(`SELECT count(*) FROM passages`).pluck().get()).toBe(passages);
      expect(db.prepare(`SELECT data FROM vectors ORDER BY passage_id LIMIT 1`).pluck().get()).toEqual(vectorBefore);
      // The document and its passages keep their ids: links to them still lead there.
      expect(db.prepare(`SELECT doc_id || ':' || id FROM passages ORDER BY id`).pluck().all()).toEqual(idsBefore);
      // The lexical index holds exactly the rows' words (with rank 1, FTS5 checks it against the
      // passages table: "database disk image is malformed" where it does not).
      db.prepare(`INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)`).run();
    });
    expect(lexicalHits('旧解析标题词')).toBe(0);
    expect((await ingest(dataDir, file)).unchanged).toBe(1);
  });

  it('an edited file embeds only the passage that changed', async () => {
    const dataDir = newDir();
    const file = path.join(newDir(), 'report.txt');
    const raw = readFileSync(REPORT, 'utf8');
    writeFileSync(file, raw);
    await ingest(dataDir, file);
    const edited = parseReport(file, Buffer.from(raw)).passages.find((p) => p.text.length < 250 && raw.split('\n').includes(p.text))!;
    writeFileSync(file, raw.replace(edited.text, `${edited.text}全年新增调解组织十二个。`));
    expect((await ingest(dataDir, file)).replaced).toBe(1);
    expect(embeddedTexts).toEqual([`${edited.text}全年新增调解组织十二个。`]);
  });

  it('a store from before parser versions gains the column, and its documents are parsed again', async () => {
    const dataDir = newDir();
    const file = path.join(newDir(), 'report.txt');
    copyFileSync(REPORT, file);
    await ingest(dataDir, file);
    const needingReparse = () =>
      (JSON.parse(fazhi(['status', '--json', '--data-dir', dataDir, '--model', 'fazhi-mini-zh']).stdout) as { documentsNeedingReparse: number }).documentsNeedingReparse;
    expect(needingReparse()).toBe(0);
    onDisk(dataDir, (db) => db.exec(`ALTER TABLE documents DROP COLUMN parser`));
    // `fazhi status` only reads: it counts the store's documents as parsed by version 0.
    expect(needingReparse()).toBe(1);
    const store = Store.open(dataDir);
    const doc = store.getDocumentBySource('report.txt');
    expect(doc).not.toBeNull();
    store.close();
    const again = await ingest(dataDir, file);
    expect(again.replaced).toBe(1);
    expect(embeddedTexts).toEqual([]);
    expect(needingReparse()).toBe(0);
  });
});
