// The users' words → reports' words thesaurus (pipeline/dict/colloquial.tsv), its reading and a
// user's own thesaurus file after it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../pipeline/errors.ts';
import { expandColloquial, loadThesaurus, parseThesaurus } from '../pipeline/expandColloquial.ts';

const bundled = loadThesaurus();
const dir = mkdtempSync(path.join(os.tmpdir(), 'fazhi-thesaurus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expandColloquial', () => {
  it("adds the reports' words for what a plain-language question says in users' words", () => {
    expect(expandColloquial('穷人请不起律师怎么办', bundled)).toEqual(expect.arrayContaining(['法律援助', '困难群众']));
    expect(expandColloquial('外国公司和本地公司闹矛盾', bundled)).toEqual(expect.arrayContaining(['涉外', '矛盾纠纷']));
    expect(expandColloquial('告政府打官司', bundled)).toEqual(['诉讼', '行政诉讼', '应诉']);
    // A measure's short name: the words of what it names, for reports describing it without the name.
    expect(expandColloquial('三调联动', bundled)).toEqual(['人民调解', '行政调解', '司法调解']);
    expect(expandColloquial('放管服改革', bundled)).toEqual(['简政放权', '放管结合', '优化服务']);
    expect(expandColloquial('两法衔接', bundled)).toEqual(['行政执法', '刑事司法']);
  });

  it("adds nothing to a query in the reports' own words, whatever its spelling", () => {
    // 明白人 is a user word, but the query already names the reports' 法律明白人.
    expect(expandColloquial('法律明白人', bundled)).toEqual([]);
    // 多跑 is a user word; 最多跑1次 is the reports' 最多跑一次 with a digit for its numeral.
    expect(expandColloquial('最多跑1次', bundled)).toEqual([]);
    expect(expandColloquial('双随机、一公开', bundled)).toEqual([]);
    // 输 (lose a case) is no user word alone: it is in 运输.
    expect(expandColloquial('道路运输的执法检查', bundled)).toEqual([]);
  });

  it('reads a thesaurus line by line and names the file and line of a malformed one', () => {
    const entries = parseThesaurus('# comment\n打官司|告状\t诉讼 应诉\r\n', 'x.tsv');
    expect(entries).toEqual([{ userWords: ['打官司', '告状'], reportWords: ['诉讼', '应诉'] }]);
    expect(expandColloquial('想告状', entries)).toEqual(['诉讼', '应诉']);
    expect(() => parseThesaurus('打官司 诉讼\n', 'x.tsv')).toThrow(/x\.tsv:1: expected the user words, a tab/);
    expect(() => parseThesaurus('# c\n输|打输\t败诉\n', 'x.tsv')).toThrow(/x\.tsv:2: user word "输" is shorter than two characters/);
    expect(() => parseThesaurus('打输\t \n', 'x.tsv')).toThrow(/x\.tsv:1: no report words/);
  });

  it("takes a user's own thesaurus file after the bundled one; a bad or missing file is an error naming it", () => {
    const own = path.join(dir, 'own.tsv');
    writeFileSync(own, '# 本地说法\n诉讼服务品牌\t榴乡诉递\n');
    const merged = loadThesaurus(own);
    expect(merged.length).toBe(bundled.length + 1);
    expect(expandColloquial('枣庄的诉讼服务品牌', merged)).toEqual(['榴乡诉递']);
    expect(expandColloquial('枣庄的诉讼服务品牌', bundled)).toEqual([]);
    const bad = path.join(dir, 'bad.tsv');
    writeFileSync(bad, '诉讼服务品牌 榴乡诉递\n');
    expect(() => loadThesaurus(bad)).toThrow(InputError);
    expect(() => loadThesaurus(bad)).toThrow(`${bad}:1: expected the user words, a tab`);
    const missing = path.join(dir, 'missing.tsv');
    expect(() => loadThesaurus(missing)).toThrow(`${missing}: cannot read the thesaurus`);
  });
});
