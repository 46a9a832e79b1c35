// SQLite store of record: documents, passages, their vectors and the FTS5 lexical index, in
// `<dataDir>/fazhi.sqlite`. Everything else (the HNSW file) can be rebuilt from here.
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Jurisdiction, ParsedReport, SectionKind } from '../pipeline/types.ts';

export const STORE_FILE = 'fazhi.sqlite';
const SCHEMA_VERSION = '1';

/**
 * Public passage id: the passage's integer rowid, which is also its HNSW label. AUTOINCREMENT
 * means an id is never reused, so an id a user saw (or a stale index label) can only ever point
 * at that passage or at nothing. It stays the same while the report's content is unchanged;
 * re-ingesting a changed report gives its passages new ids.
 */
export type PassageId = number;

/** Restrictions applied inside retrieval (SQL WHERE on the passage and its document). */
export interface SearchFilter {
  province?: string;
  city?: string;
  county?: string;
  year?: number;
  from?: number;
  to?: number;
  section?: SectionKind;
}

/** A region whose documents are to be left out (used by "similar in other regions"). */
export type RegionExclusion =
  | { level: 'county'; province: string | null; city: string | null; county: string }
  | { level: 'city'; province: string | null; city: string }
  | { level: 'province'; province: string };

export interface PassageQuery {
  filter?: SearchFilter;
  excludeRegion?: RegionExclusion;
  excludeDocId?: number;
}

export interface DocumentRow {
  id: number;
  source: string;
  contentHash: string;
  title: string;
  jurisdiction: Jurisdiction;
  year: number | null;
  publishedAt: string | null;
  issuer: string | null;
  docNumber: string | null;
  encoding: string;
  modelId: string;
  ingestedAt: string;
  passageCount: number;
  /** Other paths whose bytes equal this document's (see `aliases`). */
  aliases: string[];
}

export interface PassageRow {
  id: PassageId;
  docId: number;
  ordinal: number;
  section: SectionKind;
  headingPath: string[];
  text: string;
  hash: string;
  boilerplate: number;
  source: string;
  title: string;
  jurisdiction: Jurisdiction;
  year: number | null;
}

export interface PutResult {
  changed: boolean;
  /**
   * Set when this call recorded `report.source` as an alias of another document with the same
   * bytes (then `docId`/`passageIds` are that document's and nothing else was stored).
   */
  aliasOf?: number;
  docId: number;
  /** Ids of the document's passages, in ordinal order. */
  passageIds: PassageId[];
  /** Ids of the passages the change removed (the previous version's), for incremental indexing. */
  removedIds: PassageId[];
}

export interface LexicalHit {
  id: PassageId;
  /** -bm25: higher is better. */
  score: number;
}

export interface StoredVector {
  id: PassageId;
  vector: Float32Array;
}

export interface ModelUsage {
  modelId: string;
  dim: number;
  vectors: number;
}

/** The document columns every passage result carries along. */
interface DocumentHeadColumns {
  source: string;
  title: string;
  province: string | null;
  city: string | null;
  county: string | null;
  code: string | null;
  year: number | null;
}

interface DocumentDbRow extends DocumentHeadColumns {
  id: number;
  content_hash: string;
  published_at: string | null;
  issuer: string | null;
  doc_number: string | null;
  encoding: string;
  model_id: string;
  ingested_at: string;
  passage_count: number;
  aliases: string;
}

interface PassageDbRow extends DocumentHeadColumns {
  id: number;
  doc_id: number;
  ordinal: number;
  section: SectionKind;
  heading_path: string;
  text: string;
  hash: string;
  boilerplate: number;
}

// FTS5 tokenizer choice: tokens are segmented by jieba before they reach SQLite and stored
// space-joined. unicode61 treats every CJK ideograph as a token character (category Lo), so it
// splits only on whitespace and punctuation: each jieba token stays one FTS term
// (双随机一公开 matches only where jieba produced that whole token, not 双随机 + 一公开).
// Raw unsegmented Chinese would become one huge term, which is why segmentation happens first.
// Tokens holding punctuation (A+B, 12.5%) split into several terms, but queries are quoted as
// phrases and go through the same tokenizer, so they still match exactly.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL UNIQUE,
  content_hash TEXT NOT NULL,
  title TEXT NOT NULL,
  province TEXT, city TEXT, county TEXT, code TEXT,
  year INTEGER,
  published_at TEXT, issuer TEXT, doc_number TEXT,
  encoding TEXT NOT NULL,
  model_id TEXT NOT NULL,
  ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_region ON documents(province, city, county);
