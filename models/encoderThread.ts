// The encoder with its model in a worker thread (models/encoderWorker.ts). Loading
// transformers.js and the weights costs ~1.6 s of CPU and jieba's dictionary another ~1.7 s;
// in one thread a cold `fazhi ingest` paid them one after the other before its first report
// could be committed. With the model in a thread of its own, the two loads run side by side on
// two cores. Texts are prepared (jieba) in the calling thread, which loads the dictionary anyway.
import { Worker } from 'node:worker_threads';
import { InputError } from '../pipeline/errors.ts';
import { encoderOver, readModelDir, type Encoder } from './encoder.ts';

export type EncoderThreadRequest = { id: number; inputs: string[] };
export type EncoderThreadMessage =
  | { kind: 'ready' }
  | { kind: 'vectors'; id: number; vectors: Float32Array[] }
  | { kind: 'error'; id: number | null; message: string; subject?: string };

export interface EncoderThread {
  /** Usable at once: its first embed waits for the model. */
  encoder: Encoder;
  /** Settles when the model is loaded; rejects with the load's error (an InputError for a bad model directory). */
  ready: Promise<void>;
  /** Stops the thread (pending embeds are rejected). */
  close(): Promise<void>;
}

/**
 * Starts loading the model in `modelDir` in a worker thread and returns at once (after reading
 * its config, so a directory that is no model fails here). The thread keeps the process alive
 * only while a load or an embed is in flight.
 */
export async function startEncoderThread(modelDir: string): Promise<EncoderThread> {
  const info = await readModelDir(modelDir);
  // A worker thread's stack is 4 MB by default, and ONNX runtime's session creation in it uses
  // stack in proportion to the process's arguments: `similar --text` with 5,000 characters (15 KB
  // of arguments) crashed with SIGSEGV. 32 MB holds 96 KB; cli/app.ts keeps longer argument lists
  // (file paths from a shell glob) out of the thread.
  const worker = new Worker(new URL('./encoderWorker.boot.mjs', import.meta.url), { workerData: { info }, resourceLimits: { stackSizeMb: 32 } });
  const pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | null = null;
  let loaded = false;
  const idle = () => {
    if (loaded && pending.size === 0) worker.unref();
  };
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: EncoderThreadMessage) => {
      if (message.kind === 'ready') {
        loaded = true;
        idle();
        resolve();
      } else if (message.kind === 'error' && message.id === null) {
        const error = message.subject === undefined ? new Error(message.message) : new InputError(message.subject, message.message.replace(`${message.subject}: `, ''));
        fail(error);
        reject(error);
      } else {
        const waiter = pending.get(message.id!);
        pending.delete(message.id!);
        if (message.kind === 'vectors') waiter?.resolve(message.vectors);
        else waiter?.reject(new Error(`encoder thread: ${message.message}`));
        idle();
      }
    });
    worker.on('error', (error) => {
      fail(error);
      reject(error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`encoder thread exited with ${code}`);
      fail(error);
      reject(error);
    });
  });
  // The caller may attach to `ready` late (after loading its own part); the rejection is not lost.
  ready.catch(() => undefined);

  const runner = async (inputs: string[]): Promise<Float32Array[]> => {
    await ready;
    if (failure) throw failure;
    const id = nextId++;
    worker.ref();
    return new Promise<Float32Array[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, inputs } satisfies EncoderThreadRequest);
    });
  };
  return {
    encoder: encoderOver(info, runner),
    ready,
    close: async () => {
      fail(new Error('encoder thread closed'));
      await worker.terminate();
    },
  };
}
