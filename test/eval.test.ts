import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import { holdOutTopicSentences } from './eval/autoSet.ts';
import { buildEvalCorpus } from './eval/evalCorpus.ts';
import { DEV_GROUPS, DEVSET2_FILE, DEVSET3_FILE, DEVSET4_FILE, loadDevSet } from './eval/evalSet.ts';
import { judge, mrrAt, ndcgAt, normalizeForMatch, pairedRandomizationP, scoreQuery, type Judgement } from './eval/metrics.ts';

const CORPUS = path.join(import.meta.dirname, '..', 'corpus');

describe.each([
  ['dev set', loadDevSet(), DEV_GROUPS, 40],
  ['dev2 set', loadDevSet(DEVSET2_FILE), DEV_GROUPS, 40],
  ['dev3 set', loadDevSet(DEVSET3_FILE), ['paraphrase'], 30],
  ['dev4 set', loadDevSet(DEVSET4_FILE), DEV_GROUPS, 40],
] as const)('%s', (_name, queries, groups, size) => {
  it(`has at least ${size} queries, each of its groups at least 10, and no other group`, () => {
    expect(queries.length).toBeGreaterThanOrEqual(size);
    for (const g of groups) expect(queries.filter((q) => q.group === g).length, g).toBeGreaterThanOrEqual(10);
    expect(queries.every((q) => (groups as readonly string[]).includes(q.group))).toBe(true);
  });

  it('judges only with grades 1 and 2, at least one grade 2 per query', () => {
    for (const q of queries) {
      for (const j of q.relevant) expect([1, 2], q.id).toContain(j.grade);
      expect(q.relevant.some((j) => j.grade === 2), q.id).toBe(true);
    }
  });

  it('every "contains" occurs in the named corpus file, and in one of its parsed passages', () => {
    const docs = new Set(queries.flatMap((q) => q.relevant.map((j) => j.doc)));
    for (const doc of docs) {
      const bytes = readFileSync(path.join(CORPUS, doc));
      const raw = normalizeForMatch(bytes.toString('utf8'));
      const passages = parseReport(doc, bytes).passages.map((p) => normalizeForMatch(p.text));
      for (const q of queries) {
        for (const j of q.relevant.filter((r) => r.doc === doc)) {
          const needle = normalizeForMatch(j.contains);
          expect(raw.includes(needle), `${q.id}: ${j.contains} in ${doc}`).toBe(true);
          expect(passages.some((t) => t.includes(needle)), `${q.id}: ${j.contains} in a passage of ${doc}`).toBe(true);
        }
      }
    }
  });

  it('similar-practice queries point away from the report they are taken from', () => {
    for (const q of queries.filter((x) => x.group === 'similar')) {
      expect(q.from, q.id).toBeDefined();
      for (const j of q.relevant) expect(j.doc, q.id).not.toBe(q.from);
    }
  });

  it('paraphrase queries do not occur verbatim in their answers', () => {
    for (const q of queries.filter((x) => x.group === 'paraphrase')) {
      for (const j of q.relevant) {
        const text = normalizeForMatch(readFileSync(path.join(CORPUS, j.doc), 'utf8'));
        expect(text.includes(normalizeForMatch(q.query)), `${q.id} in ${j.doc}`).toBe(false);
      }
    }
  });
});

