// SQLite store of record: documents, passages, their vectors and the FTS5 lexical index, in
// `<dataDir>/fazhi.sqlite`. Everything else (the HNSW file) can be rebuilt from here.
import { existsSync, mkdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { classifyDocument } from '../pipeline/classifyDocument.ts';
import { segmentContext, segmentForIndex } from '../pipeline/segment.ts';
import { PARSER_VERSION } from '../pipeline/parserVersion.ts';
import { DOCUMENT_KINDS, type DocumentKind, type Jurisdiction, type ParsedReport, type Passage, type SectionKind } from '../pipeline/types.ts';
import type { DocumentShingles } from './boilerplate.ts';
import type { PassageVectors } from '../models/encoder.ts';
import { ftsTerms, nearPairCount, occurrences } from './proximity.ts';
import { blobToUint32, SHINGLE_DF_SCHEMA, ShingleFrequencies } from './shingleFrequencies.ts';

export const STORE_FILE = 'fazhi.sqlite';
const SCHEMA_VERSION = '3';

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
  kind?: DocumentKind;
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
  /** Leaves out the documents of this kind (lexicalSearch, passageIds). */
  excludeKind?: DocumentKind;
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
  kind: DocumentKind;
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
  kind: DocumentKind;
  jurisdiction: Jurisdiction;
  year: number | null;
}

/** What ranking and facet counts need of a passage, without its text, heading path or title. */
export type PassageFacts = Pick<PassageRow, 'id' | 'docId' | 'section' | 'boilerplate' | 'kind' | 'jurisdiction' | 'year'>;

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

/** A passage's vectors as the encoder made them (see PassageVectors), to be stored. */
export type PassageVectorsOf = PassageVectors & { id: PassageId };

export interface ModelUsage {
  modelId: string;
  dim: number;
  vectors: number;
}

/** The document columns every passage result carries along. */
interface DocumentHeadColumns {
  source: string;
  title: string;
  kind: DocumentKind;
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
// (双随机一公开 is one term; its parts 双随机, 公开 are terms of the `parts` column, schema 2).
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

// Generation counter and vector change log (issue 10). `meta.generation` is bumped inside every
// write transaction that changes passages, vectors or their scores; `vector_changes` lists, per
// generation, the passages whose vector (of any model) was added, replaced or removed, so a
// vector index saved at generation G is brought up to date by replaying the log after G instead
// of being rebuilt. `meta.changes_since` is the generation after which the log is complete (the
// writer prunes entries its saved index file already reflects).
const VECTOR_CHANGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS vector_changes (
  generation INTEGER NOT NULL,
  passage_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS vector_changes_generation ON vector_changes(generation);
`;

// Boilerplate document frequencies (issue 10): how many distinct documents (by content hash)
// hold each sampled shingle, maintained by each document's own commit from the shingle set
// stored with it, so a commit scores its own passages without rescoring the whole store
// (search/shingleFrequencies.ts: commits log their sets, the writer merges the log in batches).
/**
 * Pending shingle sets past which a commit merges the log itself, in its own transaction: the
 * queue writer merges long before (DerivedRefresher, in small transactions between commits),
 * but an embedded batch of thousands of files only refreshes at its end, and every commit's
 * lookups read the whole log.
 */
const SHINGLE_PENDING_CAP = 128;
/** documents.shingles: the document's distinct sampled shingles (uint32, ascending). */
const DOCUMENT_SHINGLES_COLUMN = { table: 'documents', column: 'shingles', definition: 'shingles BLOB' };
/**
 * A passage's pieces (PassageVectors), for dense search's clause match: int8, each piece its own
 * scale (piecesToBlob: off by at most half a step, 1/254 of its largest component), null for a
 * model without them. At 8.7 pieces a passage (bge-small-zh-v1.5, eval index) float32 pieces would
 * take 8.7 times the bytes of the passage vectors, int8 ones take 2.2 times.
 */
const VECTOR_PIECES_COLUMN = { table: 'vectors', column: 'pieces', definition: 'pieces BLOB' };
/** The PARSER_VERSION a document was parsed with; 0 for stores written before versions were kept. */
const DOCUMENT_PARSER_COLUMN = { table: 'documents', column: 'parser', definition: 'parser INTEGER NOT NULL DEFAULT 0' };
/**
 * The writer asks for documents without a shingle set at every refresh: a scan of the documents
 * table (3,471 rows holding their shingle sets) took up to 120 ms of its event loop at 250k
 * passages; this partial index answers from an empty list.
 */
const DOCUMENTS_WITHOUT_SHINGLES_INDEX = `CREATE INDEX IF NOT EXISTS documents_without_shingles ON documents(id) WHERE shingles IS NULL;`;

/** The store is written by one process at a time; a writer superseded by a newer one gets this. */
export class WriterFencedError extends Error {
  constructor(
    readonly path: string,
    readonly epoch: number,
    readonly current: number,
  ) {
    super(`${path}: another writer took over this data directory (writer epoch ${current}, this process holds ${epoch}); not committing`);
    this.name = 'WriterFencedError';
  }
}

/**
 * The store was written by another version of this program (its schema is not the one this code
 * reads). An older one is upgraded in place by the next writer; a reader may not write, so it says
 * which command does.
 */
export class StoreSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly found: string | undefined,
  ) {
    const older = found !== undefined && Number(found) < Number(SCHEMA_VERSION);
    super(
      `${path}: schema version ${found ?? '(none)'}, this program expects ${SCHEMA_VERSION}` +
        (older ? ': written by an earlier version; run `fazhi reindex` (or start the queue writer) once to upgrade it in place' : ': written by a newer version of fazhi'),
    );
    this.name = 'StoreSchemaError';
  }
}

/**
 * One writer per data directory: a writer that would fence out the one holding the store is
 * refused instead, while that writer's lease is current. An embedded-mode writer (`fazhi ingest`,
 * `remove`, `reindex` without --queue) is refused by the queue's writer and by another embedded
 * one; the queue's writer by an embedded one (queue writers take turns through their Redis lock).
 */
export class WriterBusyError extends Error {
  constructor(
    readonly path: string,
    readonly holder: string,
    readonly untilMs: number,
    readonly kind: WriterKind,
  ) {
    const seconds = Math.max(1, Math.ceil((untilMs - Date.now()) / 1000));
    super(
      kind === 'queue'
        ? `${path}: a queue writer (\`fazhi worker\` ${holder}) is writing to this data directory; ` +
            `ingest through it with --queue, or stop it first (its hold ends at most ${seconds} s after it stops)`
        : `${path}: another fazhi process (${holder}) is writing to this data directory (an ingest, remove or reindex); ` +
            'run this once it has finished',
    );
    this.name = 'WriterBusyError';
  }
}

export type WriterKind = 'queue' | 'embedded';

interface StoredLease {
  holder: string;
  until: number;
  /** Absent in leases written before embedded writers held one: those are the queue's. */
  kind?: WriterKind;
  pid?: number;
  /** pidScope() of the holder. */
  host?: string;
}

/**
 * An embedded writer's hold on the store lasts this long unless renewed (every EMBEDDED_RENEW_MS,
 * off the event loop's idle time), so one that died on another machine frees it within a minute;
 * on this machine a holder whose process is gone frees it at once. Long enough that a writer busy
 * for a few seconds of synchronous work (an index build) does not lose it.
 */
const EMBEDDED_LEASE_MS = 60_000;
const EMBEDDED_RENEW_MS = 10_000;

/**
 * Where a pid means this process's kind of pid: the host name and the pid namespace. Containers
 * may share a host name (host networking) but not their pids; a holder seen from another namespace
 * is never taken for gone, and waits out its lease instead.
 */
