// The server's read-only view of a data directory: the encoder and jieba are loaded once, the
// store is opened read-only, and before each request the vector index is brought up to the
// generation the writer (CLI ingest, queue writer) last committed, without a restart.
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { segmentForQuery } from '../pipeline/segment.ts';
import { InputError } from '../pipeline/errors.ts';
import type { SearchContext } from '../search/searchEngine.ts';
import { openEncoder } from '../cli/app.ts';

export interface Reader {
  dataDir: string;
  modelDir: string;
  /** The search context, fresh as of the store's current generation. */
  current(): SearchContext;
  close(): void;
}

export async function openReader(opts: { dataDir: string; model?: string }): Promise<Reader> {
  const { encoder, modelDir } = await openEncoder(opts);
  const store = Store.openReadOnly(opts.dataDir);
  const index = new VectorIndex(opts.dataDir);
  // Loads jieba's dictionary now rather than inside the first request.
  segmentForQuery('预热');
  const ctx: SearchContext = { store, index, encoder, segment: segmentForQuery };
  let checkedGeneration = -1;
  const refresh = (): void => {
    const generation = store.generation();
    if (generation === checkedGeneration) return;
    // A reader cannot re-embed: vectors from another model have to be reindexed by the writer.
    const stale = store.documents().filter((d) => d.modelId !== encoder.modelId).length;
    if (stale > 0) {
      throw new InputError('--model', `${stale} report(s) in ${opts.dataDir} were embedded with another model than ${encoder.modelId}; run \`fazhi reindex\` with this model first`);
    }
    index.ensureFresh(store, encoder.modelId);
    checkedGeneration = generation;
  };
  refresh();
  return {
    dataDir: opts.dataDir,
    modelDir,
    current() {
      refresh();
      return ctx;
    },
    close: () => store.close(),
  };
}
