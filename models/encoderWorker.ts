// Worker-thread body for models/encoderThread.ts: loads the model once, then embeds prepared
// texts on request. It never segments (the caller does), so it loads no jieba dictionary.
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../pipeline/errors.ts';
import { loadModelRunner, type ModelDirInfo, type ModelRunner } from './encoder.ts';
import type { EncoderThreadMessage, EncoderThreadRequest } from './encoderThread.ts';

const port = parentPort!;
const { info } = workerData as { info: ModelDirInfo };

function serve(runner: ModelRunner): void {
  port.postMessage({ kind: 'ready' } satisfies EncoderThreadMessage);
  port.on('message', ({ id, inputs }: EncoderThreadRequest) => {
    runner(inputs).then(
      (vectors) => port.postMessage({ kind: 'vectors', id, vectors } satisfies EncoderThreadMessage, vectors.map((v) => v.buffer as ArrayBuffer)),
      (error: Error) => port.postMessage({ kind: 'error', id, message: error.stack ?? error.message } satisfies EncoderThreadMessage),
    );
  });
}

loadModelRunner(info).then(serve, (error: Error) => {
  // Said once, then the thread ends: the caller's `ready` rejects with it.
  const subject = error instanceof InputError ? error.subject : undefined;
  port.postMessage({ kind: 'error', id: null, message: error.message, ...(subject === undefined ? {} : { subject }) } satisfies EncoderThreadMessage);
  port.close();
});
