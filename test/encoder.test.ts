import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, type Encoder, type PassageVectors } from '../models/encoder.ts';
import { blendClauses, dot } from '../models/vectors.ts';
import { InputError } from '../pipeline/errors.ts';

const MODEL_DIR = path.resolve(import.meta.dirname, '../models/fazhi-mini-zh');
/** Installed by npm ci's postinstall (`npm run models`); never downloaded by the tests. */
const BGE_DIR = path.resolve(import.meta.dirname, '../models/bge-small-zh-v1.5');

/** Runs `use` on a temporary copy of the installed bge directory with `fazhiJson` as its fazhi.json, then removes the copy. */
async function withBgeCopy(fazhiJson: object, use: (dir: string) => Promise<void>): Promise<void> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'fazhi-bge-')), 'bge-copy');
  try {
    await cp(BGE_DIR, dir, { recursive: true });
    await writeFile(path.join(dir, 'fazhi.json'), JSON.stringify(fazhiJson));
    await use(dir);
  } finally {
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
}

describe('loadEncoder(bundled fazhi-mini-zh)', () => {
  let encoder: Encoder;
  let fazhiJson: { modelId: string };
  let config: { hidden_size: number; num_hidden_layers: number };

  beforeAll(async () => {
    encoder = await loadEncoder(MODEL_DIR);
    fazhiJson = JSON.parse(await readFile(path.join(MODEL_DIR, 'fazhi.json'), 'utf8'));
    config = JSON.parse(await readFile(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  });

  it('reports the modelId recorded in fazhi.json and the configured dimension', () => {
    expect(encoder.modelId).toBe(fazhiJson.modelId);
    expect(encoder.modelId).toMatch(/^fazhi-mini-zh@\S+$/);
    expect(encoder.dim).toBe(config.hidden_size);
  });

  it('returns one L2-normalised vector of the model dimension per text', async () => {
    const texts = ['推进严格规范公正文明执法', '全面推行行政执法三项制度，落实行政执法责任制。', 'APP 与 ２０２３ 年'];
    const vectors = await encoder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(encoder.dim);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });

  it('gives identical vectors for identical text, whatever else is in the batch', async () => {
    const text = '加强行政复议规范化建设，畅通行政复议渠道。';
    const [alone] = await encoder.embed([text]);
    const [again] = await encoder.embed([text]);
    expect(Array.from(again!)).toEqual(Array.from(alone!));
    const longer = '深入推进依法行政，加快建设法治政府。'.repeat(10);
    const batched = await encoder.embed(['短句', longer, text]);
    expect(dot(batched[2]!, alone!)).toBeGreaterThan(0.99999);
  });

  it('keeps input order across batch boundaries', async () => {
    const texts = Array.from({ length: 75 }, (_, i) => `第${i}项 ${i % 2 ? '行政执法监督' : '公共法律服务'}工作${'推进'.repeat(i % 7)}`);
    const vectors = await encoder.embed(texts);
    for (const i of [0, 31, 32, 74]) {
      const [single] = await encoder.embed([texts[i]!]);
      expect(dot(vectors[i]!, single!)).toBeGreaterThan(0.99999);
    }
  });

  it('places two 行政复议 sentences closer to each other than to a poverty-relief sentence', async () => {
    const [a, b, c] = await encoder.embed([
      '发挥行政复议化解行政争议主渠道作用，全年受理行政复议案件120件。',
      '依法办理行政复议申请，纠正违法或者不当的行政行为。',
      '巩固拓展脱贫攻坚成果，防止规模性返贫，帮扶农村低收入人口增收。',
    ]);
    const related = dot(a!, b!);
    expect(related).toBeGreaterThan(dot(a!, c!) + 0.05);
    expect(related).toBeGreaterThan(dot(b!, c!) + 0.05);
  });

  it('is contextual: the vector of "A B" is not a mix of the vectors of A and B, as a bag of static word vectors would be', async () => {
    expect(config.num_hidden_layers).toBeGreaterThanOrEqual(1);
    const pairs = [['推行行政执法公示制度', '加强府院联动'], ['人民调解', '书记话法治'], ['双随机、一公开', '行政复议体制改革']];
    for (const [a, b] of pairs) {
      const [va, vb, vab] = await encoder.embed([a!, b!, `${a} ${b}`]);
      // Residual of the least-squares fit vab ≈ c1·va + c2·vb (exactly 0 for mean-pooled static vectors).
      const [g11, g12, g22, r1, r2] = [dot(va!, va!), dot(va!, vb!), dot(vb!, vb!), dot(va!, vab!), dot(vb!, vab!)];
      const det = g11 * g22 - g12 * g12;
      const c1 = (r1 * g22 - r2 * g12) / det;
      const c2 = (r2 * g11 - r1 * g12) / det;
      const residual = vab!.map((v, i) => v - c1 * va![i]! - c2 * vb![i]!);
      expect(Math.sqrt(dot(residual, residual)), `${a} + ${b}`).toBeGreaterThan(0.005);
    }
  });

  it('rejects empty text with an InputError naming its index', async () => {
    await expect(encoder.embed(['行政复议', '  '])).rejects.toThrow(InputError);
    await expect(encoder.embed(['行政复议', '  '])).rejects.toThrow(/texts\[1\]/);
  });
});

describe('loadEncoder(model dir without fazhi.json)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'fazhi-encoder-')), 'plain-model');
    await cp(MODEL_DIR, dir, { recursive: true, filter: (src) => path.basename(src) !== 'fazhi.json' });
  });

  afterAll(async () => {
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('uses the directory name as modelId and feeds raw (unsegmented) text', async () => {
    const plain = await loadEncoder(dir);
    const bundled = await loadEncoder(MODEL_DIR);
    expect(plain.modelId).toBe('plain-model');
    // Unsegmented Chinese has no spaces, so a text over the tokenizer's 100-character word
    // limit becomes a single [UNK]: two different texts then embed identically.
    const a = '全面推进严格规范公正文明执法，深化行政执法体制改革，完善行政执法程序。'.repeat(4);
    const b = '畅通行政复议渠道，发挥行政复议化解行政争议主渠道作用，提升办案质量。'.repeat(4);
    const [pa, pb] = await plain.embed([a, b]);
    expect(Array.from(pa!)).toEqual(Array.from(pb!));
    const [sa, sb] = await bundled.embed([a, b]);
    expect(dot(sa!, sb!)).toBeLessThan(0.99);
  });

  it('names the directory when it is not a model', async () => {
    await expect(loadEncoder(path.dirname(dir))).rejects.toThrow(InputError);
  });
});

describe('loadEncoder(installed bge-small-zh-v1.5)', () => {
  let encoder: Encoder;
  let settings: { modelId: string; pooling: string; queryPrefix: string; maxLength: number; passageClauses: number; clauseMatch: { share: number } };

  beforeAll(async () => {
    settings = JSON.parse(await readFile(path.join(BGE_DIR, 'fazhi.json'), 'utf8'));
    encoder = await loadEncoder(BGE_DIR);
  });

  it('takes modelId, CLS pooling, query prefix and max length from the model directory', () => {
    expect(encoder.modelId).toBe(`${settings.modelId}+clauses${settings.passageClauses}+pieces`);
    expect(encoder.modelId).toMatch(/^bge-small-zh-v1\.5-q@\S+\+clauses0\.5\+pieces$/);
    expect(encoder.clauseMatch).toEqual(settings.clauseMatch);
    expect(encoder.dim).toBe(512);
    expect(settings).toMatchObject({ pooling: 'cls', maxLength: 512 });
    expect(encoder.denseWeights).toEqual({ covered: 0.7, uncovered: 0.9 });
    expect(encoder.denseDepth).toBe(400);
    expect(settings.queryPrefix.length).toBeGreaterThan(0);
  });

  it('puts the query prefix before queries only', async () => {
    const query = '行政复议';
    const [asQuery] = await encoder.embedQueries([query]);
    const [asPassage] = await encoder.embed([query]);
    const [prefixed] = await encoder.embed([settings.queryPrefix + query]);
    expect(dot(asQuery!, prefixed!)).toBeGreaterThan(0.99999);
    expect(dot(asQuery!, asPassage!)).toBeLessThan(0.999);
  });

  it('ranks the passage that answers a query above an unrelated one', async () => {
    const [q] = await encoder.embedQueries(['老百姓打不起官司怎么办']);
    const [aid, poverty] = await encoder.embed([
      '扩大法律援助覆盖面，为经济困难群众和特殊案件当事人提供免费法律服务。',
      '巩固拓展脱贫攻坚成果，防止规模性返贫，帮扶农村低收入人口增收。',
    ]);
    expect(dot(q!, aid!)).toBeGreaterThan(dot(q!, poverty!) + 0.05);
  });

  it('truncates at maxLength tokens: text past the limit does not change the vector', async () => {
    // No clause breaks: the whole text's vector alone, which truncation decides.
    const long = '深入推进依法行政加快建设法治政府'.repeat(45); // ≈ 720 tokens
    const [a, b] = await encoder.embed([long, `${long}另外开展了普法宣传活动`]);
    expect(dot(a!, b!)).toBeGreaterThan(0.99999);
  });

  it('mixes a passage of several clauses with its clauses (passageClauses), a passage of one clause not; keeps them as its pieces (clauseMatch)', async () => {
    const { passageClauses: _share, clauseMatch: _match, ...whole } = settings;
    await withBgeCopy(whole, async (dir) => {
      const raw = await loadEncoder(dir);
      expect(raw.modelId).toBe(settings.modelId);
      const text = '聘请律师担任村居法律顾问，实现全覆盖；为群众提供法律意见';
      const clauses = ['聘请律师担任村居法律顾问', '实现全覆盖', '为群众提供法律意见'];
      const [mixed] = await encoder.embed([text]);
      const [plain, ...clauseVectors] = await raw.embed([text, ...clauses]);
      expect(dot(mixed!, blendClauses(plain!, clauseVectors, settings.passageClauses))).toBeGreaterThan(0.999);
      expect(dot(mixed!, plain!)).toBeLessThan(0.99);
      // Its pieces: the whole and each clause alone (int8 activations: batch-dependent, see models/README.md).
      const [{ vector, pieces }] = await encoder.embedPassages([text]) as [PassageVectors];
      expect(dot(vector, mixed!)).toBeGreaterThan(0.99999);
      expect(pieces.map((piece, i) => dot(piece, [plain, ...clauseVectors][i]!))).toEqual([0, 1, 2, 3].map(() => expect.closeTo(1, 2)));
      expect((await raw.embedPassages([text]))[0]!.pieces).toEqual([]);
      const one = '发挥行政复议化解行政争议主渠道作用。';
      const [[m], [r], [p]] = await Promise.all([encoder.embed([one]), raw.embed([one]), encoder.embedPassages([one])]);
      expect(dot(m!, r!)).toBeGreaterThan(0.99999);
      expect(p!.pieces.length).toBe(1);
      expect(dot(p!.pieces[0]!, r!)).toBeGreaterThan(0.99999);
    });
  });

  it('names fazhi.json and the field when passageClauses, denseWeights, clauseMatch or denseDepth is out of range', async () => {
    await withBgeCopy({ ...settings, clauseMatch: { share: 2, calibration: { floor: 0.5, median: 0.6 } } }, async (dir) => {
      await expect(loadEncoder(dir)).rejects.toThrow(/fazhi\.json.*clauseMatch/);
    });
    const { passageClauses: _share, ...withoutClauses } = settings;
    await withBgeCopy(withoutClauses, async (dir) => {
      await expect(loadEncoder(dir)).rejects.toThrow(/fazhi\.json.*clauseMatch.*passageClauses/);
    });
    await withBgeCopy({ ...settings, passageClauses: 1.5 }, async (dir) => {
      await expect(loadEncoder(dir)).rejects.toThrow(/fazhi\.json.*passageClauses/);
    });
    await withBgeCopy({ ...settings, denseWeights: { covered: 0.7 } }, async (dir) => {
      await expect(loadEncoder(dir)).rejects.toThrow(/fazhi\.json.*denseWeights/);
    });
    for (const denseDepth of [50, 400.5, 1001, '400']) {
      await withBgeCopy({ ...settings, denseDepth }, async (dir) => {
        await expect(loadEncoder(dir)).rejects.toThrow(/fazhi\.json.*denseDepth/);
      });
    }
  });

  it('differs from mean pooling of the same weights (the pooling setting is used)', async () => {
    await withBgeCopy({ ...settings, pooling: 'mean', modelId: 'bge-mean' }, async (dir) => {
      const mean = await loadEncoder(dir);
      const text = '发挥行政复议化解行政争议主渠道作用。';
      const [[m], [c]] = await Promise.all([mean.embed([text]), encoder.embed([text])]);
      expect(dot(m!, c!)).toBeLessThan(0.99);
    });
  });
});
