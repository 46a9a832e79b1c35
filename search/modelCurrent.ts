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

/** How the CLI chose the model (cli/config.ts chooseModel): a refusal names what the user can change. */
export interface ChosenModel {
  /** As given (flag, FAZHI_MODEL, `fazhi model use`), or the default's name. */
  name: string;
  origin: '--model' | 'FAZHI_MODEL' | 'selected' | 'default';
}

/**
 * Readers (search, similar, the server) never write, so they cannot re-embed: a store whose
 * vectors come from another model than the selected one has to be reindexed by the writer first.
 */
export function requireModelCurrent(store: Store, modelId: string, dataDir: string, chosen: ChosenModel): void {
  const stale = staleSources(store, modelId).length;
  if (stale === 0) return;
  const theirs = store
    .modelsInUse()
    .map((m) => m.modelId)
    .filter((id) => id !== modelId);
  const embedded = `${stale} report(s) in ${dataDir} were embedded with another model (${theirs.join(', ')}) than ${modelId}`;
  const { name } = chosen;
  // `fazhi reindex` with an explicit model also selects it for the data dir (cli/commands.ts).
  const reindexed = `it then selects ${name} for this data dir, as \`fazhi model use ${name}\` does`;
  const selectTheirs = '`fazhi model use <name>` to select the model they were embedded with (`fazhi model list`)';
  switch (chosen.origin) {
    case '--model':
      throw new InputError('--model', `${embedded}; run \`fazhi reindex --model ${name}\` to re-embed them with it (${reindexed}), or leave out --model`);
    case 'FAZHI_MODEL':
      throw new InputError('FAZHI_MODEL', `${embedded}; run \`fazhi reindex\` with it set to re-embed them with it (${reindexed}), or unset FAZHI_MODEL`);
    case 'selected':
      throw new InputError(`${dataDir}'s selected model ${name} (fazhi model use)`, `${embedded}; run \`fazhi reindex\` to re-embed them with it, or ${selectTheirs}`);
    case 'default':
      throw new InputError(`the default model ${name}`, `${embedded}; run \`fazhi reindex\` to re-embed them with it, or ${selectTheirs}`);
  }
}
