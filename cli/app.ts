// Opens the store, encoder and vector index for one CLI command, and closes them together.
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { loadEncoder, type Encoder } from '../models/encoder.ts';
import { segmentForQuery } from '../pipeline/segment.ts';
import type { SearchContext } from '../search/searchEngine.ts';
import { resolveModelDir } from './config.ts';

export interface App extends SearchContext {
  dataDir: string;
  modelDir: string;
  close(): void;
}

export interface OpenOptions {
  dataDir: string;
  model?: string;
  /** Readers (search, similar) open the store read-only: only the writer ever writes. */
  readonly?: boolean;
}

export async function openEncoder(opts: OpenOptions): Promise<{ encoder: Encoder; modelDir: string }> {
  const modelDir = resolveModelDir(opts.model, opts.dataDir);
  return { encoder: await loadEncoder(modelDir), modelDir };
}

export async function openApp(opts: OpenOptions): Promise<App> {
  const { encoder, modelDir } = await openEncoder(opts);
  const store = opts.readonly ? Store.openReadOnly(opts.dataDir) : Store.open(opts.dataDir);
  const index = new VectorIndex(opts.dataDir);
  return {
    dataDir: opts.dataDir,
    modelDir,
    store,
    index,
    encoder,
    segment: segmentForQuery,
    close: () => store.close(),
  };
}
