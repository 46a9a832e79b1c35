// Whether a store's vectors are the selected model's: vectors of different models are not
// comparable, and only the writer may re-embed.
import { InputError } from '../pipeline/errors.ts';
import type { Store } from './store.ts';

/**
 * Reports whose vectors come from another model than `modelId`. Every search and similar asks
 * this first: one scan of the documents' model column, not a read of every document
 * with its passage count and aliases (eval index, 391 documents: 0.8 ms instead of 7.7).
 */
export function staleSources(store: Store, modelId: string): string[] {
  return store.sourcesEmbeddedWithOther(modelId);
}

/**
 * Readers (search, similar, the server) never write, so they cannot re-embed: a store whose
 * vectors come from another model than the selected one has to be reindexed by the writer first.
 */
export function requireModelCurrent(store: Store, modelId: string, dataDir: string): void {
  const stale = staleSources(store, modelId).length;
  if (stale === 0) return;
  throw new InputError(
    '--model',
    `${stale} report(s) in ${dataDir} were embedded with another model than ${modelId}; ` +
      'run `fazhi reindex` (or `fazhi model use`) with this model first',
  );
}
