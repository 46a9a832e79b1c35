import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, type Encoder } from '../models/encoder.ts';
import { startEncoderThread, type EncoderThread } from '../models/encoderThread.ts';
import { InputError } from '../pipeline/errors.ts';

const MODEL_DIR = path.resolve(import.meta.dirname, '../models/fazhi-mini-zh');

describe('startEncoderThread (the model in a worker thread, texts prepared in the caller)', () => {
  let thread: EncoderThread;
  let local: Encoder;

  beforeAll(async () => {
    thread = await startEncoderThread(MODEL_DIR);
    local = await loadEncoder(MODEL_DIR);
  });

  afterAll(async () => {
    await thread?.close();
  });

  it('gives the same model id and the same vectors as the model loaded in this thread', async () => {
    expect(thread.encoder.modelId).toBe(local.modelId);
    expect(thread.encoder.dim).toBe(local.dim);
    const texts = ['推进严格规范公正文明执法', '全面推行行政执法三项制度，落实行政执法责任制。', '“双随机、一公开”监管全覆盖'];
    const [threaded, here] = await Promise.all([thread.encoder.embed(texts), local.embed(texts)]);
    expect(threaded).toHaveLength(texts.length);
    threaded.forEach((vector, i) => {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(local.dim);
      for (let d = 0; d < vector.length; d++) expect(vector[d]).toBeCloseTo(here[i]![d]!, 5);
    });
    const [query] = await thread.encoder.embedQueries(['行政执法三项制度']);
    const [queryHere] = await local.embedQueries(['行政执法三项制度']);
    expect(Array.from(query!)).toEqual(Array.from(queryHere!));
  });

  it('answers concurrent embeds each with its own vectors', async () => {
    const a = ['行政复议'];
    const b = ['营商环境', '法律顾问'];
    const [va, vb] = await Promise.all([thread.encoder.embed(a), thread.encoder.embed(b)]);
    expect(va).toHaveLength(1);
    expect(vb).toHaveLength(2);
    expect(Array.from(va[0]!)).toEqual(Array.from((await local.embed(a))[0]!));
    expect(Array.from(vb[1]!)).toEqual(Array.from((await local.embed(['法律顾问']))[0]!));
  });

  it('embeds a 5,000-character text (the limit of `similar --text`) as the model in this thread does', async () => {
    const sentence = '整合人民调解、行政调解、司法调解资源，推动矛盾纠纷多元化解。';
    const long = sentence.repeat(Math.ceil(5000 / sentence.length)).slice(0, 5000);
    const [threaded] = await thread.encoder.embedQueries([long]);
    const [here] = await local.embedQueries([long]);
    expect(Array.from(threaded!)).toEqual(Array.from(here!));
  });

  it('refuses an empty text as bad input, in the calling thread', async () => {
    await expect(thread.encoder.embed(['  '])).rejects.toThrow(InputError);
  });
});

describe('startEncoderThread failures', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fazhi-encoder-thread-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the directory when it is not a model', async () => {
    await expect(startEncoderThread(dir)).rejects.toThrow(InputError);
  });

  it('rejects `ready` and every embed when the weights cannot be loaded', async () => {
    const broken = path.join(dir, 'no-weights');
    await cp(MODEL_DIR, broken, { recursive: true, filter: (src) => path.basename(src) !== 'onnx' });
    const thread = await startEncoderThread(broken);
    try {
      await expect(thread.ready).rejects.toThrow();
      await expect(thread.encoder.embed(['行政复议'])).rejects.toThrow();
    } finally {
      await thread.close();
    }
  });

  it('rejects embeds after close', async () => {
    const thread = await startEncoderThread(MODEL_DIR);
    await thread.ready;
    await thread.close();
    await expect(thread.encoder.embed(['行政复议'])).rejects.toThrow(/closed/);
  });
});
