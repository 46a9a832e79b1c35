// Incremental derived data: boilerplate document frequencies kept per document by each commit,
// and the HNSW file and the full boilerplate sweep done in a worker thread while commits go on.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeBoilerplate, documentShingles } from '../search/boilerplate.ts';
import { DerivedRefresher, INDEX_SAVE_AFTER_CHANGES } from '../search/derivedRefresh.ts';
import { commitReport } from '../search/ingest.ts';
import { STORE_FILE, Store } from '../search/store.ts';
import { VectorIndex, readIndexHealth } from '../search/vectorIndex.ts';
import type { ParsedReport } from '../pipeline/types.ts';
import { DIM, makeReport, tempDataDir, withoutPieces } from './helpers/searchFixtures.ts';

const MODEL = 'random-64';
const NAMES = ['环翠区', '峄城区', '陕州区', '文登区', '荣成市', '乳山市', '台儿庄区', '薛城区', '山亭区', '滕州市'];
const HANZI = '法治政府建设推进依法行政执法监督复议应诉普法宣传调解仲裁信用监管审批服务公开透明决策程序合法审查备案清单';

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const random = seededRandom(11);
const randomText = (chars: number) => Array.from({ length: chars }, () => HANZI[Math.floor(random() * HANZI.length)]).join('');
const randomVector = () => {
  const v = Float32Array.from({ length: DIM }, () => random() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

/** A report with a near-verbatim intro shared by every report, and practices of its own. */
function report(i: number, practices = 2, version = 0): ParsedReport {
  const name = `${NAMES[i % NAMES.length]}${i}`;
  return makeReport(`r/${i}.txt`, { province: '山东省', city: '威海市', county: name, year: 2020 + (i % 5) }, [
    { section: '其他', words: [`${2020 + (i % 5)}年，${name}坚持以人民为中心，统筹推进依法行政各项决策部署落到实处，不断提升全区依法行政工作水平。`] },
    ...Array.from({ length: practices }, (_, p) => ({ section: '成效' as const, words: [`${version}${randomText(60)}${p}`] })),
  ]);
}

function commit(store: Store, r: ParsedReport) {
  return commitReport(store, r, withoutPieces(r.passages.map(randomVector)), MODEL);
}

let dataDir: string;
let store: Store;

beforeEach(() => {
  dataDir = tempDataDir();
  store = Store.open(dataDir);
});

afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Document frequencies counted afresh over the distinct contents in the store. */
function frequenciesOfStoredContents(store: Store): Map<number, number> {
  const expected = new Map<number, number>();
  const seen = new Set<string>();
  for (const doc of store.documents()) {
    if (seen.has(doc.contentHash)) continue;
    seen.add(doc.contentHash);
    const texts = store.getPassages(store.passageIdsOf(doc.id)).map((p) => p.text);
    for (const shingle of documentShingles(texts).shingles) expected.set(shingle, (expected.get(shingle) ?? 0) + 1);
  }
  return expected;
}

describe('boilerplate document frequencies', () => {
  it("score each commit's passages as a full recomputation would, and follow replacements and removals", () => {
    const reports: ParsedReport[] = [];
    for (let i = 0; i < 40; i++) {
      const r = report(i);
      reports.push(r);
      commit(store, r);
      // The new document is scored at its commit, exactly as a full recomputation scores it now.
      const full = computeBoilerplate(store.iteratePassageTexts());
      const doc = store.getDocumentBySource(r.source)!;
      for (const passage of store.getPassages(store.passageIdsOf(doc.id))) expect(passage.boilerplate, `report ${i}`).toBe(full.get(passage.id) ?? 0);
    }
    const intro = store.getPassages(store.passageIdsOf(store.getDocumentBySource('r/39.txt')!.id))[0]!;
    expect(intro.boilerplate).toBeGreaterThan(0.6);

    // Replacements, removals and a copy under another name (same content, counted once).
    for (let i = 0; i < 5; i++) commit(store, report(i, 3, 1));
    for (let i = 5; i < 10; i++) store.removeBySource(`r/${i}.txt`);
    const copy = { ...reports[20]!, source: 'copy/20.txt' };
    commit(store, copy);
    store.removeBySource('r/20.txt'); // the copy still counts for that content

    // The stored frequencies equal counts over the distinct contents now in the store.
    const expected = frequenciesOfStoredContents(store);
    expect(Object.fromEntries(store.shingleFrequencies(expected.keys()))).toEqual(Object.fromEntries(expected));
    const removedOnly = documentShingles(report(7).passages.map((p) => p.text)).shingles.filter((s) => !expected.has(s));
    expect(removedOnly.length).toBeGreaterThan(0);
    expect([...store.shingleFrequencies(removedOnly).values()].every((docs) => docs === 0)).toBe(true);
  });

  it('stay exact while commits log their shingle sets and merges fold the log in, a key range at a time', () => {
    const all = new Set<number>();
    const check = (when: string) => {
      const expected = frequenciesOfStoredContents(store);
      for (const shingle of expected.keys()) all.add(shingle);
      const stored = store.shingleFrequencies(all);
      for (const shingle of all) expect(stored.get(shingle), `${when}: shingle ${shingle}`).toBe(expected.get(shingle) ?? 0);
    };
    for (let i = 0; i < 12; i++) commit(store, report(i));
    expect(store.pendingShingleSets()).toBe(12);
    check('all logged');

    // A merge stopped part-way, with commits, replacements and removals in between.
    expect(store.mergeShingleFrequencies(50)).toBe(false);
    check('one key range merged');
    commit(store, report(12));
    commit(store, report(3, 2, 1));
    store.removeBySource('r/5.txt');
    check('commits during the merge');
    expect(store.mergeShingleFrequencies(50)).toBe(false);
    check('two key ranges merged');

    // A new writer (a restart) finishes the merge it finds under way, then merges what came since.
    store.close();
    store = Store.open(dataDir);
    check('reopened');
    let steps = 0;
    while (!store.mergeShingleFrequencies(200)) {
      steps++;
      check(`after merge step ${steps}`);
    }
    expect(steps).toBeGreaterThan(1);
    expect(store.pendingShingleSets()).toBe(0);
    check('log merged');
    const db = new Database(path.join(dataDir, STORE_FILE), { readonly: true });
    try {
      expect(db.prepare(`SELECT count(*) FROM shingle_df WHERE docs <= 0`).pluck().get()).toBe(0);
      expect(db.prepare(`SELECT count(*) FROM shingle_df`).pluck().get()).toBe(frequenciesOfStoredContents(store).size);
    } finally {
      db.close();
    }
    // Scores at commit time are unchanged by where the frequencies live (table or log).
    const r = report(40);
    commit(store, r);
    const full = computeBoilerplate(store.iteratePassageTexts());
    for (const passage of store.getPassages(store.passageIdsOf(store.getDocumentBySource(r.source)!.id))) expect(passage.boilerplate).toBe(full.get(passage.id) ?? 0);
  });

  it('are merged by a commit itself once the log is long (an embedded batch refreshes only at its end)', () => {
    for (let i = 0; i < 130; i++) commit(store, report(i, 1));
    // The 128th commit merged the log; two more are logged since.
    expect(store.pendingShingleSets()).toBe(2);
    const expected = frequenciesOfStoredContents(store);
    expect(Object.fromEntries(store.shingleFrequencies(expected.keys()))).toEqual(Object.fromEntries(expected));
  });
});

describe('DerivedRefresher', () => {
  it('sweeps boilerplate and saves the index in a worker thread while commits go on', { timeout: 120_000 }, async () => {
    const logs: string[] = [];
    // Enough vectors that a rebuild takes a while: commits must not wait for it.
    for (let i = 0; i < 60; i++) commit(store, report(i, 60));
    const refresher = new DerivedRefresher(store, dataDir, (line) => logs.push(line));
    try {
      expect(refresher.due(MODEL)).toEqual({ boilerplate: true, index: true, shingles: true });
      let refreshed = false;
      const running = refresher.refresh(MODEL).then((outcome) => {
        refreshed = true;
        return outcome;
      });
      const during: number[] = [];
      for (let i = 60; i < 64 && !refreshed; i++) {
        commit(store, report(i));
        if (!refreshed) during.push(i);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const outcome = await running;
      expect(during.length, 'commits made while the rebuild ran in the thread').toBeGreaterThan(0);
      expect(outcome.index).toMatchObject({ rebuilt: true, reason: 'missing', saved: true });
      expect(outcome.boilerplateChanged).toBeGreaterThan(0);
      expect(outcome.shinglesMerged).toBeGreaterThanOrEqual(60);
      expect(logs.some((line) => /hnsw\.bin: building it from the store/.test(line))).toBe(true);

      // The saved file is of the generation the thread read; later commits stay in the log, and
      // a reader replays them.
      expect(readIndexHealth(dataDir, store).generation).toBe(outcome.index!.generation);
      commit(store, report(99));
      expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: false, reason: expect.stringMatching(/behind the store/) });
      const reader = new VectorIndex(dataDir, { warn: (line) => logs.push(line) });
      expect(reader.ensureFresh(store, MODEL)).toEqual({ rebuilt: false, reason: null });
      expect(reader.size).toBe(store.countVectors(MODEL));
      const added = store.getDocumentBySource('r/99.txt')!;
      const [firstId] = store.passageIdsOf(added.id);
      const vector = store.getVectors([firstId!], MODEL).get(firstId!)!;
      expect(reader.search(vector, 1)[0]!.id).toBe(firstId);

      // A small change is left to readers; saving is forced when asked (an idle writer does).
      expect(store.countVectorChanges()).toBeLessThan(INDEX_SAVE_AFTER_CHANGES);
      expect(refresher.due(MODEL).index).toBe(false);
      expect((await refresher.refresh(MODEL, { saveIndex: true })).index).toMatchObject({ rebuilt: false, saved: true });
      expect(readIndexHealth(dataDir, store)).toMatchObject({ fresh: true, generation: store.generation() });
      expect(store.countVectorChanges()).toBe(0);

      // After the sweep every stored score equals a full recomputation.
      const full = computeBoilerplate(store.iteratePassageTexts());
      for (const passage of store.getPassages([...store.passageIds({})])) expect(passage.boilerplate).toBe(full.get(passage.id) ?? 0);
      expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    } finally {
      await refresher.close();
    }
  });
});
