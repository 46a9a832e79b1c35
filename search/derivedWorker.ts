// Worker-thread body for DerivedRefresher (search/derivedRefresh.ts): the CPU-heavy derived
// work — HNSW load/replay/rebuild/save and the full boilerplate sweep — runs here on its own
// read-only connection, so the writer's event loop keeps committing. It never writes the store;
// the main thread applies what it returns.
import { parentPort, workerData } from 'node:worker_threads';
import { boilerplateChanges } from './boilerplate.ts';
import { Store } from './store.ts';
import { VectorIndex } from './vectorIndex.ts';
import type { DerivedRequest, DerivedResponse } from './derivedRefresh.ts';

const { dataDir } = workerData as { dataDir: string };
const port = parentPort!;
const store = Store.openReadOnly(dataDir);
const warnings: string[] = [];
// Kept between requests: a later sync only replays what was committed since.
const index = new VectorIndex(dataDir, { warn: (message) => warnings.push(message) });

port.on('message', (request: DerivedRequest) => {
  warnings.length = 0;
  let response: DerivedResponse;
  try {
    if (request.kind === 'index') {
      const fresh = index.ensureFresh(store, request.modelId);
      const saved = index.saveIfBehind();
      response = { id: request.id, kind: 'index', generation: index.generation!, count: index.size, ...fresh, saved, warnings: [...warnings] };
    } else if (request.kind === 'boilerplate') {
      response = { id: request.id, kind: 'boilerplate', ...boilerplateChanges(store) };
    } else {
      store.close();
      port.close();
      return;
    }
  } catch (error) {
    response = { id: request.id, kind: 'error', message: (error as Error).stack ?? String(error) };
  }
  port.postMessage(response);
});
