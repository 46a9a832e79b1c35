// The users' words → reports' words thesaurus (pipeline/dict/colloquial.tsv) and its reading.
import { describe, expect, it } from 'vitest';
import { expandColloquial, parseThesaurus } from '../pipeline/expandColloquial.ts';

describe('expandColloquial', () => {
  it("adds the reports' words for what a plain-language question says in users' words", () => {
    expect(expandColloquial('穷人请不起律师怎么办')).toEqual(expect.arrayContaining(['法律援助', '困难群众']));
    expect(expandColloquial('外国公司和本地公司闹矛盾')).toEqual(expect.arrayContaining(['涉外', '矛盾纠纷']));
    expect(expandColloquial('告政府打官司')).toEqual(['诉讼', '行政诉讼', '应诉']);
  });

  it("adds nothing to a query in the reports' own words, whatever its spelling", () => {
    // 明白人 is a user word, but the query already names the reports' 法律明白人.
    expect(expandColloquial('法律明白人')).toEqual([]);
    // 多跑 is a user word; 最多跑1次 is the reports' 最多跑一次 with a digit for its numeral.
    expect(expandColloquial('最多跑1次')).toEqual([]);
    expect(expandColloquial('双随机、一公开')).toEqual([]);
    // 输 (lose a case) is no user word alone: it is in 运输.
    expect(expandColloquial('道路运输的执法检查')).toEqual([]);
  });

  it('reads a thesaurus line by line and names the file and line of a malformed one', () => {
    const entries = parseThesaurus('# comment\n打官司|告状\t诉讼 应诉\n', 'x.tsv');
    expect(entries).toEqual([{ userWords: ['打官司', '告状'], reportWords: ['诉讼', '应诉'] }]);
    expect(expandColloquial('想告状', entries)).toEqual(['诉讼', '应诉']);
    expect(() => parseThesaurus('打官司 诉讼\n', 'x.tsv')).toThrow(/x\.tsv:1: expected the user words, a tab/);
    expect(() => parseThesaurus('# c\n输|打输\t败诉\n', 'x.tsv')).toThrow(/x\.tsv:2: user word "输" is shorter than two characters/);
    expect(() => parseThesaurus('打输\t \n', 'x.tsv')).toThrow(/x\.tsv:1: no report words/);
  });
});
