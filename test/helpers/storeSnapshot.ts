// What a data directory holds, in a form two ingests can be compared by, plus integrity counts.
import Database from 'better-sqlite3';
import path from 'node:path';
import { Store, STORE_FILE } from '../../search/store.ts';

export interface DocumentSnapshot {
  source: string;
  contentHash: string;
  title: string;
  modelId: string;
  passages: { ordinal: number; section: string; text: string; hash: string }[];
}

export function snapshotStore(dataDir: string): DocumentSnapshot[] {
  const store = Store.openReadOnly(dataDir);
  try {
    return store
      .documents()
      .map((d) => ({
        source: d.source,
        contentHash: d.contentHash,
        title: d.title,
        modelId: d.modelId,
        passages: store.getPassages(store.passageIdsOf(d.id)).map((p) => ({ ordinal: p.ordinal, section: p.section, text: p.text, hash: p.hash })),
      }))
      .sort((a, b) => a.source.localeCompare(b.source));
  } finally {
    store.close();
  }
}

/** Rows that would betray a half-applied or duplicated write. */
export function integrityCounts(dataDir: string): { documents: number; passages: number; vectors: number; fts: number; orphanPassages: number; orphanVectors: number; duplicateOrdinals: number } {
  const db = new Database(path.join(dataDir, STORE_FILE), { readonly: true });
  try {
    const n = (sql: string) => db.prepare(sql).pluck().get() as number;
    return {
      documents: n('SELECT count(*) FROM documents'),
      passages: n('SELECT count(*) FROM passages'),
      vectors: n('SELECT count(*) FROM vectors'),
      // The FTS table reads its text from passages; its docsize shadow table counts what is indexed.
      fts: n('SELECT count(*) FROM passages_fts_docsize'),
      orphanPassages: n('SELECT count(*) FROM passages WHERE doc_id NOT IN (SELECT id FROM documents)'),
      orphanVectors: n('SELECT count(*) FROM vectors WHERE passage_id NOT IN (SELECT id FROM passages)'),
      duplicateOrdinals: n('SELECT count(*) FROM (SELECT doc_id, ordinal FROM passages GROUP BY doc_id, ordinal HAVING count(*) > 1)'),
    };
  } finally {
    db.close();
  }
}