describe('metrics', () => {
  const rel: Judgement[] = [
    { doc: 'a.txt', contains: '双随机', grade: 2 },
    { doc: 'b.txt', contains: '书记话法治', grade: 1 },
  ];

  it('judges by basename and whitespace/width-insensitive substring, each judgement once', () => {
    const ranked = [
      { source: 'x/b.txt', text: '录制“书记 话法治”节目' },
      { source: 'other/a.txt', text: '不相关' },
      { source: 'dir/a.txt', text: '推行“双随机、一公开”监管' },
      { source: 'dir/a.txt', text: '又一段 双随机' },
      { source: 'c.txt', text: '双随机' },
    ];
    const { gains, found } = judge(ranked, rel);
    expect(gains).toEqual([1, 0, 2, 0, 0]);
    expect(found).toBe(2);
  });

  it('nDCG@10 matches a hand computation', () => {
    // gains [1, 0, 2]: DCG = (2^1-1)/log2(2) + (2^2-1)/log2(4) = 1 + 1.5 = 2.5
    // ideal [2, 1]:    IDCG = 3/1 + 1/log2(3) = 3.6309297535714573
    expect(ndcgAt([1, 0, 2], rel, 10)).toBeCloseTo(2.5 / (3 + 1 / Math.log2(3)), 12);
    expect(ndcgAt([2, 1], rel, 10)).toBe(1);
    expect(ndcgAt([0, 0], rel, 10)).toBe(0);
    // k cuts the ranking, not the ideal's length beyond what is retrievable
    expect(ndcgAt([0, 2, 1], rel, 1)).toBe(0);
  });

  it('MRR is the reciprocal rank of the first relevant passage within k', () => {
    expect(mrrAt([0, 0, 1], 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt([0, 0, 1], 2)).toBe(0);
  });

  it('scoreQuery combines nDCG, recall and MRR at k', () => {
    const s = scoreQuery([{ source: 'a.txt', text: '双随机' }, { source: 'z.txt', text: '无' }], rel, 10);
    expect(s.recall).toBe(0.5);
    expect(s.mrr).toBe(1);
    expect(s.ndcg).toBeCloseTo(3 / (3 + 1 / Math.log2(3)), 12);
  });
});

describe('paired randomization test', () => {
  it('finds no difference between identical systems and a clear one between consistently different systems', () => {
    const a = Array.from({ length: 40 }, (_, i) => (i % 7) / 7);
    expect(pairedRandomizationP(a, a)).toBe(1);
    expect(pairedRandomizationP(a.map((x) => x + 0.2), a)).toBeLessThan(0.001);
    // one query better, one worse by the same amount: no evidence either way
    expect(pairedRandomizationP([1, 0, 0.5], [0, 1, 0.5])).toBeGreaterThan(0.5);
  });
});

describe('automatic set', () => {
  const doc = {
    file: 'gwr-001.txt',
    text: [
      '一、工作回顾',
      '（五）推进纠纷化解完善非诉讼解决机制。推行信用加调解，建立商圈楼宇调解组织，组建流动调解室，每月开展两次以上矛盾排查，全年调解案件三千余件，在省级征文活动中获奖，开设复议涉企绿色通道，加大复议调解力度。',
      '（六）这一句太短。只有几个字。',
    ].join('\n'),
  };

  it('cuts the topic sentence out of the document and makes it the query', () => {
    const auto = holdOutTopicSentences([doc], [], { count: 5, perDoc: 5, seed: 't', anchorChars: 10 });
    expect(auto.queries).toHaveLength(1);
    const [q] = auto.queries;
    expect(q!.query).toBe('推进纠纷化解完善非诉讼解决机制');
    expect(q!.relevant).toEqual([{ doc: 'gwr-001.txt', contains: '推行信用加调解,建立', grade: 2 }]);
    expect(auto.docs[0]!.text).not.toContain('推进纠纷化解完善非诉讼解决机制');
    expect(auto.docs[0]!.text).toContain('推行信用加调解，建立商圈楼宇调解组织');
  });

  it('skips a topic sentence that also occurs elsewhere', () => {
    const auto = holdOutTopicSentences([doc], ['去年也曾推进纠纷化解完善非诉讼解决机制。'], { count: 5, perDoc: 5, seed: 't', anchorChars: 10 });
    expect(auto.queries).toHaveLength(0);
  });
});

const CORPORA = process.env.FAZHI_CORPORA ?? path.join(import.meta.dirname, '..', '..', 'shared', 'corpora');

describe.skipIf(!existsSync(CORPORA))('eval corpus from the shared corpora', () => {
  it('mixes the reports into distractors and holds out 200 topic sentences from reports the model does not train on', () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'fazhi-eval-'));
    try {
      const c = buildEvalCorpus({ reportsDir: CORPUS, corporaDir: CORPORA, outDir, lawCount: 20, autoCount: 200 });
      expect(c.files.filter((f) => f.includes('/reports/'))).toHaveLength(5);
      expect(c.files.filter((f) => f.includes('/laws/'))).toHaveLength(20);
      expect(c.autoQueries).toHaveLength(200);
      for (const q of c.autoQueries) {
        const [j] = q.relevant;
        // gwr-000, gwr-005, …: every fifth record, as models/train/pairs.py holds out
        expect(Number(/-(\d+)\.txt$/.exec(j!.doc)![1]) % 5, q.id).toBe(0);
        const text = normalizeForMatch(readFileSync(path.join(outDir, 'national', j!.doc), 'utf8'));
        expect(text.includes(normalizeForMatch(j!.contains)), q.id).toBe(true);
        expect(text.includes(normalizeForMatch(q.query)), q.id).toBe(false);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
