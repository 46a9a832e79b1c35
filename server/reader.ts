// The server's read-only view of a data directory: the encoder and jieba are loaded once, the
// store is opened read-only, and before each request the vector index is brought up to the
// generation the writer (CLI ingest, queue writer) last committed, without a restart.
import { InputError } from '../pipeline/errors.ts';
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { segmentForQuery } from '../pipeline/segment.ts';
import type { SearchContext } from '../search/searchEngine.ts';
import { configuredThesaurus, openEncoder } from '../cli/app.ts';
import { requireModelCurrent } from '../search/modelCurrent.ts';

export interface Reader {
  dataDir: string;
  modelDir: string;
  /** The search context, fresh as of the store's current generation. */
  current(): SearchContext;
  close(): void;
}

/**
 * The store holds reports embedded with another model than this server's (a writer switched
 * models and has not reindexed): not the client's doing, and over once the writer has reindexed.
 */
export class StoreNotCurrentError extends Error {}

export async function openReader(opts: { dataDir: string; model?: string }): Promise<Reader> {
  const { encoder, modelDir } = await openEncoder(opts);
  const store = Store.openReadOnly(opts.dataDir);
  const index = new VectorIndex(opts.dataDir);
  // Loads jieba's dictionary now rather than inside the first request.
  segmentForQuery('预热');
  const ctx: SearchContext = { store, index, encoder, segment: segmentForQuery, thesaurus: configuredThesaurus() };
  let checkedGeneration = -1;
  const refresh = (): void => {
    const generation = store.generation();
    if (generation === checkedGeneration) return;
    requireModelCurrent(store, encoder.modelId, opts.dataDir);
    index.ensureFresh(store, encoder.modelId);
    checkedGeneration = generation;
  };
  refresh();
  return {
    dataDir: opts.dataDir,
    modelDir,
    current() {
      try {
        refresh();
      } catch (error) {
        // At start the same check is the command's error (exit 2); here it is the server's state.
        if (error instanceof InputError) throw new StoreNotCurrentError(error.message);
        throw error;
      }
      return ctx;
    },
    close: () => store.close(),
  };
}