function pidScope(): string {
  try {
    return `${hostname()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return hostname();
  }
}

/** Whether `lease` is this process's own embedded writer's. */
function ownLease(lease: StoredLease): boolean {
  return lease.kind === 'embedded' && lease.pid === process.pid && lease.host === pidScope();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The queue writer's hold on the store, renewed with its Redis writer lock. */
export interface WriterLease {
  holder: string;
  ttlMs: number;
}

export interface StoreOpenOptions {
  /**
   * Writer fencing epoch. Left out (embedded mode), the writer claims the next epoch after the
   * stored one. The queue writer passes the epoch Redis gave it with the writer lock: the claim
   * is refused unless it is newer than the stored one, so a writer that lost its lock while
   * paused cannot take the store back.
   */
  epoch?: number;
  /** With `epoch`: the queue writer takes its lease on the store in the same transaction. */
  lease?: WriterLease;
}

/** A model's vector changes up to `generation`: what an index reflecting an older one applies. */
export interface VectorChanges {
  generation: number;
  /** New or replaced vectors. */
  added: StoredVector[];
  /** Passages that no longer have a vector of this model. */
  removed: PassageId[];
}

// Version order (issue 10 item 3, workers): the newest version stamp committed per source. Kept
// apart from `documents` so that it outlives `remove`: a stale retry of a removed report's old
// version must not bring it back.
const SOURCE_VERSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS source_versions (source TEXT PRIMARY KEY, version INTEGER NOT NULL);
`;

// Schema 2 (issue 8), applied after SCHEMA to a new store and to a schema-1 store alike:
// - documents.kind: what the document is (pipeline/classifyDocument.ts), for --kind.
// - passages.parts: the dictionary words inside long tokens (segmentForIndex), as a second FTS
//   column, so a short form (双随机) finds the whole name (双随机一公开) while phrase and proximity
//   matching run on the coarse `tokens` column, whose positions are the text's.
const SCHEMA_2 = `
ALTER TABLE documents ADD COLUMN kind TEXT NOT NULL DEFAULT '其他';
CREATE INDEX IF NOT EXISTS documents_kind ON documents(kind);
ALTER TABLE passages ADD COLUMN parts TEXT NOT NULL DEFAULT '';
DROP TRIGGER passages_fts_insert;
DROP TRIGGER passages_fts_delete;
DROP TABLE passages_fts;
CREATE VIRTUAL TABLE passages_fts USING fts5(
  tokens, parts, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, tokens, parts) VALUES (new.id, new.tokens, new.parts);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, tokens, parts) VALUES ('delete', old.id, old.tokens, old.parts);
END;
`;

// - passages.context: the words of the document's title and the passage's heading path
//   (segmentContext), a third FTS column.
const SCHEMA_3 = `
ALTER TABLE passages ADD COLUMN context TEXT NOT NULL DEFAULT '';
DROP TRIGGER passages_fts_insert;
DROP TRIGGER passages_fts_delete;
DROP TABLE passages_fts;
CREATE VIRTUAL TABLE passages_fts USING fts5(
  tokens, parts, context, content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, tokens, parts, context) VALUES (new.id, new.tokens, new.parts, new.context);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, tokens, parts, context) VALUES ('delete', old.id, old.tokens, old.parts, old.context);
END;
`;

/**
 * Weight of a match in the `parts` column against one in `tokens`: a part is a weaker match than
 * the whole word (公开 inside 双随机一公开 is not about 公开). Lexical nDCG@10 (dev / auto, chosen on
 * these; dev2 only confirmed): 0.5 → 0.504 / 0.128, 1.0 → 0.501 / 0.126 (fazhi-mini-zh eval index).
 */
const PARTS_WEIGHT = 0.5;
/**
 * Weight of a match in the `context` column (title and headings) against one in `tokens`. The
 * headings say what a passage is about where its text does not repeat it, and the title what kind
 * of document it is in. nDCG@10 hybrid (lexical) with bge-small-zh-v1.5 on the full eval index,
 * chosen on dev / auto, dev2 only confirmed: no context column 0.654 (0.592) / 0.171 (0.133);
 * headings only at 0.3: 0.662 (0.595) / 0.173 (0.131), at 1.0: 0.662 (0.601) / 0.177 (0.141); title and
 * headings at 0.5: 0.661 (0.597) / 0.181 (0.143), at 1.0: 0.660 (0.600) / 0.186 (0.150). dev2 at
 * 1.0 with the title: 0.655 (0.534) against 0.642 (0.513) without the column.
 */
const CONTEXT_WEIGHT = 1.0;
/** The FTS columns' weights in bm25: tokens, parts, context. */
const COLUMN_WEIGHTS = [1.0, PARTS_WEIGHT, CONTEXT_WEIGHT] as const;
const BM25 = `bm25(passages_fts, ${COLUMN_WEIGHTS.join(', ')})`;
/**
 * Proximity boost: a passage's bm25 grows by up to this share, by the fraction of neighbouring
 * query-token pairs that stand within PROXIMITY_WINDOW tokens of each other in it. Measured as
 * above: no boost 0.488 / 0.128, 0.5 → 0.504 / 0.128, 1.0 → 0.499 / 0.124; window 6 → 0.503 / 0.126.
 */
const PROXIMITY_BOOST = 0.5;
const PROXIMITY_WINDOW = 3;
/** Longer queries (a pasted paragraph) get no proximity pass; the numbers above were measured with this cut-off. */
const MAX_PROXIMITY_TOKENS = 8;
/** FTS5's bm25 k1 and b (fixed in SQLite's source). */
const BM25_K1 = 1.2;
const BM25_B = 0.75;
/**
 * Tokens held by more than this share of the passages are left out of lexical search's first pass
 * (Store.bestMatches). CPU of the 24 bench queries' FTS queries, full lawrefbook store / eval
 * index, against no pruning 625 / 88 ms: 0.01 → 519 / 97, 0.02 → 262 / 63, 0.05 → 315 / 75,
 * 0.1 → 390 / 83 (one pass, no second pass yet).
 */
const COMMON_TOKEN_SHARE = 0.02;
/** FTS5's idf of a token held by `n` of `rows` rows, floored as FTS5 floors it. */
function fts5Idf(rows: number, n: number): number {
  return Math.max(1e-6, Math.log((rows - n + 0.5) / (n + 0.5)));
}
/** Distinct query tokens whose document frequency is remembered per store generation. */
const TERM_ROW_CACHE_SIZE = 10_000;

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

// The columns a DocumentRow reads, not d.*: that also read every document's shingles (its
// boilerplate fingerprint): the catalogue of the eval index's 391 documents took 31 ms instead of 15.
const DOCUMENT_SELECT = `
SELECT d.id, d.source, d.content_hash, d.title, d.kind, d.province, d.city, d.county, d.code, d.year,
       d.published_at, d.issuer, d.doc_number, d.encoding, d.model_id, d.ingested_at,
       (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS passage_count,
       (SELECT json_group_array(a.source) FROM (SELECT source FROM aliases WHERE doc_id = d.id ORDER BY source) a) AS aliases
FROM documents d`;

const PASSAGE_SELECT = `
SELECT p.id, p.doc_id, p.ordinal, p.section, p.heading_path, p.text, p.hash, p.boilerplate,
       d.source, d.title, d.kind, d.province, d.city, d.county, d.code, d.year
FROM passages p JOIN documents d ON d.id = p.doc_id`;

export class Store {
  /** The search path's statements, compiled once per connection (compiling cost ~0.1 ms each, per query). */
  private readonly statements = new Map<string, Database.Statement>();
  /** termRows' memory: document frequencies of query tokens in one store generation. */
  private termRowCounts: { generation: number; counts: Map<string, number>; averages?: FtsAverages } = { generation: -1, counts: new Map() };
  private readonly shingleDf: ShingleFrequencies;
  /**
   * False for a store written before parser versions and opened by a reader (only a writer adds the
   * column): every document in it was parsed by version 0.
   */
  private readonly documentsHaveParser: boolean;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly readonly: boolean,
  ) {
    this.shingleDf = new ShingleFrequencies(db);
    this.documentsHaveParser = hasColumn(db, DOCUMENT_PARSER_COLUMN);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Opens the store for writing (creating the directory and schema) and claims the writer epoch:
   * from then on every write transaction checks that no newer writer has claimed it.
   */
  static open(dataDir: string, options: StoreOpenOptions = {}): Store {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, STORE_FILE);
    const db = new Database(path);
    let store: Store;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // Queue workers and the CLI may write at the same time; wait for the lock instead of failing.
      db.pragma('busy_timeout = 10000');
      db.exec(SCHEMA);
      db.exec(VECTOR_CHANGES_SCHEMA);
      db.exec(SHINGLE_DF_SCHEMA);
      addColumnIfMissing(db, DOCUMENT_SHINGLES_COLUMN);
      addColumnIfMissing(db, VECTOR_PIECES_COLUMN);
      addColumnIfMissing(db, DOCUMENT_PARSER_COLUMN);
      db.exec(DOCUMENTS_WITHOUT_SHINGLES_INDEX);
      db.exec(SOURCE_VERSIONS_SCHEMA);
      db.exec(ALIAS_SCHEMA);
      const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as
        | string
        | undefined;
      if (version === undefined || version === '1' || version === '2') {
        db.transaction(() => {
          if (version !== '2') migrateToSchema2(db);
          migrateToSchema3(db);
          db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(SCHEMA_VERSION);
          // A new store holds canonical sources from its first document on.
          if (version === undefined) db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?)`).run(SOURCE_IDENTITY_KEY, CANONICAL_SOURCES);
        })();
      } else if (version !== SCHEMA_VERSION) {
        throw new StoreSchemaError(path, version);
      }
      store = new Store(db, path, false);
      store.claimWriter(options.epoch, options.lease);
    } catch (error) {
      db.close();
      throw error;
    }
    return store;
  }

  /**
   * Opens an existing store for reading only: every process but the writer does, so a reader
   * can never write, and a read-only data directory can be searched.
   */
  static openReadOnly(dataDir: string): Store {
    const path = join(dataDir, STORE_FILE);
    if (!existsSync(path)) throw new Error(`${path}: no store here (nothing has been ingested into ${dataDir})`);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
      // Only a writer may upgrade a store (one writer per data dir): the error says which command does.
      if (version !== SCHEMA_VERSION) throw new StoreSchemaError(path, version);
    } catch (error) {
      db.close();
      throw error;
    }
    return new Store(db, path, true);
  }

  close(): void {
    if (this.renewal && this.db.open) this.releaseEmbeddedLease();
    if (!this.readonly && this.db.open) {
      // Leave the file in rollback-journal mode when no one else has it open: a WAL database can
      // only be read where its -shm file can be created, which a read-only copy or directory
      // cannot. Any process with it open keeps it in WAL mode (the switch then just fails).
      try {
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // another connection is open: it stays in WAL mode, which is fine for a writable directory
      }
    }
    this.db.close();
  }

  /** The generation counter: bumped by every write that changes passages, vectors or scores. */
  generation(): number {
    return Number(this.getMeta('generation') ?? 0);
  }

  /**
   * What changed in a model's vectors after generation `after`, read in one snapshot: the
   * passages to add (or whose vector to replace) and those to drop. Null when the log no longer
   * reaches back that far (pruned), so the caller must rebuild.
   */
  vectorChangesSince(after: number, modelId: string): VectorChanges | null {
    return this.db.transaction((): VectorChanges | null => {
      const generation = this.generation();
      const since = Number(this.getMeta('changes_since') ?? 0);
      if (after < since || after > generation) return null;
      const ids = this.db
        .prepare(`SELECT DISTINCT passage_id FROM vector_changes WHERE generation > ? ORDER BY passage_id`)
        .pluck()
        .all(after) as number[];
      const current = this.getVectors(ids, modelId);
      // No count of the model's vectors here: at 250k passages it took 20–45 ms of every reader's
      // catch-up (a server after each commit, a warm reader polling); the index counts its own.
      return {
        generation,
        added: ids.flatMap((id) => (current.has(id) ? [{ id, vector: current.get(id)! }] : [])),
        removed: ids.filter((id) => !current.has(id)),
      };
    })();
  }

  /**
   * Every vector of a model with the generation they make up, read in one snapshot (an index
   * built from it is exactly that generation's).
   */
  readVectorSnapshot(modelId: string, each: (item: StoredVector) => void): { generation: number; count: number; dim: number } {
    return this.db.transaction(() => {
      let count = 0;
      let dim = 0;
      for (const item of this.iterateVectors(modelId)) {
        dim = item.vector.length;
        count++;
        each(item);
      }
      return { generation: this.generation(), count, dim };
    })();
  }

  /** Entries in the vector change log (after `after`): what a reader replays onto the saved index file. */
  countVectorChanges(after = -1): number {
    return this.db.prepare(`SELECT count(*) FROM vector_changes WHERE generation > ?`).pluck().get(after) as number;
  }

  /** The generation after which the change log is complete. */
  changesSince(): number {
    return Number(this.getMeta('changes_since') ?? 0);
  }

  /** Forgets the change log up to `generation` once a saved index file reflects it. */
  pruneVectorChanges(generation: number): void {
    this.write(() => {
      const since = Number(this.getMeta('changes_since') ?? 0);
      if (generation <= since) return;
      this.db.prepare(`DELETE FROM vector_changes WHERE generation <= ?`).run(generation);
      this.putMeta('changes_since', String(generation));
    });
  }

  /** This writer's fencing epoch. */
  get writerEpoch(): number | null {
    return this.epoch;
  }

  private epoch: number | null = null;

  private claimWriter(epoch: number | undefined, lease: WriterLease | undefined): void {
    const kind: WriterKind = epoch === undefined ? 'embedded' : 'queue';
    this.db
      .transaction(() => {
        const stored = Number(this.getMeta('writer_epoch') ?? 0);
        const held = this.currentLease();
        if (held && (kind === 'embedded' || held.kind === 'embedded') && !this.abandoned(held)) {
          throw new WriterBusyError(this.path, held.holder, held.until, held.kind ?? 'queue');
        }
        const claimed = epoch ?? stored + 1;
        if (claimed <= stored) throw new WriterFencedError(this.path, claimed, stored);
        this.putMeta('writer_epoch', String(claimed));
        this.epoch = claimed;
        if (lease) this.putLease(lease);
        if (kind === 'embedded') this.putEmbeddedLease();
      })
      .immediate();
    if (kind === 'embedded') {
      this.renewal = setInterval(() => {
        try {
          this.write(() => this.putEmbeddedLease());
        } catch (err) {
          // Fenced (another writer took over after this one stalled past its lease): every write of
          // this process is refused from now on, which tells the command. Anything else (the
          // database busy, the disk full) is tried again at the next renewal.
          if (err instanceof WriterFencedError) this.stopRenewal();
        }
      }, EMBEDDED_RENEW_MS).unref();
    }
  }

  /**
   * The writer holding this data directory now, as a write it refuses is told (for a reader, such
   * as the server, saying why the write it asked a child process for was refused), or null.
   */
  currentWriter(): WriterBusyError | null {
    const held = this.currentLease();
    if (!held || (held.kind === 'embedded' && held.host === pidScope() && held.pid !== undefined && !processAlive(held.pid))) return null;
    return new WriterBusyError(this.path, held.holder, held.until, held.kind ?? 'queue');
  }

  /** An embedded writer's lease held by this process (a command reopening its store), or by a process on this machine that is gone. */
  private abandoned(lease: StoredLease): boolean {
    if (lease.kind !== 'embedded' || lease.host !== pidScope() || lease.pid === undefined) return false;
    return ownLease(lease) || !processAlive(lease.pid);
  }

  private renewal: NodeJS.Timeout | null = null;

  private stopRenewal(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  private currentLease(): StoredLease | null {
    const raw = this.getMeta('writer_lease');
    const lease = raw ? (JSON.parse(raw) as StoredLease) : null;
    return lease && lease.until > Date.now() ? lease : null;
  }

  private putLease(lease: WriterLease): void {
    this.putMeta('writer_lease', JSON.stringify({ holder: lease.holder, until: Date.now() + lease.ttlMs, kind: 'queue' } satisfies StoredLease));
  }

  private putEmbeddedLease(): void {
    const lease: StoredLease = { holder: `pid ${process.pid} on ${hostname()}`, until: Date.now() + EMBEDDED_LEASE_MS, kind: 'embedded', pid: process.pid, host: pidScope() };
    this.putMeta('writer_lease', JSON.stringify(lease));
  }

  /** Ends this embedded writer's lease (close), so the next writer need not wait for it to lapse. */
  private releaseEmbeddedLease(): void {
    this.stopRenewal();
    try {
      this.write(() => {
        const held = this.currentLease();
        if (held && ownLease(held)) this.db.prepare(`DELETE FROM meta WHERE key = 'writer_lease'`).run();
      });
    } catch {
      // Fenced (the lease is another writer's now), or the database busy: a lease left behind
      // lapses by itself within EMBEDDED_LEASE_MS, which beats failing a command that is done.
    }
  }

  /** The queue writer extends its lease (fenced like any write: a superseded writer cannot). */
  renewWriterLease(lease: WriterLease): void {
    this.write(() => this.putLease(lease));
  }

  /** Ends the queue writer's lease at once (clean shutdown), so embedded writers may go on. */
  releaseWriterLease(holder: string): void {
    this.write(() => {
      if (this.currentLease()?.holder === holder) this.db.prepare(`DELETE FROM meta WHERE key = 'writer_lease'`).run();
    });
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction after checking, inside it, that this process is still
   * the store's writer: a writer superseded while paused cannot commit anything.
   */
  private write<T>(fn: () => T): T {
    if (this.readonly) throw new Error(`${this.path}: opened read-only`);
    return this.db
      .transaction((): T => {
        const current = Number(this.getMeta('writer_epoch') ?? 0);
        if (current !== this.epoch) throw new WriterFencedError(this.path, this.epoch ?? 0, current);
        return fn();
      })
      .immediate();
  }

  /** Inside a write: records that the vectors of `ids` changed, as one new generation. */
  private bumpGeneration(changedVectorIds: readonly PassageId[]): void {
    const generation = this.generation() + 1;
    this.putMeta('generation', String(generation));
    const log = this.db.prepare(`INSERT INTO vector_changes (generation, passage_id) VALUES (?, ?)`);
    for (const id of changedVectorIds) log.run(generation, id);
  }

  getMeta(key: string): string | null {
    const value = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined;
    return value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.write(() => this.putMeta(key, value));
  }

  private putMeta(key: string, value: string): void {
    this.db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  /**
   * True if `source` (a document or an alias of one) holds these bytes embedded with this model
   * and, for a document, parsed by this program's parser (PARSER_VERSION): one parsed by an earlier
   * version is parsed again. An alias stays current: its document is re-parsed from its own path.
   */
  hasCurrent(source: string, contentHash: string, modelId: string): boolean {
    const alias = `SELECT 1 FROM aliases a JOIN documents d ON d.id = a.doc_id WHERE a.source = ? AND d.content_hash = ? AND d.model_id = ?`;
    if (!this.documentsHaveParser) return this.db.prepare(alias).get(source, contentHash, modelId) !== undefined;
    return (
      this.db
        .prepare(`SELECT 1 FROM documents WHERE source = ? AND content_hash = ? AND model_id = ? AND parser >= ? UNION ALL ${alias}`)
        .get(source, contentHash, modelId, PARSER_VERSION, source, contentHash, modelId) !== undefined
    );
  }

  /** Documents parsed by an earlier parser than this program's: the next ingest of their files parses them again. */
  private countParsedBefore(): number {
    // Without the column (a store from before versions, opened by a reader) every document is version 0.
    if (!this.documentsHaveParser) return this.db.prepare(`SELECT count(*) FROM documents`).pluck().get() as number;
    return this.db.prepare(`SELECT count(*) FROM documents WHERE parser < ?`).pluck().get(PARSER_VERSION) as number;
  }

  /**
   * Records `source` as an alias of a document under another path holding the same bytes, if
   * there is one (replacing whatever `source` held before); returns that document's id, or null.
   */
  recordAliasIfDuplicate(source: string, contentHash: string): { docId: number; removedIds: PassageId[]; isNew: boolean } | null {
    return this.write(() => this.aliasInTransaction(source, contentHash));
  }

  private aliasInTransaction(source: string, contentHash: string): { docId: number; removedIds: PassageId[]; isNew: boolean } | null {
    const twin = this.db
      .prepare(`SELECT id FROM documents WHERE content_hash = ? AND source <> ? ORDER BY id LIMIT 1`)
      .pluck()
      .get(contentHash, source) as number | undefined;
    if (twin === undefined) return null;
    const own = this.db.prepare(`SELECT id FROM documents WHERE source = ?`).pluck().get(source) as number | undefined;
    // Its old version stays with its own aliases, if it has any (see putReport): no vector changes,
    // but readers show the new source.
    const inherited = own !== undefined && this.passToHeir(own) !== undefined;
    const removedIds = own === undefined || inherited ? [] : this.dropDocument(own);
    if (removedIds.length > 0 || inherited) this.bumpGeneration(removedIds);
    const previous = this.db.prepare(`SELECT doc_id FROM aliases WHERE source = ?`).pluck().get(source) as number | undefined;
    this.db
      .prepare(`INSERT INTO aliases (source, doc_id) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET doc_id = excluded.doc_id`)
      .run(source, twin);
    return { docId: twin, removedIds, isNew: previous !== twin };
  }

  /**
   * Stores a parsed report with one vector per passage, in one transaction: unchanged (same
   * content hash, same model, not parsed by a newer parser than the stored one) → nothing
   * written; otherwise the new version is written over the stored one, keeping the ids of what did
   * not change (writeOver) — unless other files hold the stored bytes (its aliases): then the
   * stored version stays as the first one's document (passToHeir) and the new one is inserted.
   * Any failure rolls everything back.
   */
  putReport(report: ParsedReport, vectors: PassageVectors[], modelId: string, boilerplate?: DocumentShingles): PutResult {
    if (vectors.length !== report.passages.length) {
      throw new Error(`${report.source}: ${report.passages.length} passages but ${vectors.length} vectors`);
    }
    const dim = vectors[0]?.vector.length ?? 0;
    for (const { vector, pieces } of vectors) {
      if (vector.length !== dim || dim === 0 || pieces.some((piece) => piece.length !== dim)) throw new Error(`${report.source}: vectors of mixed or zero dimension`);
    }
    return this.write((): PutResult => {
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
        .prepare(`SELECT id, content_hash, model_id, parser FROM documents WHERE source = ?`)
        .get(report.source) as { id: number; content_hash: string; model_id: string; parser: number } | undefined;
      // A job parsed before versions were kept (in Redis across an upgrade) has none.
      const parser = report.parser ?? 0;
      if (existing && existing.content_hash === report.contentHash) {
        // Parsed again by a newer parser, the same bytes are a new version: its headings, words or
        // metadata may differ where the passage texts do not. A job of an older parser changes
        // nothing but, under another model (a queue-mode reindex sends the files again), vectors.
        const reparsed = existing.parser < parser;
        if (!reparsed && existing.model_id === modelId) return { changed: false, docId: existing.id, passageIds: this.passageIdsOf(existing.id), removedIds: [] };
        return { changed: true, docId: existing.id, ...this.writeOver(existing, report, vectors, modelId, { vectorsOnly: !reparsed, boilerplate }) };
      }
      // The files recorded as its aliases still hold the old bytes: the old version stays, theirs.
      if (existing && this.passToHeir(existing.id) === undefined) {
        return { changed: true, docId: existing.id, ...this.writeOver(existing, report, vectors, modelId, { vectorsOnly: false, boilerplate }) };
      }
      const docId = Number(
        this.db
          .prepare(
            `INSERT INTO documents (source, content_hash, parser, title, province, city, county, code, year,
               published_at, issuer, doc_number, encoding, model_id, ingested_at, kind)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(report.source, report.contentHash, parser, ...documentFields(report), modelId, new Date().toISOString(), report.meta.kind).lastInsertRowid,
      );
      const passageIds = report.passages.map((passage, i) => this.insertPassage(docId, passage, vectors[i]!, modelId));
      if (boilerplate) this.scoreNewDocument(docId, report.contentHash, passageIds, boilerplate);
      this.putMeta('model_id', modelId);
      this.bumpGeneration(passageIds);
      return { changed: true, docId, passageIds, removedIds: [] };
    });
  }

  /** Inside a write: one passage of a document, with its vector (its lexical entry follows by trigger). */
  private insertPassage(docId: number, passage: Passage, vectors: PassageVectors, modelId: string): PassageId {
    const id = Number(
      this.statement(
        `INSERT INTO passages (doc_id, ordinal, section, heading_path, text, tokens, hash, parts, context)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        docId,
        passage.ordinal,
        passage.section,
        JSON.stringify(passage.headingPath),
        passage.text,
        joinTokens(passage.tokens),
        passage.hash,
        joinTokens(passage.parts),
        joinTokens(passage.context),
      ).lastInsertRowid,
    );
    this.statement(`INSERT INTO vectors (passage_id, model_id, dim, data, pieces) VALUES (?, ?, ?, ?, ?)`).run(
      id,
      modelId,
      vectors.vector.length,
      vectorToBlob(vectors.vector),
      piecesToBlob(vectors.pieces),
    );
    return id;
  }

  /**
   * Inside putReport: a new version of a stored document (other bytes, a newer parse, or the same
   * under another model) written over it, so that what did not change keeps its ids — users and
   * the API hold on to them. The document keeps its id; each passage whose normalised text the new
   * version still has (matched in order) keeps its id, its row and lexical entry updated where they
   * differ and its vector only under a new model or where its exact text changed (so an unchanged
   * passage costs the vector index nothing); the other passages are deleted and the new ones
   * inserted under new ids (ids are never reused: an id seen before only ever names its text).
   * `vectorsOnly` (the same parse under another model) keeps rows and metadata as stored, unless
   * its passages are not the stored ones.
   */
  private writeOver(
    existing: { id: number; model_id: string },
    report: ParsedReport,
    vectors: readonly PassageVectors[],
    modelId: string,
    opts: { vectorsOnly: boolean; boilerplate: DocumentShingles | undefined },
  ): { passageIds: PassageId[]; removedIds: PassageId[] } {
    const docId = existing.id;
    const stored = this.db
      .prepare(`SELECT id, ordinal, hash, text, tokens, parts, context FROM passages WHERE doc_id = ? ORDER BY ordinal`)
      .all(docId) as StoredPassage[];
    const unmatched = new Map<string, StoredPassage[]>();
    for (const row of stored) unmatched.set(row.hash, [...(unmatched.get(row.hash) ?? []), row]);
    const matched = report.passages.map((passage) => unmatched.get(passage.hash)?.shift());
    const removed = [...unmatched.values()].flat().map((row) => row.id);
    const vectorsOnly =
      opts.vectorsOnly && removed.length === 0 && matched.every((row, i) => row?.ordinal === report.passages[i]!.ordinal && row.text === report.passages[i]!.text);
    const newModel = existing.model_id !== modelId;
    const changedVectors: PassageId[] = [];
    const drop = this.db.prepare(`DELETE FROM passages WHERE id = ?`);
    for (const id of removed) drop.run(id);
    if (!vectorsOnly) {
      // Out of the way of the new ordinals (UNIQUE (doc_id, ordinal)) until each passage takes its own.
      this.db.prepare(`UPDATE passages SET ordinal = -1 - ordinal WHERE doc_id = ?`).run(docId);
    }
    // The lexical index is external-content with insert and delete triggers only: a changed row
    // leaves the index with its old words and enters it with the new ones.
    const unindex = this.db.prepare(`INSERT INTO passages_fts(passages_fts, rowid, tokens, parts, context) VALUES ('delete', ?, ?, ?, ?)`);
    const index = this.db.prepare(`INSERT INTO passages_fts(rowid, tokens, parts, context) VALUES (?, ?, ?, ?)`);
    const update = this.db.prepare(`UPDATE passages SET ordinal = ?, text = ?, section = ?, heading_path = ?, tokens = ?, parts = ?, context = ? WHERE id = ?`);
    const upsert = this.upsertVector();
    const passageIds = report.passages.map((passage, i) => {
      const row = matched[i];
      if (!row) {
        const id = this.insertPassage(docId, passage, vectors[i]!, modelId);
        changedVectors.push(id);
        return id;
      }
      if (!vectorsOnly) {
        const next = { tokens: joinTokens(passage.tokens), parts: joinTokens(passage.parts), context: joinTokens(passage.context) };
        const reindexed = next.tokens !== row.tokens || next.parts !== row.parts || next.context !== row.context;
        if (reindexed) unindex.run(row.id, row.tokens, row.parts, row.context);
        update.run(passage.ordinal, passage.text, passage.section, JSON.stringify(passage.headingPath), next.tokens, next.parts, next.context, row.id);
        if (reindexed) index.run(row.id, next.tokens, next.parts, next.context);
      }
      if (newModel || row.text !== passage.text) {
        upsert({ id: row.id, ...vectors[i]! }, modelId);
        changedVectors.push(row.id);
      }
      return row.id;
    });
    if (!vectorsOnly) {
      this.releaseShingles(docId);
      this.db
        .prepare(
          `UPDATE documents SET content_hash = ?, parser = ?, title = ?, province = ?, city = ?, county = ?, code = ?, year = ?,
             published_at = ?, issuer = ?, doc_number = ?, encoding = ?, kind = ?, shingles = NULL WHERE id = ?`,
        )
        .run(report.contentHash, report.parser ?? 0, ...documentFields(report), report.meta.kind, docId);
      if (opts.boilerplate) this.scoreNewDocument(docId, report.contentHash, passageIds, opts.boilerplate);
    }
    this.db.prepare(`UPDATE documents SET model_id = ?, ingested_at = ? WHERE id = ?`).run(modelId, new Date().toISOString(), docId);
    this.putMeta('model_id', modelId);
    this.bumpGeneration([...removed, ...changedVectors]);
    return { passageIds, removedIds: removed };
  }

  /**
   * Runs `write` (a commit of `source`) only when `version` is newer than every version of that
   * source committed before, and records it, in one transaction: an older version that arrives
   * late (a queue retry after backoff) never replaces a newer one. Versions are the producer's
   * stamps (see workers/versionStamp.ts); equal stamps are the same enqueue, so they pass.
   */
  writeIfNewer<T>(source: string, version: number, write: () => T): { superseded: true; newest: number } | { superseded: false; result: T } {
    return this.write(() => {
      const newest = this.db.prepare(`SELECT version FROM source_versions WHERE source = ?`).pluck().get(source) as number | undefined;
      if (newest !== undefined && newest > version) return { superseded: true as const, newest };
      const result = write();
      this.db
        .prepare(`INSERT INTO source_versions (source, version) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET version = max(version, excluded.version)`)
        .run(source, version);
      return { superseded: false as const, result };
    });
  }

  /** The newest version stamp committed for `source`, or null. */
  versionOf(source: string): number | null {
    return (this.db.prepare(`SELECT version FROM source_versions WHERE source = ?`).pluck().get(source) as number | undefined) ?? null;
  }

  /** Deletes a document with its passages, vectors and lexical entries; false if unknown. */
  removeBySource(source: string): boolean {
    return this.write(() => {
      const docId = this.db.prepare(`SELECT id FROM documents WHERE source = ?`).pluck().get(source) as number | undefined;
      if (docId === undefined) return false;
      this.bumpGeneration(this.dropDocument(docId));
      return true;
    });
  }

  /** Inside a write: deletes a document with everything hanging off it; returns its passage ids. */
  private dropDocument(docId: number): PassageId[] {
    const removedIds = this.passageIdsOf(docId);
    this.releaseShingles(docId);
    this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(docId);
    return removedIds;
  }

  /**
   * Removes what `source` names: an alias is dropped; a document with aliases lives on under its
   * first alias (those bytes are still on disk there); a document without is deleted.
   */
  removeSource(source: string): { removed: 'alias' | 'document'; keptAs?: string } | null {
    return this.write(() => {
      if (this.db.prepare(`DELETE FROM aliases WHERE source = ?`).run(source).changes > 0) return { removed: 'alias' as const };
      const docId = this.db.prepare(`SELECT id FROM documents WHERE source = ?`).pluck().get(source) as number | undefined;
      if (docId === undefined) return null;
      const heir = this.passToHeir(docId);
      if (heir === undefined) {
        this.bumpGeneration(this.dropDocument(docId));
        return { removed: 'document' as const };
      }
      // No vector changed, but readers show the new source.
      this.bumpGeneration([]);
      return { removed: 'document' as const, keptAs: heir };
    });
  }

  /**
   * Inside a write: a document leaving its source (removed, or replaced by other bytes) stays, with
   * its ids, as the document of its first alias, if it has one; returns that alias's source.
   */
  private passToHeir(docId: number): string | undefined {
    const heir = this.db.prepare(`SELECT source FROM aliases WHERE doc_id = ? ORDER BY source LIMIT 1`).pluck().get(docId) as string | undefined;
    if (heir === undefined) return undefined;
    this.db.prepare(`DELETE FROM aliases WHERE source = ?`).run(heir);
    this.db.prepare(`UPDATE documents SET source = ? WHERE id = ?`).run(heir, docId);
    return heir;
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
    return this.write(() => {
      const docs = this.db.prepare(`SELECT id, source FROM documents ORDER BY ingested_at DESC, id DESC`).all() as { id: number; source: string }[];
      const taken = new Set<string>();
      const moves: { id: number; target: string }[] = [];
      const removedIds: PassageId[] = [];
      let merged = 0;
      for (const doc of docs) {
        const target = canonical(doc.source) ?? doc.source;
        if (taken.has(target)) {
          removedIds.push(...this.dropDocument(doc.id));
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
        removedIds.push(...this.dropDocument(copy.id));
        this.db.prepare(`INSERT OR REPLACE INTO aliases (source, doc_id) VALUES (?, ?)`).run(copy.source, copy.first);
      }
      this.putMeta(SOURCE_IDENTITY_KEY, CANONICAL_SOURCES);
      this.bumpGeneration(removedIds);
      return { renamed: moves.length, merged, aliased: copies.length };
    });
  }

  counts(): { documents: number; passages: number; vectors: number } {
    const count = (table: string) => this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return { documents: count('documents'), passages: count('passages'), vectors: count('vectors') };
  }

  documents(): DocumentRow[] {
    const rows = this.db.prepare(`${DOCUMENT_SELECT} ORDER BY d.source`).all() as DocumentDbRow[];
    return rows.map(toDocumentRow);
  }

  /** Documents of these regions, years and kind (a section filter does not apply to documents). */
  documentsMatching(filter: Omit<SearchFilter, 'section'>): DocumentRow[] {
    const where = buildWhere({ filter });
    const rows = this.db.prepare(`${DOCUMENT_SELECT} WHERE ${where.sql} ORDER BY d.source`).all(...where.params) as DocumentDbRow[];
    return rows.map(toDocumentRow);
  }

  /** Sources of the documents embedded with another model than `modelId`. */
  sourcesEmbeddedWithOther(modelId: string): string[] {
    return this.db.prepare(`SELECT source FROM documents WHERE model_id <> ? ORDER BY source`).pluck().all(modelId) as string[];
  }

  getDocument(id: number): DocumentRow | null {
    const row = this.db.prepare(`${DOCUMENT_SELECT} WHERE d.id = ?`).get(id) as DocumentDbRow | undefined;
    return row ? toDocumentRow(row) : null;
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
    const rows = this.statement(`${PASSAGE_SELECT} WHERE p.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as PassageDbRow[];
    const byId = new Map(rows.map((row) => [row.id, toPassageRow(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * getPassages without the text, heading path, source and title: for ranking a search's
   * candidates, of which only a page is shown, and counting their facets. Reading those strings was most of getPassages' cost
   * (200 candidates of the eval index: 1.8 ms instead of 4–5 ms CPU).
   */
  getPassageFacts(ids: readonly PassageId[]): PassageFacts[] {
    if (ids.length === 0) return [];
    const rows = this.statement(
      `SELECT p.id, p.doc_id, p.section, p.boilerplate, d.kind, d.province, d.city, d.county, d.code, d.year
       FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(ids)) as (Omit<PassageDbRow, 'ordinal' | 'heading_path' | 'text' | 'hash' | 'source' | 'title'>)[];
    const byId = new Map<PassageId, PassageFacts>(
      rows.map((row) => [row.id, { id: row.id, docId: row.doc_id, section: row.section, boilerplate: row.boilerplate, kind: row.kind, jurisdiction: jurisdictionOf(row), year: row.year }]),
    );
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  passageIdsOf(docId: number): PassageId[] {
    return this.db.prepare(`SELECT id FROM passages WHERE doc_id = ? ORDER BY ordinal`).pluck().all(docId) as number[];
  }

  /** Ids of all passages satisfying the query's filter and exclusions (at most `limit`). */
  passageIds(query: PassageQuery, limit = -1): Set<PassageId> {
    const where = buildWhere(query);
    const ids = this.db
      .prepare(`SELECT p.id FROM passages p JOIN documents d ON d.id = p.doc_id WHERE ${where.sql} LIMIT ?`)
      .pluck()
      .all(...where.params, limit) as number[];
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
    const distinct = distinctTokens(tokens);
    if (distinct.length === 0) return [];
    const unfiltered = !query.excludeRegion && query.excludeDocId === undefined && query.excludeKind === undefined && Object.values(query.filter ?? {}).every((v) => v === undefined);
    const where = unfiltered ? undefined : buildWhere(query);
    const run = (match: string): RankedRow[] =>
      where
        ? (this.statement(
            `SELECT p.id, ${BM25} AS rank
             FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid JOIN documents d ON d.id = p.doc_id
             WHERE passages_fts MATCH ? AND ${where.sql}
             ORDER BY rank LIMIT ?`,
          ).all(match, ...where.params, limit) as RankedRow[])
        : // Unfiltered: rank inside the FTS table alone; joining every match first cost 3–7×.
          (this.statement(`SELECT rowid AS id, ${BM25} AS rank FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?`).all(
            match,
            limit,
          ) as RankedRow[]);
    const hits = this.bestMatches(distinct, limit, run).map((row) => ({ id: row.id, score: -row.rank }));
    return distinct.length >= 2 && distinct.length <= MAX_PROXIMITY_TOKENS ? this.boostProximity(hits, distinct) : hits;
  }

  /**
   * The `limit` best rows by bm25 for passages holding any of the tokens, exactly as
   * `run(t1 OR t2 OR …)` returns them, but cheaper when common tokens (行政, 政府, 执法: a tenth of
   * all passages each) are among them: FTS5 computes bm25 for every matching row, and the rows that
   * hold only common tokens are most of them and score low. So a first pass ranks only the rows
   * holding a rarer token, with the same expression's bm25 (`all NOT (common NOT rare)`: the same
   * phrases, so the same idf and scores). A token adds less than idf × (k1 + 1) to any row's bm25,
   * so if the common tokens' bounds sum below that pass's last score, no row left out could
   * have entered the list, and it is the answer; else the bounds say which tokens may be left out
   * against that score, and a second pass (whose last score is no lower) is exact. Measured
   * (CPU, 24 bench queries): full lawrefbook store 625 → 313 ms, eval index 88 → 75 ms.
   */
  private bestMatches(distinct: readonly string[], limit: number, run: (match: string) => RankedRow[]): RankedRow[] {
    const all = distinct.map(quoteToken).join(' OR ');
    if (distinct.length < 2) return run(all);
    // An upper bound on FTS5's row count keeps each idf bound an upper bound.
    const rowsBound = (this.statement(`SELECT max(id) FROM passages`).pluck().get() as number | null) ?? 0;
    const counts = this.termRows(distinct);
    const terms = distinct
      .map((token, i) => {
        const rows = counts[i]!;
        return { token, rows, bound: (BM25_K1 + 1) * fts5Idf(rowsBound, rows) };
      })
      .sort((a, b) => b.rows - a.rows);
    // Most common first; at least one token stays in the first pass.
    let common = terms.slice(0, terms.length - 1).filter((t) => t.rows > COMMON_TOKEN_SHARE * rowsBound);
    while (common.length > 0) {
      const rare = terms.slice(common.length);
      const rows = run(`(${all}) NOT ((${common.map((t) => quoteToken(t.token)).join(' OR ')}) NOT (${rare.map((t) => quoteToken(t.token)).join(' OR ')}))`);
      const last = rows.length === limit ? -rows[limit - 1]!.rank : 0;
      const fits: typeof common = [];
      let sum = 0;
      for (const t of common) {
        if ((sum + t.bound) * (1 + 1e-9) >= last) break;
        sum += t.bound;
        fits.push(t);
      }
      if (fits.length === common.length) return rows;
      common = fits;
    }
    return run(all);
  }

  /**
   * How many passages hold each token (FTS5's document frequency of it as a phrase), remembered
   * for the store generation they were counted in: the same common tokens recur query after query.
   */
  private termRows(tokens: readonly string[]): number[] {
    const generation = this.generation();
    if (this.termRowCounts.generation !== generation || this.termRowCounts.counts.size + tokens.length > TERM_ROW_CACHE_SIZE) {
      this.termRowCounts = { generation, counts: new Map() };
    }
    const counts = this.termRowCounts.counts;
    return tokens.map((token) => {
      let rows = counts.get(token);
      if (rows === undefined) {
        rows = this.statement(`SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?`).pluck().get(quoteToken(token)) as number;
        counts.set(token, rows);
      }
      return rows;
    });
  }

  /**
   * FTS5's idf of each token in this index (0 for a token no passage holds: it cannot match), from
   * termRows' per-generation memory.
   */
  tokenIdfs(tokens: readonly string[]): number[] {
    const termRows = this.termRows(tokens);
    const { rows } = this.ftsAverages();
    return termRows.map((n) => (n === 0 ? 0 : fts5Idf(rows, n)));
  }

  /**
   * lexicalSearch's scores (bm25 and proximity boost) of the given passages, whatever their rank:
   * hybrid fusion's lexical score of the passages dense found. Those holding no token are left out.
   * bm25 is computed here as FTS5 computes it (its formula, its counts: termRows, the FTS averages
   * record, the rows' terms), not by FTS5: any FTS5 bm25 query scans every matching row of every
   * token first, and with the rows restricted to 100 ids that cost 34 ms a query on a 250k-passage
   * store (lexicalSearch itself: 15 ms).
   */
  lexicalScores(tokens: readonly string[], ids: readonly PassageId[]): LexicalHit[] {
    const distinct = distinctTokens(tokens);
    if (distinct.length === 0 || ids.length === 0) return [];
    const holding = this.termRows(distinct);
    const { rows, terms } = this.ftsAverages();
    const idf = holding.map((n) => fts5Idf(rows, n));
    const phrases = distinct.map(ftsTerms);
    // Only the rows holding a query term are read out of SQLite, where no term has letter case
    // (Chinese words, numbers: then `instr` finds what the lowercased check below does). Full
    // lawrefbook and the reports, the 1,381 passages not laws scored for each of 24 bench queries:
    // 11.3 → 5.0 ms a query (reading every row's text cost 4.9 ms of it).
    const firsts = [...new Set(phrases.flatMap((phrase) => (phrase.length > 0 ? [phrase[0]!] : [])))];
    const prefilter = firsts.length > 0 && firsts.every((term) => term === term.toUpperCase());
    const holdsTerm = prefilter ? ` AND (${firsts.map(() => `instr(p.tokens, ?) OR instr(p.parts, ?) OR instr(p.context, ?)`).join(' OR ')})` : '';
    const texts = this.statement(
      `SELECT p.id, p.tokens, p.parts, p.context, s.sz FROM passages p JOIN passages_fts_docsize s ON s.id = p.id WHERE p.id IN (SELECT value FROM json_each(?))${holdsTerm}`,
    ).all(JSON.stringify(ids), ...(prefilter ? firsts.flatMap((term) => [term, term, term]) : [])) as { id: number; tokens: string; parts: string; context: string; sz: Buffer }[];
    const hits: LexicalHit[] = [];
    for (const row of texts) {
      // The row's term count (all columns) as FTS5 stored it; a column is cut into terms only where
      // it holds a query term at all (cutting every candidate's text cost more than the rest).
      const length = readVarints(row.sz).reduce((sum, n) => sum + n, 0);
      const frequencies = phrases.map(() => 0);
      [row.tokens, row.parts, row.context].forEach((text, c) => {
        const lower = text.toLowerCase();
        const present = phrases.flatMap((phrase, i) => (phrase.length > 0 && lower.includes(phrase[0]!) ? [i] : []));
        if (present.length === 0) return;
        const terms = ftsTerms(text);
        for (const i of present) frequencies[i]! += COLUMN_WEIGHTS[c]! * occurrences(terms, phrases[i]!).length;
      });
      const norm = BM25_K1 * (1 - BM25_B + (BM25_B * length * rows) / terms);
      const score = frequencies.reduce((sum, frequency, i) => (frequency > 0 ? sum + (idf[i]! * frequency * (BM25_K1 + 1)) / (frequency + norm) : sum), 0);
      if (score > 0) hits.push({ id: row.id, score });
    }
    hits.sort((a, b) => b.score - a.score);
    return distinct.length >= 2 && distinct.length <= MAX_PROXIMITY_TOKENS ? this.boostProximity(hits, distinct) : hits;
  }

  /**
   * FTS5's row count and term count (all columns) from its averages record (rowid 1 of the data
   * table: varints, rows then each column's total), remembered with termRows' per-generation
   * memory (call termRows first). The row count is what FTS5's idf reads; counting the passages
   * instead cost milliseconds at 250k.
   */
  private ftsAverages(): FtsAverages {
    if (this.termRowCounts.averages) return this.termRowCounts.averages;
    const block = this.statement(`SELECT block FROM passages_fts_data WHERE id = 1`).pluck().get() as Buffer | undefined;
    const [rows = 0, ...columns] = block ? readVarints(block) : [];
    const averages = { rows, terms: columns.reduce((sum, n) => sum + n, 0) || 1 };
    this.termRowCounts.averages = averages;
    return averages;
  }

  /**
   * The most lexicalSearch could score these tokens in this index: every token at bm25 saturation
   * (idf × (k1 + 1), whatever the column weights) and the full proximity boost. A bm25 grows with
   * the corpus (idf = ln(N / n)); its share of this bound does not, so scores read alike in a small
   * and a large index. Tokens no passage holds count too: a query half made of words the index
   * lacks can match at most half. Counts come from termRows' per-generation memory.
   */
  lexicalScoreBound(tokens: readonly string[]): number {
    const distinct = distinctTokens(tokens);
    if (distinct.length === 0) return 0;
    const termRows = this.termRows(distinct);
    const { rows } = this.ftsAverages();
    const idf = termRows.reduce((sum, n) => sum + fts5Idf(rows, n), 0);
    const proximity = distinct.length >= 2 && distinct.length <= MAX_PROXIMITY_TOKENS ? 1 + PROXIMITY_BOOST : 1;
    return (BM25_K1 + 1) * idf * proximity;
  }

  /**
   * Multi-word queries: passages where neighbouring query words stand together (行政 复议 …
   * 办案 人员) rank above passages that hold the same words scattered: FTS5 NEAR semantics on the
   * coarse `tokens` column, computed in memory over the candidates' tokens (search/proximity.ts).
   */
  private boostProximity(hits: LexicalHit[], distinct: readonly string[]): LexicalHit[] {
    const rows = this.statement(`SELECT id, tokens FROM passages WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(hits.map((h) => h.id))) as {
      id: number;
      tokens: string;
    }[];
    const phrases = distinct.map(ftsTerms);
    const pairs = distinct.length - 1;
    const pairsNear = new Map(rows.map((row) => [row.id, nearPairCount(ftsTerms(row.tokens), phrases, PROXIMITY_WINDOW)]));
    return hits
      .map((h) => ({ id: h.id, score: h.score * (1 + (PROXIMITY_BOOST * (pairsNear.get(h.id) ?? 0)) / pairs) }))
      .sort((a, b) => b.score - a.score);
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

  /** The pieces of the passages that have them (PassageVectors), under `modelId`. */
  getPieces(ids: readonly PassageId[], modelId: string): Map<PassageId, Float32Array[]> {
    const rows = this.db
      .prepare(`SELECT passage_id AS id, dim, pieces FROM vectors WHERE model_id = ? AND pieces IS NOT NULL AND passage_id IN (SELECT value FROM json_each(?))`)
      .all(modelId, JSON.stringify(ids)) as { id: number; dim: number; pieces: Buffer }[];
    return new Map(rows.map((row) => [row.id, blobToPieces(row.pieces, row.dim)]));
  }

  /**
   * The vectors under `modelId` of the document stored at `source`, by passage text: a new version
   * of a file (edited, or parsed again after an upgrade) embeds only the passages it does not share.
   */
  vectorsOfSource(source: string, modelId: string): Map<string, PassageVectors> {
    const rows = this.db
      .prepare(
        `SELECT p.text, v.dim, v.data, v.pieces FROM documents d JOIN passages p ON p.doc_id = d.id
         JOIN vectors v ON v.passage_id = p.id AND v.model_id = ? WHERE d.source = ?`,
      )
      .all(modelId, source) as { text: string; dim: number; data: Buffer; pieces: Buffer | null }[];
    return new Map(rows.map((row) => [row.text, { vector: blobToVector(row.data), pieces: row.pieces ? blobToPieces(row.pieces, row.dim) : [] }]));
  }

  /**
   * The passage texts of the document stored at `source` that have vectors under `modelId`: what a
   * queue producer tells the workers they need not embed again (its vectors stay in this store).
   */
  embeddedTextsOfSource(source: string, modelId: string): string[] {
    return this.db
      .prepare(
        `SELECT DISTINCT p.text FROM documents d JOIN passages p ON p.doc_id = d.id
         JOIN vectors v ON v.passage_id = p.id AND v.model_id = ? WHERE d.source = ?`,
      )
      .pluck()
      .all(modelId, source) as string[];
  }

  /** Number of vectors stored for a model. */
  hasVectors(modelId: string): boolean {
    return this.db.prepare(`SELECT 1 FROM vectors WHERE model_id = ? LIMIT 1`).get(modelId) !== undefined;
  }

  countVectors(modelId: string): number {
    return this.db.prepare(`SELECT count(*) FROM vectors WHERE model_id = ?`).pluck().get(modelId) as number;
  }

  /** Summary for `fazhi status`. */
  stats(): {
    documents: number;
    passages: number;
    vectors: number;
    models: ModelUsage[];
    boilerplatePassages: number;
    dbBytes: number;
    /** Parsed by an earlier parser: the next `fazhi ingest` of their files parses them again. */
    documentsNeedingReparse: number;
  } {
    const boilerplatePassages = this.db.prepare(`SELECT count(*) FROM passages WHERE boilerplate >= 0.5`).pluck().get() as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return { ...this.counts(), models: this.modelsInUse(), boilerplatePassages, dbBytes: pageCount * pageSize, documentsNeedingReparse: this.countParsedBefore() };
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
  replaceVectors(modelId: string, batch: readonly PassageVectorsOf[]): void {
    this.write(() => {
      const upsert = this.upsertVector();
      for (const item of batch) upsert(item, modelId);
      this.db
        .prepare(
          `UPDATE documents SET model_id = ?
           WHERE id IN (SELECT DISTINCT doc_id FROM passages WHERE id IN (SELECT value FROM json_each(?)))
             AND NOT EXISTS (SELECT 1 FROM passages p LEFT JOIN vectors v ON v.passage_id = p.id
                             WHERE p.doc_id = documents.id AND (v.model_id IS NULL OR v.model_id <> ?))`,
        )
        .run(modelId, JSON.stringify(batch.map((item) => item.id)), modelId);
      this.putMeta('model_id', modelId);
      this.bumpGeneration(batch.map((item) => item.id));
    });
  }

  /** Inside a write: stores a passage's vectors, replacing whatever it had. */
  private upsertVector(): (item: PassageVectorsOf, modelId: string) => void {
    const statement = this.db.prepare(
      `INSERT INTO vectors (passage_id, model_id, dim, data, pieces) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(passage_id) DO UPDATE SET model_id = excluded.model_id, dim = excluded.dim, data = excluded.data, pieces = excluded.pieces`,
    );
    return ({ id, vector, pieces }, modelId) => statement.run(id, modelId, vector.length, vectorToBlob(vector), piecesToBlob(pieces));
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

  /**
   * Inside a commit: adds the new document's shingles to the document frequencies (unless a
   * copy with the same content already counts) and scores its passages from them.
   */
  private scoreNewDocument(docId: number, contentHash: string, passageIds: readonly PassageId[], boilerplate: DocumentShingles): void {
    this.db.prepare(`UPDATE documents SET shingles = ? WHERE id = ?`).run(Buffer.from(boilerplate.shingles.buffer, boilerplate.shingles.byteOffset, boilerplate.shingles.byteLength), docId);
    const copies = this.db.prepare(`SELECT count(*) FROM documents WHERE content_hash = ? AND shingles IS NOT NULL`).pluck().get(contentHash) as number;
    if (copies === 1) this.recordShingles(1, boilerplate.shingles);
    const scores = boilerplate.score(this.shingleDf.frequencies(boilerplate.shingles), this.distinctDocuments());
    const update = this.db.prepare(`UPDATE passages SET boilerplate = ? WHERE id = ?`);
    passageIds.forEach((id, i) => update.run(scores[i] ?? 0, id));
  }

  /** Inside a write, before a document is deleted: takes its shingles out of the frequencies. */
  private releaseShingles(docId: number): void {
    const row = this.db.prepare(`SELECT content_hash, shingles FROM documents WHERE id = ?`).get(docId) as { content_hash: string; shingles: Buffer | null } | undefined;
    if (!row?.shingles) return;
    const copies = this.db.prepare(`SELECT count(*) FROM documents WHERE content_hash = ? AND shingles IS NOT NULL`).pluck().get(row.content_hash) as number;
    if (copies > 1) return; // another copy still counts for this content
    this.recordShingles(-1, blobToUint32(row.shingles));
  }

  /** Inside a write: logs a change of the frequencies, merging the log when it has grown long. */
  private recordShingles(sign: 1 | -1, shingles: Uint32Array): void {
    this.shingleDf.record(sign, shingles);
    if (this.shingleDf.pending() < SHINGLE_PENDING_CAP) return;
    let merged = false;
    while (!merged) merged = this.shingleDf.mergeStep(Number.POSITIVE_INFINITY);
  }

  /** Shingle sets committed but not yet merged into the document-frequency table. */
  pendingShingleSets(): number {
    return this.shingleDf.pending();
  }

  /**
   * Merges logged shingle sets into the document-frequency table for at most `maxKeys`
   * shingles, in one write transaction; true when nothing is left to merge.
   */
  mergeShingleFrequencies(maxKeys: number): boolean {
    return this.write(() => this.shingleDf.mergeStep(maxKeys));
  }

  /** Documents with distinct content: the count the boilerplate threshold is a share of. */
  distinctDocuments(): number {
    return this.db.prepare(`SELECT count(DISTINCT content_hash) FROM documents`).pluck().get() as number;
  }

  /** Documents stored before shingle sets were kept: their frequencies must be added once. */
  documentsWithoutShingles(): { id: number; texts: string[] }[] {
    const ids = this.db.prepare(`SELECT id FROM documents WHERE shingles IS NULL ORDER BY id`).pluck().all() as number[];
    const texts = this.db.prepare(`SELECT text FROM passages WHERE doc_id = ? ORDER BY ordinal`).pluck();
    return ids.map((id) => ({ id, texts: texts.all(id) as string[] }));
  }

  /** Adds an older document's shingle set to the frequencies (scores follow at the next sweep). */
  addShingles(docId: number, boilerplate: DocumentShingles): void {
    this.write(() => {
      const hash = this.db.prepare(`SELECT content_hash FROM documents WHERE id = ? AND shingles IS NULL`).pluck().get(docId) as string | undefined;
      if (hash === undefined) return;
      this.db.prepare(`UPDATE documents SET shingles = ? WHERE id = ?`).run(Buffer.from(boilerplate.shingles.buffer, boilerplate.shingles.byteOffset, boilerplate.shingles.byteLength), docId);
      const copies = this.db.prepare(`SELECT count(*) FROM documents WHERE content_hash = ? AND shingles IS NOT NULL`).pluck().get(hash) as number;
      if (copies > 1) return;
      this.recordShingles(1, boilerplate.shingles);
    });
  }

  /** The stored non-zero boilerplate scores. */
  boilerplateScores(): Map<PassageId, number> {
    const rows = this.db.prepare(`SELECT id, boilerplate FROM passages WHERE boilerplate <> 0`).raw().all() as [number, number][];
    return new Map(rows);
  }

  /** Document frequencies of the given shingles (0 for unknown ones). */
  shingleFrequencies(shingles: Iterable<number>): Map<number, number> {
    return this.shingleDf.frequencies(shingles);
  }

  /**
   * Applies score changes from a sweep (passages gone since are skipped) and records the
   * document count it was computed at.
   */
  applyBoilerplateChanges(changes: readonly (readonly [PassageId, number])[], documentsAtSweep: number | null): void {
    this.write(() => {
      const update = this.db.prepare(`UPDATE passages SET boilerplate = ? WHERE id = ?`);
      for (const [id, score] of changes) update.run(score, id);
      if (documentsAtSweep !== null) this.putMeta('boilerplate_sweep_documents', String(documentsAtSweep));
      if (changes.length > 0) this.bumpGeneration([]);
    });
  }

  /** The document count at the last full boilerplate sweep (null: never swept). */
  boilerplateSweptAt(): number | null {
    const value = this.getMeta('boilerplate_sweep_documents');
    return value === null ? null : Number(value);
  }

  /** Sets boilerplate scores (0..1); passages not in the map are reset to 0. */
  setBoilerplate(scores: ReadonlyMap<PassageId, number>): void {
    this.write(() => {
      this.db.prepare(`UPDATE passages SET boilerplate = 0 WHERE boilerplate <> 0`).run();
      const update = this.db.prepare(`UPDATE passages SET boilerplate = ? WHERE id = ?`);
      for (const [id, score] of scores) if (score > 0) update.run(score, id);
      this.putMeta('boilerplate_sweep_documents', String(this.distinctDocuments()));
      this.bumpGeneration([]);
    });
  }
}

function joinTokens(tokens: readonly string[]): string {
  return tokens
    .map((token) => token.trim())
    .filter((token) => token.length > 0)
    .join(' ');
}

/** A row of an FTS5 bm25 query: FTS5's rank is the negated bm25 (lower is better). */
interface RankedRow {
  id: number;
  rank: number;
}

interface FtsAverages {
  rows: number;
  terms: number;
}

/** SQLite's varints (big-endian, 7 bits a byte, the ninth byte whole), as FTS5 writes its records. */
function readVarints(bytes: Uint8Array): number[] {
  const values: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    let value = 0;
    for (let k = 0; at < bytes.length; k++) {
      const byte = bytes[at++]!;
      if (k === 8) {
        value = value * 256 + byte;
        break;
      }
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    values.push(value);
  }
  return values;
}

/** The query's distinct searchable tokens, in query order. */
function distinctTokens(tokens: readonly string[]): string[] {
  return [...new Set(tokens.map((token) => token.trim()).filter((token) => /[\p{L}\p{N}]/u.test(token)))];
}

/** Quoted so FTS5 operators or punctuation in a token are literal. */
function quoteToken(token: string): string {
  return `"${token.replaceAll('"', '""')}"`;
}

/**
 * Schema 1 → 2 (or a new store), always followed by 2 → 3 in the same transaction: adds the
 * columns and the FTS table with the `parts` column (filled by migrateToSchema3's rebuild), and for
 * existing data re-segments every passage and classifies every document, so an old store answers
 * like a freshly indexed one without re-embedding anything.
 */
function migrateToSchema2(db: Database.Database): void {
  db.exec(SCHEMA_2);
  const passages = db.prepare(`SELECT count(*) FROM passages`).pluck().get() as number;
  if (passages === 0) return;
  process.stderr.write(`${db.name}: upgrading the store to schema 2: re-segmenting ${passages} passages for the lexical index (once)\n`);
  const update = db.prepare(`UPDATE passages SET tokens = ?, parts = ? WHERE id = ?`);
  const rows = db.prepare(`SELECT id, text FROM passages ORDER BY id`).all() as { id: number; text: string }[];
  for (const row of rows) {
    const { tokens, parts } = segmentForIndex(row.text);
    update.run(joinTokens(tokens), joinTokens(parts), row.id);
  }
  const setKind = db.prepare(`UPDATE documents SET kind = ? WHERE id = ?`);
  const documents = db.prepare(`SELECT id, title, issuer FROM documents`).all() as { id: number; title: string; issuer: string | null }[];
  const passagesOf = db.prepare(`SELECT text, section FROM passages WHERE doc_id = ? ORDER BY ordinal`);
  for (const doc of documents) {
    const ps = passagesOf.all(doc.id) as { text: string; section: SectionKind }[];
    setKind.run(classifyDocument({ title: doc.title, issuer: doc.issuer, texts: ps.map((p) => p.text), sections: ps.map((p) => p.section) }), doc.id);
  }
  // No FTS rebuild here: migrateToSchema3 always follows and rebuilds the table with its context column.
}

/**
 * Schema 2 → 3 (or a new store): the `context` column, filled from each passage's document title
 * and heading path, and the FTS table rebuilt with it. Nothing is re-embedded.
 */
function migrateToSchema3(db: Database.Database): void {
  db.exec(SCHEMA_3);
  const passages = db.prepare(`SELECT count(*) FROM passages`).pluck().get() as number;
  if (passages === 0) return;
  process.stderr.write(`${db.name}: upgrading the store to schema 3: indexing the titles and headings of ${passages} passages (once)\n`);
  const update = db.prepare(`UPDATE passages SET context = ? WHERE id = ?`);
  const rows = db.prepare(`SELECT p.id, p.heading_path, d.title FROM passages p JOIN documents d ON d.id = p.doc_id ORDER BY p.id`).all() as {
    id: number;
    heading_path: string;
    title: string;
  }[];
  for (const row of rows) update.run(joinTokens(segmentContext(row.title, JSON.parse(row.heading_path) as string[])), row.id);
  db.exec(`INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')`);
}

function buildWhere(query: PassageQuery): { sql: string; params: (string | number | null)[] } {
  const clauses: string[] = ['1 = 1'];
  const params: (string | number | null)[] = [];
  const add = (sql: string, ...values: (string | number | null)[]) => {
    clauses.push(sql);
    params.push(...values);
  };
  const { filter = {}, excludeRegion, excludeDocId, excludeKind } = query;
  if (filter.province !== undefined) add('d.province = ?', filter.province);
  if (filter.city !== undefined) add('d.city = ?', filter.city);
  if (filter.county !== undefined) add('d.county = ?', filter.county);
  if (filter.year !== undefined) add('d.year = ?', filter.year);
  if (filter.from !== undefined) add('d.year >= ?', filter.from);
  if (filter.to !== undefined) add('d.year <= ?', filter.to);
  if (filter.section !== undefined) add('p.section = ?', filter.section);
  if (filter.kind !== undefined) add('d.kind = ?', filter.kind);
  if (excludeDocId !== undefined) add('p.doc_id <> ?', excludeDocId);
  if (excludeKind !== undefined) {
    // The kinds kept, not `<>`: an IN list lets the planner start from documents_kind (the
    // non-law passages of the full lawrefbook plus reports: 0.2 ms, against 21 ms scanning passages).
    const kept = DOCUMENT_KINDS.filter((kind) => kind !== excludeKind);
    add(`d.kind IN (${kept.map(() => '?').join(', ')})`, ...kept);
  }
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

/** Each piece as its scale (float32: its largest |component| / 127) and its components as int8. */
function piecesToBlob(pieces: readonly Float32Array[]): Buffer | null {
  if (pieces.length === 0) return null;
  const dim = pieces[0]!.length;
  const blob = Buffer.alloc(pieces.length * (4 + dim));
  pieces.forEach((piece, i) => {
    const at = i * (4 + dim);
    const scale = Math.max(...piece.map(Math.abs)) / 127 || 1;
    blob.writeFloatLE(scale, at);
    for (let d = 0; d < dim; d++) blob.writeInt8(Math.round(piece[d]! / scale), at + 4 + d);
  });
  return blob;
}

function blobToPieces(blob: Buffer, dim: number): Float32Array[] {
  const pieces: Float32Array[] = [];
  for (let at = 0; at + 4 + dim <= blob.length; at += 4 + dim) {
    const scale = blob.readFloatLE(at);
    // Converted by the typed-array constructor, then scaled: Float32Array.from with a mapping
    // function took 70 ms for 100 passages' 870 pieces, this 3 (a dense page of 10 reads 100).
    const piece = new Float32Array(new Int8Array(blob.buffer, blob.byteOffset + at + 4, dim));
    for (let d = 0; d < dim; d++) piece[d]! *= scale;
    pieces.push(piece);
  }
  return pieces;
}

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A stored passage's row as writeOver compares it with a new version's passage. */
interface StoredPassage {
  id: number;
  ordinal: number;
  hash: string;
  text: string;
  tokens: string;
  parts: string;
  context: string;
}

/** The documents columns from title to encoding, in their order, of a parsed report. */
function documentFields(report: ParsedReport) {
  const { meta } = report;
  const { province, city, county, code } = meta.jurisdiction;
  return [meta.title, province, city, county, code, meta.year, meta.publishedAt, meta.issuer, meta.docNumber, report.encoding] as const;
}

/** A column added to a table after its first release (stores from before lack it until a writer opens them). */
interface AddedColumn {
  table: string;
  column: string;
  definition: string;
}

/** Adds a column to an existing table once (CREATE TABLE IF NOT EXISTS leaves old tables as they were). */
function addColumnIfMissing(db: Database.Database, added: AddedColumn): void {
  if (!hasColumn(db, added)) db.exec(`ALTER TABLE ${added.table} ADD COLUMN ${added.definition}`);
}

function hasColumn(db: Database.Database, { table, column }: Pick<AddedColumn, 'table' | 'column'>): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).includes(column);
}

function blobToVector(blob: Buffer): Float32Array {
  // Copy: the Buffer may be unaligned for a Float32Array view.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function jurisdictionOf(row: Pick<DocumentHeadColumns, 'province' | 'city' | 'county' | 'code'>): Jurisdiction {
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
    kind: row.kind,
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
    kind: row.kind,
    jurisdiction: jurisdictionOf(row),
    year: row.year,
  };
}
