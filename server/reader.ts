// The server's read-only view of a data directory: the encoder and jieba are loaded once, the
// store is opened read-only, and before each request the vector index is brought up to the
// generation the writer (CLI ingest, queue writer) last committed, without a restart.
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { segmentForQuery } from '../pipeline/segment.ts';
import type { SearchContext } from '../search/searchEngine.ts';
import { configuredThesaurus, openEncoder } from '../cli/app.ts';
import { requireModelCurrent, staleSources } from '../search/modelCurrent.ts';

export interface Reader {
  dataDir: string;
  modelDir: string;
  /** The search context, fresh as of the store's current generation (StoreNotCurrentError while it cannot be). */
  current(): SearchContext;
  /** The store as of its current generation and how many of its reports the server's model cannot search, for status. */
  inspect(): { store: Store; modelId: string; indexGeneration: number | null; documentsNeedingReindex: number };
  close(): void;
}

/**
 * The store holds reports embedded with another model than this server's (the data dir switched
 * models, or a writer used another): not the client's doing; over once the server is restarted with
 * their model or they are reindexed with its.
 */
export class StoreNotCurrentError extends Error {}

export async function openReader(opts: { dataDir: string; model?: string }): Promise<Reader> {
  const { encoder, modelDir, model } = await openEncoder(opts);
  const store = Store.openReadOnly(opts.dataDir);
  // At start a store the model cannot search is the command's error (exit 2), not a state to serve,
  // naming where the model came from as the CLI's commands do.
  requireModelCurrent(store, encoder.modelId, opts.dataDir, model);
  const index = new VectorIndex(opts.dataDir);
  // Loads jieba's dictionary now rather than inside the first request.
  segmentForQuery('预热');
  const ctx: SearchContext = { store, index, encoder, segment: segmentForQuery, thesaurus: configuredThesaurus() };
  let checkedGeneration = -1;
  let stale = 0;
  const refresh = (): void => {
    const generation = store.generation();
    if (generation === checkedGeneration) return;
    stale = staleSources(store, encoder.modelId).length;
    if (stale === 0) index.ensureFresh(store, encoder.modelId);
    checkedGeneration = generation;
  };
  refresh();
  return {
    dataDir: opts.dataDir,
    modelDir,
    current() {
      refresh();
      if (stale > 0) {
        throw new StoreNotCurrentError(
          `${stale} report(s) in the store are embedded with another model than this server's ${encoder.modelId} ` +
            '(the data dir switched models, or a writer used another): restart `fazhi serve` to load the model they were embedded with, ' +
            `or run \`fazhi reindex\` with ${encoder.modelId}`,
        );
      }
      return ctx;
    },
    inspect() {
      refresh();
      return { store, modelId: encoder.modelId, indexGeneration: index.generation, documentsNeedingReindex: stale };
    },
    close: () => store.close(),
  };
}