CREATE INDEX IF NOT EXISTS documents_year ON documents(year);
CREATE TABLE IF NOT EXISTS passages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  section TEXT NOT NULL,
  heading_path TEXT NOT NULL,
  text TEXT NOT NULL,
  tokens TEXT NOT NULL,
  hash TEXT NOT NULL,
  boilerplate REAL NOT NULL DEFAULT 0,
  UNIQUE (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS vectors (
  passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  dim INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_model ON vectors(model_id, passage_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
  tokens, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, tokens) VALUES (new.id, new.tokens);
END;
CREATE TRIGGER IF NOT EXISTS passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
END;
`;

// Identity (issue 10): one document per file. A second path whose bytes equal a stored
// document's is recorded here instead of becoming a second document; replacing or deleting
// the document drops its aliases with it (a changed document no longer has those bytes).
const ALIAS_SCHEMA = `
CREATE TABLE IF NOT EXISTS aliases (
  source TEXT PRIMARY KEY,
  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS aliases_doc ON aliases(doc_id);
CREATE INDEX IF NOT EXISTS documents_content ON documents(content_hash);
`;

/**
 * Meta key recording that sources are canonical paths (realpath relative to the source root).
 * Stores created before that held sources as typed (`corpus/a.txt`, `/abs/corpus/a.txt` and
 * `./a.txt` were three documents); they lack the key until migrated.
 */
export const SOURCE_IDENTITY_KEY = 'source_identity';
export const CANONICAL_SOURCES = 'canonical';

const DOCUMENT_SELECT = `
SELECT d.*, (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS passage_count,
       (SELECT json_group_array(a.source) FROM (SELECT source FROM aliases WHERE doc_id = d.id ORDER BY source) a) AS aliases
FROM documents d`;

const PASSAGE_SELECT = `
SELECT p.id, p.doc_id, p.ordinal, p.section, p.heading_path, p.text, p.hash, p.boilerplate,
       d.source, d.title, d.province, d.city, d.county, d.code, d.year
FROM passages p JOIN documents d ON d.id = p.doc_id`;

export class Store {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(dataDir: string): Store {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, STORE_FILE);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // Queue workers and the CLI may write at the same time; wait for the lock instead of failing.
      db.pragma('busy_timeout = 10000');
      db.exec(SCHEMA);
      db.exec(ALIAS_SCHEMA);
      const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as
        | string
        | undefined;
      if (version === undefined) {
        db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
        // A new store holds canonical sources from its first document on.
        db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?)`).run(SOURCE_IDENTITY_KEY, CANONICAL_SOURCES);
      } else if (version !== SCHEMA_VERSION) {
        throw new Error(`${path}: schema version ${version}, this program expects ${SCHEMA_VERSION}`);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new Store(db, path);
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | null {
    const value = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined;
    return value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  /** True if `source` (a document or an alias of one) holds these bytes embedded with this model. */
  hasCurrent(source: string, contentHash: string, modelId: string): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 FROM documents WHERE source = ? AND content_hash = ? AND model_id = ?
           UNION ALL
           SELECT 1 FROM aliases a JOIN documents d ON d.id = a.doc_id WHERE a.source = ? AND d.content_hash = ? AND d.model_id = ?`,
        )
        .get(source, contentHash, modelId, source, contentHash, modelId) !== undefined
    );
  }

  /**
   * Records `source` as an alias of a document under another path holding the same bytes, if
   * there is one (replacing whatever `source` held before); returns that document's id, or null.
   */
  recordAliasIfDuplicate(source: string, contentHash: string): { docId: number; removedIds: PassageId[]; isNew: boolean } | null {
    const run = this.db.transaction(() => this.aliasInTransaction(source, contentHash));
    return run.immediate();
  }

  private aliasInTransaction(source: string, contentHash: string): { docId: number; removedIds: PassageId[]; isNew: boolean } | null {
    const twin = this.db
      .prepare(`SELECT id FROM documents WHERE content_hash = ? AND source <> ? ORDER BY id LIMIT 1`)
      .pluck()
      .get(contentHash, source) as number | undefined;
    if (twin === undefined) return null;
    const own = this.db.prepare(`SELECT id FROM documents WHERE source = ?`).pluck().get(source) as number | undefined;
    const removedIds = own === undefined ? [] : this.passageIdsOf(own);
    if (own !== undefined) this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(own);
    const previous = this.db.prepare(`SELECT doc_id FROM aliases WHERE source = ?`).pluck().get(source) as number | undefined;
    this.db
      .prepare(`INSERT INTO aliases (source, doc_id) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET doc_id = excluded.doc_id`)
      .run(source, twin);
    return { docId: twin, removedIds, isNew: previous !== twin };
  }

  /**
   * Stores a parsed report with one vector per passage, in one transaction: unchanged (same
   * content hash, same model) → nothing written; otherwise the old version and everything
   * hanging off it is deleted and the new one inserted. Any failure rolls everything back.
   */
  putReport(report: ParsedReport, vectors: Float32Array[], modelId: string): PutResult {
    if (vectors.length !== report.passages.length) {
      throw new Error(`${report.source}: ${report.passages.length} passages but ${vectors.length} vectors`);
    }
    const dim = vectors[0]?.length ?? 0;
    for (const vector of vectors) {
      if (vector.length !== dim || dim === 0) throw new Error(`${report.source}: vectors of mixed or zero dimension`);
    }
    const run = this.db.transaction((): PutResult => {
      const alias = this.aliasInTransaction(report.source, report.contentHash);
      if (alias) {
        return {
          changed: alias.removedIds.length > 0,
          docId: alias.docId,
          passageIds: this.passageIdsOf(alias.docId),
          removedIds: alias.removedIds,
          ...(alias.isNew ? { aliasOf: alias.docId } : {}),
        };
      }
      // Its bytes changed since it was recorded as an alias: it becomes its own document.
      this.db.prepare(`DELETE FROM aliases WHERE source = ?`).run(report.source);
      const existing = this.db
        .prepare(`SELECT id, content_hash, model_id FROM documents WHERE source = ?`)
        .get(report.source) as { id: number; content_hash: string; model_id: string } | undefined;
      if (existing && existing.content_hash === report.contentHash && existing.model_id === modelId) {
        return { changed: false, docId: existing.id, passageIds: this.passageIdsOf(existing.id), removedIds: [] };
      }
      const removedIds = existing ? this.passageIdsOf(existing.id) : [];
      if (existing) this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(existing.id);
      const { meta } = report;
      const docId = Number(
        this.db
          .prepare(
            `INSERT INTO documents (source, content_hash, title, province, city, county, code, year,
               published_at, issuer, doc_number, encoding, model_id, ingested_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            report.source,
            report.contentHash,
            meta.title,
            meta.jurisdiction.province,
            meta.jurisdiction.city,
            meta.jurisdiction.county,
            meta.jurisdiction.code,
            meta.year,
            meta.publishedAt,
            meta.issuer,
            meta.docNumber,
            report.encoding,
            modelId,
            new Date().toISOString(),
          ).lastInsertRowid,
      );
      const insertPassage = this.db.prepare(
        `INSERT INTO passages (doc_id, ordinal, section, heading_path, text, tokens, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      const insertVector = this.db.prepare(`INSERT INTO vectors (passage_id, model_id, dim, data) VALUES (?, ?, ?, ?)`);
      const passageIds = report.passages.map((passage, i) => {
        const id = Number(
          insertPassage.run(
            docId,
            passage.ordinal,
            passage.section,
            JSON.stringify(passage.headingPath),
            passage.text,
            joinTokens(passage.tokens),
            passage.hash,
          ).lastInsertRowid,
        );
        insertVector.run(id, modelId, dim, vectorToBlob(vectors[i]!));
        return id;
      });
      this.setMeta('model_id', modelId);
      return { changed: true, docId, passageIds, removedIds };
    });
    return run.immediate();
  }

  /** Deletes a document with its passages, vectors and lexical entries; false if unknown. */
  removeBySource(source: string): boolean {
    return this.db.prepare(`DELETE FROM documents WHERE source = ?`).run(source).changes > 0;
  }

  /**
   * Removes what `source` names: an alias is dropped; a document with aliases lives on under its
   * first alias (those bytes are still on disk there); a document without is deleted.
   */
  removeSource(source: string): { removed: 'alias' | 'document'; keptAs?: string } | null {
    const run = this.db.transaction(() => {
      if (this.db.prepare(`DELETE FROM aliases WHERE source = ?`).run(source).changes > 0) return { removed: 'alias' as const };
      const docId = this.db.prepare(`SELECT id FROM documents WHERE source = ?`).pluck().get(source) as number | undefined;
      if (docId === undefined) return null;
      const heir = this.db.prepare(`SELECT source FROM aliases WHERE doc_id = ? ORDER BY source LIMIT 1`).pluck().get(docId) as string | undefined;
      if (heir === undefined) {
        this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(docId);
        return { removed: 'document' as const };
      }
      this.db.prepare(`DELETE FROM aliases WHERE source = ?`).run(heir);
      this.db.prepare(`UPDATE documents SET source = ? WHERE id = ?`).run(heir, docId);
      return { removed: 'document' as const, keptAs: heir };
    });
    return run.immediate();
  }

  /** True if `source` is stored, as a document or as an alias. */
  hasSource(source: string): boolean {
    return this.db.prepare(`SELECT 1 FROM documents WHERE source = ? UNION ALL SELECT 1 FROM aliases WHERE source = ?`).get(source, source) !== undefined;
  }

  /** Whether stored sources are canonical paths (see SOURCE_IDENTITY_KEY); an empty store is. */
  sourcesAreCanonical(): boolean {
    return this.getMeta(SOURCE_IDENTITY_KEY) === CANONICAL_SOURCES || this.counts().documents === 0;
  }

  /**
   * Rewrites stored sources to canonical ones in one transaction (`canonical` maps a stored
   * source to its canonical form, or null where the file is gone and it stays as it is).
   * Documents that turn out to be the same file are merged: the most recently ingested stays.
   * Documents with equal bytes under different files become aliases of the first.
   */
  canonicalizeSources(canonical: (source: string) => string | null): { renamed: number; merged: number; aliased: number } {
    const run = this.db.transaction(() => {
      const docs = this.db.prepare(`SELECT id, source FROM documents ORDER BY ingested_at DESC, id DESC`).all() as { id: number; source: string }[];
      const taken = new Set<string>();
      const moves: { id: number; target: string }[] = [];
      let merged = 0;
      for (const doc of docs) {
        const target = canonical(doc.source) ?? doc.source;
        if (taken.has(target)) {
          this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(doc.id);
          merged++;
          continue;
        }
        taken.add(target);
        if (target !== doc.source) moves.push({ id: doc.id, target });
      }
      // Two steps: a target may still be another document's old source until that one moves.
      const park = this.db.prepare(`UPDATE documents SET source = ? WHERE id = ?`);
      for (const move of moves) park.run(`\0migrating:${move.id}`, move.id);
      for (const move of moves) park.run(move.target, move.id);
      // Equal bytes under two files: the later one becomes an alias, as an ingest would record it.
      const copies = this.db
        .prepare(
          `SELECT d.id, d.source, (SELECT min(id) FROM documents f WHERE f.content_hash = d.content_hash) AS first
           FROM documents d WHERE d.id > (SELECT min(id) FROM documents f WHERE f.content_hash = d.content_hash)`,
        )
        .all() as { id: number; source: string; first: number }[];
      for (const copy of copies) {
        this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(copy.id);
        this.db.prepare(`INSERT OR REPLACE INTO aliases (source, doc_id) VALUES (?, ?)`).run(copy.source, copy.first);
      }
      this.setMeta(SOURCE_IDENTITY_KEY, CANONICAL_SOURCES);
      return { renamed: moves.length, merged, aliased: copies.length };
    });
    return run.immediate();
  }

  counts(): { documents: number; passages: number; vectors: number } {
    const count = (table: string) => this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return { documents: count('documents'), passages: count('passages'), vectors: count('vectors') };
  }

  documents(): DocumentRow[] {
    const rows = this.db.prepare(`${DOCUMENT_SELECT} ORDER BY d.source`).all() as DocumentDbRow[];
    return rows.map(toDocumentRow);
  }

  getDocumentBySource(source: string): DocumentRow | null {
    const row = this.db.prepare(`${DOCUMENT_SELECT} WHERE d.source = ?`).get(source) as DocumentDbRow | undefined;
    return row ? toDocumentRow(row) : null;
  }

  getPassage(id: PassageId): PassageRow | null {
    return this.getPassages([id])[0] ?? null;
  }

  /** Passages with their document fields, in the order of `ids`; unknown ids are skipped. */
  getPassages(ids: readonly PassageId[]): PassageRow[] {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(`${PASSAGE_SELECT} WHERE p.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as PassageDbRow[];
    const byId = new Map(rows.map((row) => [row.id, toPassageRow(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  passageIdsOf(docId: number): PassageId[] {
    return this.db.prepare(`SELECT id FROM passages WHERE doc_id = ? ORDER BY ordinal`).pluck().all(docId) as number[];
  }

  /** Ids of all passages satisfying the query's filter and exclusions. */
  passageIds(query: PassageQuery): Set<PassageId> {
    const where = buildWhere(query);
    const ids = this.db
      .prepare(`SELECT p.id FROM passages p JOIN documents d ON d.id = p.doc_id WHERE ${where.sql}`)
      .pluck()
      .all(...where.params) as number[];
    return new Set(ids);
  }

  /** Ids of the passages of a document or of a region: what "similar elsewhere" leaves out. */
  excludedPassageIds(excludeRegion: RegionExclusion | undefined, excludeDocId: number | undefined): Set<PassageId> {
    const clauses: string[] = [];
    const params: (string | number | null)[] = [];
    if (excludeDocId !== undefined) {
      clauses.push('p.doc_id = ?');
      params.push(excludeDocId);
    }
    if (excludeRegion) {
      const region = regionCondition(excludeRegion);
      clauses.push(`(${region.sql})`);
      params.push(...region.params);
    }
    if (clauses.length === 0) return new Set();
    const ids = this.db
      .prepare(`SELECT p.id FROM passages p JOIN documents d ON d.id = p.doc_id WHERE ${clauses.join(' OR ')}`)
      .pluck()
      .all(...params) as number[];
    return new Set(ids);
  }

  /**
   * FTS5 bm25 search for passages containing any of the tokens (each matched as a whole
   * jieba token), with the filter applied in the same query so it never truncates results.
   */
  lexicalSearch(tokens: readonly string[], limit: number, query: PassageQuery = {}): LexicalHit[] {
    const match = toMatchExpression(tokens);
    if (match === null) return [];
    const unfiltered = !query.excludeRegion && query.excludeDocId === undefined && Object.values(query.filter ?? {}).every((v) => v === undefined);
    if (unfiltered) {
      // Unfiltered: rank inside the FTS table alone; joining every match first cost 3–7×.
      const rows = this.db
        .prepare(`SELECT rowid AS id, bm25(passages_fts) AS rank FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?`)
        .all(match, limit) as { id: number; rank: number }[];
      return rows.map((row) => ({ id: row.id, score: -row.rank }));
    }
    const where = buildWhere(query);
    const rows = this.db
      .prepare(
        `SELECT p.id, bm25(passages_fts) AS rank
         FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid JOIN documents d ON d.id = p.doc_id
         WHERE passages_fts MATCH ? AND ${where.sql}
         ORDER BY rank LIMIT ?`,
      )
      .all(match, ...where.params, limit) as { id: number; rank: number }[];
    return rows.map((row) => ({ id: row.id, score: -row.rank }));
  }

  /** Streams every vector of a model in id order, without loading them all at once. */
  *iterateVectors(modelId: string): Generator<StoredVector> {
    const rows = this.db
      .prepare(`SELECT passage_id AS id, data FROM vectors WHERE model_id = ? ORDER BY passage_id`)
      .iterate(modelId) as IterableIterator<{ id: number; data: Buffer }>;
    for (const row of rows) yield { id: row.id, vector: blobToVector(row.data) };
  }

  getVectors(ids: readonly PassageId[], modelId: string): Map<PassageId, Float32Array> {
    const rows = this.db
      .prepare(`SELECT passage_id AS id, data FROM vectors WHERE model_id = ? AND passage_id IN (SELECT value FROM json_each(?))`)
      .all(modelId, JSON.stringify(ids)) as { id: number; data: Buffer }[];
    return new Map(rows.map((row) => [row.id, blobToVector(row.data)]));
  }

  /**
   * Count and order-independent fingerprint of the passage ids holding vectors of a model: the
   * vector index records these so it can tell when it no longer matches the store.
   */
  vectorFingerprint(modelId: string): { count: number; checksum: string } {
    const hash = createHash('sha256');
    let count = 0;
    const ids = this.db
      .prepare(`SELECT passage_id FROM vectors WHERE model_id = ? ORDER BY passage_id`)
      .pluck()
      .iterate(modelId) as IterableIterator<number>;
    for (const id of ids) {
      hash.update(`${id},`);
      count++;
    }
    return { count, checksum: hash.digest('hex') };
  }

  /** Summary for `fazhi status`. */
  stats(): { documents: number; passages: number; vectors: number; models: ModelUsage[]; boilerplatePassages: number; dbBytes: number } {
    const boilerplatePassages = this.db.prepare(`SELECT count(*) FROM passages WHERE boilerplate >= 0.5`).pluck().get() as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return { ...this.counts(), models: this.modelsInUse(), boilerplatePassages, dbBytes: pageCount * pageSize };
  }

  modelsInUse(): ModelUsage[] {
    return this.db
      .prepare(`SELECT model_id AS modelId, dim, count(*) AS vectors FROM vectors GROUP BY model_id, dim ORDER BY model_id`)
      .all() as ModelUsage[];
  }

  countPassagesNeedingVectors(modelId: string): number {
    return this.db
      .prepare(`SELECT count(*) FROM passages p LEFT JOIN vectors v ON v.passage_id = p.id WHERE v.model_id IS NULL OR v.model_id <> ?`)
      .pluck()
      .get(modelId) as number;
  }

  /** Passages without a vector of `modelId`, for re-embedding after a model change. */
  *iteratePassagesNeedingVectors(modelId: string): Generator<{ id: PassageId; text: string }> {
    const rows = this.db
      .prepare(
        `SELECT p.id, p.text FROM passages p LEFT JOIN vectors v ON v.passage_id = p.id
         WHERE v.model_id IS NULL OR v.model_id <> ? ORDER BY p.id`,
      )
      .iterate(modelId) as IterableIterator<{ id: number; text: string }>;
    yield* rows;
  }

  /**
   * Stores new-model vectors for existing passages in one transaction, replacing whatever
   * vector they had; documents whose passages now all carry `modelId` are marked with it.
   */
  replaceVectors(modelId: string, batch: readonly StoredVector[]): void {
    const run = this.db.transaction(() => {
      const upsert = this.db.prepare(
        `INSERT INTO vectors (passage_id, model_id, dim, data) VALUES (?, ?, ?, ?)
         ON CONFLICT(passage_id) DO UPDATE SET model_id = excluded.model_id, dim = excluded.dim, data = excluded.data`,
      );
      for (const { id, vector } of batch) upsert.run(id, modelId, vector.length, vectorToBlob(vector));
      this.db
        .prepare(
          `UPDATE documents SET model_id = ?
           WHERE id IN (SELECT DISTINCT doc_id FROM passages WHERE id IN (SELECT value FROM json_each(?)))
             AND NOT EXISTS (SELECT 1 FROM passages p LEFT JOIN vectors v ON v.passage_id = p.id
                             WHERE p.doc_id = documents.id AND (v.model_id IS NULL OR v.model_id <> ?))`,
        )
        .run(modelId, JSON.stringify(batch.map((item) => item.id)), modelId);
      this.setMeta('model_id', modelId);
    });
    run.immediate();
  }

  /** Passage texts with their document, for corpus-wide boilerplate detection. */
  *iteratePassageTexts(): Generator<{ id: PassageId; docId: number; contentHash: string; text: string }> {
    const rows = this.db
      .prepare(
        `SELECT p.id, p.doc_id AS docId, d.content_hash AS contentHash, p.text
         FROM passages p JOIN documents d ON d.id = p.doc_id ORDER BY p.id`,
      )
      .iterate() as IterableIterator<{ id: number; docId: number; contentHash: string; text: string }>;
    yield* rows;
  }

  /** Sets boilerplate scores (0..1); passages not in the map are reset to 0. */
  setBoilerplate(scores: ReadonlyMap<PassageId, number>): void {
    const run = this.db.transaction(() => {
      this.db.prepare(`UPDATE passages SET boilerplate = 0 WHERE boilerplate <> 0`).run();
      const update = this.db.prepare(`UPDATE passages SET boilerplate = ? WHERE id = ?`);
      for (const [id, score] of scores) if (score > 0) update.run(score, id);
    });
    run.immediate();
  }
}

function joinTokens(tokens: readonly string[]): string {
  return tokens
    .map((token) => token.trim())
    .filter((token) => token.length > 0)
    .join(' ');
}

/** OR of the distinct tokens, each quoted so FTS5 operators or punctuation in it are literal. */
function toMatchExpression(tokens: readonly string[]): string | null {
  const distinct = [...new Set(tokens.map((token) => token.trim()).filter((token) => /[\p{L}\p{N}]/u.test(token)))];
  if (distinct.length === 0) return null;
  return distinct.map((token) => `"${token.replaceAll('"', '""')}"`).join(' OR ');
}

function buildWhere(query: PassageQuery): { sql: string; params: (string | number | null)[] } {
  const clauses: string[] = ['1 = 1'];
  const params: (string | number | null)[] = [];
  const add = (sql: string, ...values: (string | number | null)[]) => {
    clauses.push(sql);
    params.push(...values);
  };
  const { filter = {}, excludeRegion, excludeDocId } = query;
  if (filter.province !== undefined) add('d.province = ?', filter.province);
  if (filter.city !== undefined) add('d.city = ?', filter.city);
  if (filter.county !== undefined) add('d.county = ?', filter.county);
  if (filter.year !== undefined) add('d.year = ?', filter.year);
  if (filter.from !== undefined) add('d.year >= ?', filter.from);
  if (filter.to !== undefined) add('d.year <= ?', filter.to);
  if (filter.section !== undefined) add('p.section = ?', filter.section);
  if (excludeDocId !== undefined) add('p.doc_id <> ?', excludeDocId);
  if (excludeRegion) {
    const region = regionCondition(excludeRegion);
    add(`NOT (${region.sql})`, ...region.params);
  }
  return { sql: clauses.join(' AND '), params };
}

function regionCondition(region: RegionExclusion): { sql: string; params: (string | null)[] } {
  // `IS` so that a region known only as "某区 of an unknown city" still matches itself.
  switch (region.level) {
    case 'county':
      return { sql: `d.county IS ? AND d.city IS ? AND d.province IS ?`, params: [region.county, region.city, region.province] };
    case 'city':
      return { sql: `d.city IS ? AND d.province IS ?`, params: [region.city, region.province] };
    case 'province':
      return { sql: `d.province IS ?`, params: [region.province] };
  }
}

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function blobToVector(blob: Buffer): Float32Array {
  // Copy: the Buffer may be unaligned for a Float32Array view.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function jurisdictionOf(row: DocumentHeadColumns): Jurisdiction {
  return { province: row.province, city: row.city, county: row.county, code: row.code };
}

function toDocumentRow(row: DocumentDbRow): DocumentRow {
  return {
    id: row.id,
    source: row.source,
    contentHash: row.content_hash,
    title: row.title,
    jurisdiction: jurisdictionOf(row),
    year: row.year,
    publishedAt: row.published_at,
    issuer: row.issuer,
    docNumber: row.doc_number,
    encoding: row.encoding,
    modelId: row.model_id,
    ingestedAt: row.ingested_at,
    passageCount: row.passage_count,
    aliases: JSON.parse(row.aliases) as string[],
  };
}

function toPassageRow(row: PassageDbRow): PassageRow {
  return {
    id: row.id,
    docId: row.doc_id,
    ordinal: row.ordinal,
    section: row.section,
    headingPath: JSON.parse(row.heading_path) as string[],
    text: row.text,
    hash: row.hash,
    boilerplate: row.boilerplate,
    source: row.source,
    title: row.title,
    jurisdiction: jurisdictionOf(row),
    year: row.year,
  };
}
