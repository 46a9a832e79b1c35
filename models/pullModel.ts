// Downloads a hub model into models/<hub-id>/ when a network is available. Mirrors matter to
// users in China, so the endpoint follows HF_ENDPOINT exactly as the Python hub client does.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../pipeline/errors.ts';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** What transformers.js needs to run feature extraction offline. */
const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
const OPTIONAL_FILES = ['special_tokens_map.json', 'README.md'];

export interface PullOptions {
  endpoint?: string;
  log?: (line: string) => void;
  fetchImpl?: typeof fetch;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export async function pullModel(hubId: string, modelsDir: string, opts: PullOptions = {}): Promise<string> {
  if (!HUB_ID.test(hubId) || hubId.includes('..')) throw new InputError('hub-id', `"${hubId}" is not of the form owner/name`);
  const endpoint = (opts.endpoint || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const doFetch = opts.fetchImpl ?? fetch;
  const target = path.join(modelsDir, hubId);
  // Download beside the target and rename at the end, so a failed pull never leaves a
  // half-model that `--model` would then try to load.
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
      const url = `${endpoint}/${hubId}/resolve/main/${file}`;
      let res: Response;
      try {
        res = await doFetch(url);
      } catch (err) {
        throw new InputError('hub-id', `cannot reach ${endpoint} (${(err as Error).message}); set HF_ENDPOINT to a reachable mirror`);
      }
      if (!res.ok) {
        if (OPTIONAL_FILES.includes(file)) continue;
        throw new InputError('hub-id', `${url} answered ${res.status}`);
      }
      const dest = path.join(partial, file);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, Buffer.from(await res.arrayBuffer()));
      opts.log?.(`fetched ${file}`);
    }
    await rm(target, { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    await rename(partial, target);
    return target;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
