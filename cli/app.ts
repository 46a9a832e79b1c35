// Opens the store, encoder and vector index for one CLI command, and closes them together.
import { Store } from '../search/store.ts';
import { VectorIndex } from '../search/vectorIndex.ts';
import { loadEncoder, type Encoder } from '../models/encoder.ts';
import { startEncoderThread } from '../models/encoderThread.ts';
import { segmentForQuery } from '../pipeline/segment.ts';
import { loadThesaurus, type ColloquialEntry } from '../pipeline/expandColloquial.ts';
import type { SearchContext } from '../search/searchEngine.ts';
import { chooseModel, type ModelChoice } from './config.ts';

export interface App extends SearchContext {
  /** The writer's commands index with it (embedPassages). */
  encoder: Encoder;
  dataDir: string;
  modelDir: string;
  /** Where the model came from: what messages about it tell the user to change. */
  model: ModelChoice;
  close(): void;
}

export interface OpenOptions {
  dataDir: string;
  model?: string;
  /** Readers (search, similar) open the store read-only: only the writer ever writes. */
  readonly?: boolean;
  /** What `search` expands queries with (configuredThesaurus); commands that do not search need none. */
  thesaurus?: readonly ColloquialEntry[];
}

/**
 * What search expands queries in users' words with (search/searchEngine.ts queryTerms): the bundled
 * thesaurus, then the entries of the file FAZHI_THESAURUS names (a region's own words, same format).
 */
export function configuredThesaurus(): ColloquialEntry[] {
  return loadThesaurus(process.env.FAZHI_THESAURUS || undefined);
}

export async function openEncoder(opts: OpenOptions): Promise<{ encoder: Encoder; modelDir: string; model: ModelChoice }> {
  const model = chooseModel(opts.model, opts.dataDir);
  return { encoder: await loadEncoder(model.dir), modelDir: model.dir, model };
}

/**
 * ONNX runtime's session creation in a worker thread uses stack in proportion to the process's
 * arguments (measured: the default 4 MB stack crashed with SIGSEGV at 15 KB of arguments, 16 MB at
 * 90 KB; the thread's 32 MB held 96 KB and crashed at 384 KB, e.g. `fazhi ingest` given 12,000
 * file paths). With a longer argument list the model loads in this thread, as it did before.
 */
const ENCODER_THREAD_MAX_ARGV_BYTES = 64 * 1024;

/** The model in its own thread, or in this one when the arguments are too long for the thread (see above). */
async function startEncoder(modelDir: string): Promise<{ encoder: Encoder; ready: Promise<void>; close(): Promise<void> }> {
  const argvBytes = process.argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
  if (argvBytes <= ENCODER_THREAD_MAX_ARGV_BYTES) return startEncoderThread(modelDir);
  const encoder = await loadEncoder(modelDir);
  return { encoder, ready: Promise.resolve(), close: async () => {} };
}

/**
 * Every command that opens an app segments text (queries, reports, texts to embed), so jieba's
 * dictionary is loaded here, in this thread, while the model loads in its own thread: a cold
 * command pays the longer of the two loads instead of their sum.
 */
export async function openApp(opts: OpenOptions): Promise<App> {
  const model = chooseModel(opts.model, opts.dataDir);
  const modelDir = model.dir;
  const thread = await startEncoder(modelDir);
  let store: Store | null = null;
  try {
    store = opts.readonly ? Store.openReadOnly(opts.dataDir) : Store.open(opts.dataDir);
    segmentForQuery('预热');
    await thread.ready;
  } catch (error) {
    store?.close();
    await thread.close();
    throw error;
  }
  const opened = store;
  return {
    dataDir: opts.dataDir,
    modelDir,
    model,
    store: opened,
    index: new VectorIndex(opts.dataDir),
    encoder: thread.encoder,
    segment: segmentForQuery,
    thesaurus: opts.thesaurus ?? [],
    close: () => {
      opened.close();
      void thread.close();
    },
  };
}
