import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { cleanReport } from '../pipeline/cleanReport.ts';
import { detectJurisdiction, resolveRegion } from '../pipeline/detectJurisdiction.ts';
import { InputError } from '../pipeline/errors.ts';
import { normalizeForMatch } from '../pipeline/normalizeForMatch.ts';
import { MAX_REPORT_BYTES, parseReport, SUPPORTED_EXTENSIONS } from '../pipeline/parseReport.ts';
import { segmentForIndex, segmentForModel, segmentForQuery } from '../pipeline/segment.ts';
import { MAX_PASSAGE_CHARS, splitPassages } from '../pipeline/splitPassages.ts';
import type { ParsedReport, SectionKind } from '../pipeline/types.ts';

const CORPUS = path.join(import.meta.dirname, '..', 'corpus');
const seedFile = (prefix: string) => fs.readdirSync(CORPUS).find((f) => f.startsWith(prefix))!;
const seedBytes = (prefix: string) => fs.readFileSync(path.join(CORPUS, seedFile(prefix)));
const parsed = new Map<string, ParsedReport>();
const seed = (prefix: string): ParsedReport => {
  if (!parsed.has(prefix)) parsed.set(prefix, parseReport(`corpus/${seedFile(prefix)}`, seedBytes(prefix)));
  return parsed.get(prefix)!;
};
const allText = (r: ParsedReport) => r.passages.map((p) => p.text).join('\n');
const sectionCounts = (r: ParsedReport) => {
  const counts: Partial<Record<SectionKind, number>> = {};
  for (const p of r.passages) counts[p.section] = (counts[p.section] ?? 0) + 1;
  return counts;
};
const passageWith = (r: ParsedReport, needle: string) => r.passages.find((p) => p.text.includes(needle))!;

describe('seed 000 威海市环翠区', () => {
  it('reads title, year, issuer and jurisdiction', () => {
    const { meta } = seed('000');
    expect(meta.title).toBe('威海市环翠区人民政府关于2023年法治政府建设情况的报告');
    expect(meta.year).toBe(2023);
    expect(meta.issuer).toBe('威海市环翠区人民政府');
    expect(meta.docNumber).toBeNull();
    expect(meta.jurisdiction).toEqual({ province: '山东省', city: '威海市', county: '环翠区', code: '371002' });
  });
  it('finds all four standard parts', () => {
    const r = seed('000');
    expect(sectionCounts(r)).toEqual({ 其他: 1, 成效: 6, 不足: 3, 职责: 3, 安排: 3 });
    const p = passageWith(r, '双随机、一公开');
    expect(p.section).toBe('成效');
    expect(p.headingPath).toEqual(['一、2023年推进法治政府建设的主要举措和成效', '（二）依法全面履职，营造法治化营商环境。']);
    expect(passageWith(r, '基层行政执法人员匮乏').section).toBe('不足');
    expect(passageWith(r, '述法').section).toBe('职责');
    expect(passageWith(r, '涉外律师人才库').section).toBe('安排');
  });
  it('keeps a heading with its body in one passage, and makes no passage of title lines', () => {
    const r = seed('000');
    expect(r.passages[1]!.text.startsWith('（一）争创先进典型，参与法治政府建设活动。开展')).toBe(true);
    expect(r.passages.some((p) => p.text === '关于2023年法治政府建设情况的报告')).toBe(false);
    expect(r.passages.some((p) => p.text.startsWith('一、'))).toBe(false);
  });
});

describe('seed 001 masked 某区', () => {
  it('takes the year from the body over the title (titled 2023, reports on 2022)', () => {
    const { meta } = seed('001');
    expect(meta.title).toBe('2023年度某区法治政府建设工作情况报告');
    expect(meta.year).toBe(2022);
  });
  it('leaves a masked jurisdiction unknown, never guessed', () => {
    expect(seed('001').meta.jurisdiction).toEqual({ province: null, city: null, county: null, code: null });
    expect(seed('001').meta.issuer).toBeNull();
  });
  it('removes content-farm spam and the repeated title, keeps masking asterisks', () => {
    const text = allText(seed('001'));
    expect(text).not.toContain('小编');
    expect(text).not.toContain('推荐访问');
    expect(text).not.toContain('2023年度某区法治政府建设工作情况报告');
    expect(text).toContain('《**市**区人民政府重大行政决策程序规定》');
  });
  it('splits the mixed part 三、存在的不足及下步工作打算 into 不足 and 安排', () => {
    const r = seed('001');
    expect(sectionCounts(r)).toEqual({ 其他: 1, 成效: 15, 职责: 3, 不足: 1, 安排: 4 });
    expect(passageWith(r, '依法行政认识不够').section).toBe('不足');
    expect(passageWith(r, '进一步提升民主依法决策').section).toBe('安排');
    expect(passageWith(r, '亲自谋划、亲自部署').section).toBe('职责');
  });
  it('re-joins the line broken after "情况;"', () => {
    expect(allText(seed('001'))).toContain('并定期通报学习情况;纳入区委党校必修课');
  });
});

describe('seed 002 威海市', () => {
  it('strips the web page chrome and keeps its date and source as metadata', () => {
    const r = seed('002');
    const text = allText(r);
    for (const chrome of ['通知公告', '文章来源', '发布日期', '访问次数', '字号', '打印本页', '关闭窗口']) {
      expect(text).not.toContain(chrome);
    }
    expect(r.meta.publishedAt).toBe('2024-01-18');
    expect(r.meta.issuer).toBe('威海市司法局');
    expect(r.meta.title).toBe('2023年威海市法治政府建设情况报告');
    expect(r.meta.year).toBe(2023);
    expect(r.meta.jurisdiction).toEqual({ province: '山东省', city: '威海市', county: null, code: '371000' });
  });
  it('classifies 职责 before 成效 as the report orders them', () => {
    const r = seed('002');
    expect(sectionCounts(r)).toEqual({ 其他: 1, 职责: 3, 成效: 30, 不足: 2, 安排: 6 });
    expect(passageWith(r, '书记话法治').section).toBe('职责');
    expect(passageWith(r, '鲁通码').section).toBe('成效');
    expect(passageWith(r, '涉外法治服务水平不高').section).toBe('不足');
  });
  it('uses 一是/二是 item topics as structure', () => {
    const p = passageWith(seed('002'), '二是深化“放管服”改革。');
    expect(p.headingPath.at(-1)).toBe('二是深化“放管服”改革。');
    expect(p.headingPath[1]).toBe('(一)依法履行政府职能');
  });
});

describe('seed 003 枣庄市峄城区', () => {
  it('reads the official document header', () => {
    const { meta } = seed('003');
    expect(meta.docNumber).toBe('峄委〔2024〕1号');
    expect(meta.issuer).toBe('中共枣庄市峄城区委员会');
    expect(meta.title).toBe('中共枣庄市峄城区委员会关于峄城区2023年度法治政府建设情况的报告');
    expect(meta.year).toBe(2023);
    expect(meta.publishedAt).toBe('2024-01-17');
    expect(meta.jurisdiction).toEqual({ province: '山东省', city: '枣庄市', county: '峄城区', code: '370404' });
  });
  it('re-joins words broken by page breaks and drops markdown emphasis and the signature block', () => {
    const text = allText(seed('003'));
    expect(text).toContain('《峰城区人民政府规范性文件制定程序规定》');
    expect(text).toContain('各镇（街）和区直部门主要负责人');
    expect(text).toContain('中国特色社会主义思想为指导');
    expect(text).toContain('二是拓展多元解纷新路径。');
    expect(text).not.toContain('**');
    expect(text).not.toContain('签发人');
    expect(text).not.toContain('2024年1月17日');
  });
  it('finds the four parts, with half-width (三) headings too', () => {
    const r = seed('003');
    expect(sectionCounts(r)).toEqual({ 其他: 1, 成效: 19, 不足: 3, 职责: 3, 安排: 5 });
    expect(passageWith(r, '行政争议调解有畏难情绪').section).toBe('不足');
    expect(passageWith(r, '以考核述法为关键').section).toBe('职责');
  });
});

describe('seed 004 陕州区司法局', () => {
  it('resolves the bare county name (三门峡市 confirmed in the body)', () => {
    const { meta } = seed('004');
    expect(meta.title).toBe('陕州区司法局2023年度法治政府建设报告');
    expect(meta.issuer).toBe('陕州区司法局');
    expect(meta.year).toBe(2023);
    expect(meta.jurisdiction).toEqual({ province: '河南省', city: '三门峡市', county: '陕州区', code: '411203' });
  });
  it('classifies 工作开展情况 / 存在问题 / 下一步工作打算', () => {
    const r = seed('004');
    expect(sectionCounts(r)).toEqual({ 其他: 1, 成效: 10, 不足: 1, 安排: 1 });
    expect(passageWith(r, '乡镇综合行政执法建设推进缓慢').section).toBe('不足');
    expect(passageWith(r, '做好自查自纠').section).toBe('安排');
  });
  it('does not join a line missing its full stop onto the next heading', () => {
    const p = passageWith(seed('004'), '主要负责同志参加会议');
    expect(p.text.endsWith('主要负责同志参加会议')).toBe(true);
  });
});

describe('passages', () => {
  it.each(['000', '001', '002', '003', '004'])('seed %s: within the cap, ordered, hashed, tokenised', (prefix) => {
    const r = seed(prefix);
    expect(r.passages.length).toBeGreaterThan(10);
    r.passages.forEach((p, i) => {
      expect(p.ordinal).toBe(i);
      expect(p.text.length).toBeLessThanOrEqual(MAX_PASSAGE_CHARS);
      expect(p.text.length).toBeGreaterThan(0);
      expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(p.tokens.length).toBeGreaterThan(0);
    });
    expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.encoding).toBe('UTF-8');
  });
  const block = (text: string) => ({ headingPath: ['一、主要举措和成效'], section: '成效' as const, text, isHeading: false });
  it('splits a long paragraph only at sentence ends, into balanced parts, losing nothing', () => {
    const sentence = '开展行政执法案卷评查工作，抽查案卷三十三本并提出监督意见。';
    const text = sentence.repeat(12); // 12 × 29 = 348 characters: 2 × 174, not 290 + 58
    const passages = splitPassages([block(text)]);
    expect(passages.map((p) => p.text.length)).toEqual([174, 174]);
    for (const p of passages) expect(p.text.endsWith('。')).toBe(true);
    expect(passages.map((p) => p.text).join('')).toBe(text);
  });
  it('prefers to split between 一是/二是 items and puts each item topic in the heading path', () => {
    const item = (n: string) => `${n}是加强执法监督。${'组织开展专项监督检查并通报结果。'.repeat(12)}`;
    const passages = splitPassages([block(item('一') + item('二'))]);
    expect(passages.map((p) => p.text.slice(0, 2))).toEqual(['一是', '二是']);
    expect(passages[1]!.headingPath).toEqual(['一、主要举措和成效', '二是加强执法监督。']);
  });
  it('cuts a single over-long sentence at clause marks', () => {
    const text = `${'组织开展专项监督检查'.repeat(20)}，${'通报检查结果'.repeat(20)}。`;
    const passages = splitPassages([block(text)]);
    expect(passages.length).toBe(2);
    expect(passages[0]!.text.endsWith('，')).toBe(true);
    expect(passages.every((p) => p.text.length <= MAX_PASSAGE_CHARS)).toBe(true);
  });
  it('hashes the normalised text: full-width digits and spacing do not change it', () => {
    const a = parseReport('a.txt', Buffer.from('（一）测试标题。共办理案件１２件，完成 4 项。'));
    const b = parseReport('b.txt', Buffer.from('（一）测试标题。共办理案件12件，完成4项。'));
    expect(a.passages[0]!.hash).toBe(b.passages[0]!.hash);
    expect(a.passages[0]!.text).toContain('１２');
  });
});

describe('enumerations', () => {
  const parse = (articles: string) => parseReport('laws/某市不动产登记若干规定(2020-11-27).md', Buffer.from(`# 某市不动产登记若干规定\n\n${articles}`));
  it("a law article's items are text of the article, not headings of what follows", () => {
    const r = parse(
      '第三条 下列不动产权利，依法办理登记：\n（一）集体土地所有权；\n（二）房屋等建筑物、构筑物所有权；\n（三）森林、林木所有权。\n' +
        '第四条 不动产登记包括首次登记、变更登记和转移登记。\n',
    );
    expect(r.passages.map((p) => p.text)).toEqual([
      '第三条 下列不动产权利，依法办理登记：（一）集体土地所有权；（二）房屋等建筑物、构筑物所有权；（三）森林、林木所有权。',
      '第四条 不动产登记包括首次登记、变更登记和转移登记。',
    ]);
    expect(r.passages.map((p) => p.headingPath)).toEqual([[], []]);
  });
  it('an item with sub-items and an item of two sentences stay in the list', () => {
    const r = parse(
      '第九条 有下列情形之一的，不予登记：\n（一）申请材料不全的；\n（二）有下列情况之一的：\n1．权属有争议；\n2．违反法律规定。\n' +
        '（三）法律、行政法规规定的其他情形。但是，依法可以补正的除外。\n第十条 登记机构应当书面告知申请人。\n',
    );
    expect(r.passages.length).toBe(2);
    expect(r.passages[0]!.text).toContain('2．违反法律规定。（三）法律、行政法规规定的其他情形。');
    expect(r.passages[1]!.headingPath).toEqual([]);
  });
  it('a numbered line ending with a semicolon is an item even where no colon introduces it', () => {
    const r = parse('第十条 学校已履行相应职责的，不承担责任。\n（一）学生自行上学途中发生事故的；\n（二）学生擅自外出发生事故的。\n第十一条 学校应当及时告知监护人。\n');
    expect(r.passages.map((p) => p.text)).toEqual([
      '第十条 学校已履行相应职责的，不承担责任。（一）学生自行上学途中发生事故的；（二）学生擅自外出发生事故的。',
      '第十一条 学校应当及时告知监护人。',
    ]);
  });
  it('items under a heading that ends with a colon are a passage under that heading', () => {
    const r = parseReport(
      'report.txt',
      Buffer.from('一、工作成效\n全年办理案件百余件，群众满意度进一步提升。\n二、存在的不足：\n（一）执法人员专业能力不足；\n（二）基层法治宣传覆盖不全。\n三、下一步工作安排\n持续加强执法队伍建设。\n'),
    );
    const items = passageWith(r, '执法人员专业能力不足');
    expect(items.text).toBe('（一）执法人员专业能力不足；（二）基层法治宣传覆盖不全。');
    expect(items.headingPath).toEqual(['二、存在的不足：']);
    expect(items.section).toBe('不足');
    expect(passageWith(r, '持续加强').headingPath).toEqual(['三、下一步工作安排']);
  });
  it('after a colon, a section heading with subsections, a lone heading or topic sentences with bodies stay headings', () => {
    const r = parseReport(
      'report.txt',
      Buffer.from(
        '现将有关情况报告如下：\n一、工作开展情况\n（一）强化组织领导\n成立领导小组，统筹推进法治建设。\n' +
          '主要做法是：\n（二）严格执法。全面推行行政执法三项制度。\n（三）化解纠纷。完善调解、仲裁、复议衔接机制。\n',
      ),
    );
    expect(passageWith(r, '成立领导小组').headingPath).toEqual(['一、工作开展情况', '（一）强化组织领导']);
    expect(passageWith(r, '全面推行').headingPath).toEqual(['一、工作开展情况', '（二）严格执法。']);
    expect(passageWith(r, '完善调解').headingPath).toEqual(['一、工作开展情况', '（三）化解纠纷。']);
  });
});

describe('no report text is lost', () => {
  const texts = (r: ParsedReport) => r.passages.map((p) => p.text);
  it('a section written as one-line numbered items is a passage under its heading, not headings with nothing under them', () => {
    const r = parseReport(
      '西湖区.txt',
      Buffer.from(
        '杭州市西湖区关于2021年度法治政府建设情况的报告\n\n2021年，西湖区紧紧围绕法治政府建设目标。\n\n一、主要成效\n（一）推进“双随机、一公开”监管与信用监管相结合。\n（二）党政主要负责人年终述法。\n\n' +
          '二、存在的不足\n（一）基层法治力量薄弱。\n三、下一步工作安排\n（一）强化执法监督\n开展行政执法案卷评查。\n（二）深化府院联动。\n',
      ),
    );
    expect(texts(r)).toEqual([
      '2021年，西湖区紧紧围绕法治政府建设目标。',
      '（一）推进“双随机、一公开”监管与信用监管相结合。（二）党政主要负责人年终述法。',
      '（一）基层法治力量薄弱。',
      '开展行政执法案卷评查。',
      '（二）深化府院联动。',
    ]);
    expect(r.passages.map((p) => [p.section, p.headingPath])).toEqual([
      ['其他', []],
      ['成效', ['一、主要成效']],
      ['不足', ['二、存在的不足']],
      ['安排', ['三、下一步工作安排', '（一）强化执法监督']],
      ['安排', ['三、下一步工作安排']],
    ]);
  });
  it("a report's opening sentence cut by a hard line break after the title is text, not a title line", () => {
    const r = parseReport(
      '荣成市.txt',
      Buffer.from('威海市荣成市2020年法治政府建设情况报告\n\n2020年，荣成市坚持以习近平法治思想为指导，在市场监管领域全面推行\n双随机一公开监管，全年抽查企业300家。\n'),
    );
    expect(r.meta.title).toBe('威海市荣成市2020年法治政府建设情况报告');
    expect(texts(r).join('')).toBe('2020年，荣成市坚持以习近平法治思想为指导，在市场监管领域全面推行双随机一公开监管，全年抽查企业300家。');
  });
  it('a line that leaves a quotation open goes on in the next, so a measure name cut there is whole', () => {
    const r = parseReport('文登区.txt', Buffer.from('（一）创新监管方式。在市场监管等领域推行“双随机、一\n公开”抽查机制，全年抽查企业560家。\n（二）加强行政复议工作。\n'));
    expect(texts(r)[0]).toBe('（一）创新监管方式。在市场监管等领域推行“双随机、一公开”抽查机制，全年抽查企业560家。');
  });
  it('a one-line item before an item with a body is text too; a table of contents is text of no section', () => {
    const head = '某区2021年法治政府建设情况报告\n2021年，我区坚持以习近平法治思想为指导，全面推进依法行政。\n';
    const mixed = parseReport('mixed.txt', Buffer.from(`${head}一、主要成效\n（一）推进“双随机、一公开”监管全覆盖。\n（二）深化领导干部述法。全年组织46名部门主要负责人述法。\n`));
    expect(mixed.passages.map((p) => [p.text, p.section, p.headingPath])).toContainEqual(['（一）推进“双随机、一公开”监管全覆盖。', '成效', ['一、主要成效']]);
    const toc = parseReport('toc.txt', Buffer.from(`${head}一、主要成效\n二、存在问题\n一、主要成效\n全年办理行政复议案件120件。\n二、存在问题\n基层执法力量薄弱。\n`));
    expect(toc.passages.map((p) => [p.text, p.section])).toContainEqual(['一、主要成效二、存在问题', '其他']);
  });
  it('a title with a mistyped quote and an addressee line with a comma stay lead lines', () => {
    const r = parseReport('b.txt', Buffer.from('关于深化“放管服“改革推进法治政府建设情况的报告\n区委，区人大常委会：\n2021年，我市坚持以习近平法治思想为指导，全面推进依法行政。\n'));
    expect(r.meta.title).toBe('关于深化“放管服“改革推进法治政府建设情况的报告');
    expect(texts(r)).toEqual(['2021年，我市坚持以习近平法治思想为指导，全面推进依法行政。']);
    // A short opening sentence ending with a colon is text, not an addressee.
    const opening = parseReport('c.txt', Buffer.from('某区2021年法治政府建设情况报告\n一年来，主要做了以下工作：\n（一）推进依法行政；\n（二）加强执法监督。\n'));
    expect(texts(opening).join('')).toContain('一年来，主要做了以下工作：');
  });
  it('a passage the report repeats word for word is kept once; ordinals run on without gaps', () => {
    const practice = '全面推行“双随机、一公开”监管，全年开展联合抽查12次，抽查企业300家。';
    const r = parseReport('twice.txt', Buffer.from(`某区2023年法治政府建设情况报告\n${practice}\n党政主要负责人年终述法。\n${practice}\n${practice.replace('12', '１２')}\n`));
    expect(texts(r)).toEqual([practice, '党政主要负责人年终述法。']);
    expect(r.passages.map((p) => p.ordinal)).toEqual([0, 1]);
    // A file of one phrase repeated, cut at the passage cap into identical pieces, is one passage and its tail.
    expect(parseReport('spam.txt', Buffer.from('法治'.repeat(30_000))).passages.length).toBeLessThanOrEqual(2);
    // The same sentence under another heading is kept there too: a search of that section finds it.
    const twoSections = parseReport('two.txt', Buffer.from(`某区报告\n一、主要成效\n${practice}\n二、下一步工作安排\n${practice}\n`));
    expect(twoSections.passages.map((p) => p.section)).toEqual(['成效', '安排']);
  });
  it.each(['000', '001', '002', '003', '004'])('seed %s: every paragraph after the title lines is in a passage or a passage\'s heading path', (prefix) => {
    const r = seed(prefix);
    const text = normalizeForMatch(texts(r).join(''));
    const headings = new Set(r.passages.flatMap((p) => p.headingPath));
    const paragraphs = cleanReport(seedBytes(prefix).toString('utf8')).text.split('\n');
    const firstSentence = paragraphs.findIndex((p) => /[。！？]/.test(p));
    for (const p of paragraphs.slice(firstSentence)) expect(headings.has(p) || text.includes(normalizeForMatch(p)), p).toBe(true);
  });
});

describe('segmentation', () => {
  it('keeps measure names whole and numbers as one token', () => {
    const { tokens } = segmentForIndex('推行“双随机、一公开”信用监管，覆盖抽查事项100项，组织46个单位的负责人述法，坚持新时代“枫桥经验”。');
    expect(tokens).toContain('双随机一公开');
    expect(tokens).toContain('述法');
    expect(tokens).toContain('枫桥经验');
    expect(tokens).toContain('100');
    expect(tokens).not.toContain('0');
    expect(tokens).not.toContain('的');
    expect(tokens).not.toContain('，');
  });
  it('segmentForModel keeps everything, space-joined, with the same whole words', () => {
    const text = '推行“双随机、一公开”信用监管，覆盖抽查事项100项。';
    const model = segmentForModel(text);
    expect(model.split(' ')).toContain('双随机、一公开');
    expect(model.split(' ')).toContain('100');
    expect(model.replace(/ /g, '')).toBe(text);
  });
  it('matches the unpunctuated spelling of a punctuated measure name', () => {
    expect(segmentForIndex('双随机一公开').tokens).toContain('双随机一公开');
    expect(segmentForIndex('深化放、管、服改革').tokens).toContain('放管服');
  });
  it('indexes a measure whole and as its parts; a query keeps it whole (max_word at index, smart at query)', () => {
    const indexed = segmentForIndex('推行“双随机、一公开”信用监管，全面推行行政执法“三项制度”');
    expect(indexed.tokens).toEqual(expect.arrayContaining(['双随机一公开', '行政执法三项制度']));
    expect(indexed.parts).toEqual(expect.arrayContaining(['双随机', '公开', '行政执法', '三项制度']));
    // A query keeps the whole word first; its parts follow, to weigh less.
    expect(segmentForQuery('双随机')).toEqual(['双随机', '随机']);
    expect(segmentForQuery('行政执法三项制度')[0]).toBe('行政执法三项制度');
  });
  it('spells punctuation, width and numbering variants of a name the same at index and query', () => {
    // Equal index segmentations; a query is built from the same one (segmentForQuery).
    const same = (a: string, b: string) => expect(segmentForIndex(a), `${a} vs ${b}`).toEqual(segmentForIndex(b));
    same('双随机一公开', '“双随机、一公开”');
    same('双随机,一公开', '“双随机、一公开”');
    same('免罚轻罚清单', '“免罚、轻罚”清单');
    same('巡察 复议 执法监督', '“巡察+复议+执法监督”');
    same('１＋１＋Ｎ联企服务机制', '“1+1+N”联企服务机制');
    same('ＡＩ＋人工', 'AI+人工');
    same('行政执法3项制度', '行政执法“三项制度”');
    same('县乡2级执法监督体系', '县乡两级执法监督体系');
    same('3问2送1促', '“三问两送一促”');
    same('最多跑1次', '“最多跑一次”');
    same('八五普法', '“八五”普法');
    // Real numbers stay numbers.
    expect(segmentForQuery('2023年办理12.5件')).toEqual(expect.arrayContaining(['2023', '12.5']));
  });
});

describe('normalizeForMatch', () => {
  it('folds width, list punctuation, spacing and case', () => {
    expect(normalizeForMatch('ＡＢＣ，１２３、 4 个  ')).toBe('abc,123,4个');
  });
});

describe('cleanReport', () => {
  it('does not join a title line onto the body', () => {
    const { text } = cleanReport('威海市环翠区人民政府\n\n关于2023年法治政府建设情况的报告\n2023年，环翠区坚持…。');
    expect(text.split('\n')).toHaveLength(3);
  });

  // Shapes copied from the Wikisource records of ../shared/corpora/government_work_reports.jsonl.
  it('joins the lines web markup breaks around a link back into their sentence', () => {
    const { text } = cleanReport(
      '大会听取和审议了国务院总理所作的\n政府工作报告\n。会议决定批准这个报告。\n\n今年是我国与\n印度\n、缅甸共同倡议和平共处五项原则三十周年。\n认真实施《\n中国教育改革和发展纲要\n》，切实抓好基础教育。',
    );
    expect(text.split('\n')).toEqual([
      '大会听取和审议了国务院总理所作的政府工作报告。会议决定批准这个报告。',
      '今年是我国与印度、缅甸共同倡议和平共处五项原则三十周年。',
      '认真实施《中国教育改革和发展纲要》，切实抓好基础教育。',
    ]);
  });

  it('joins a line that starts with a closing mark, but not a short line onto a title', () => {
    expect(cleanReport('他指出：“必须依法行政。\n”这一要求已经落实。').text).toBe('他指出：“必须依法行政。”这一要求已经落实。');
    expect(cleanReport('某区2023年法治政府建设情况报告\n印度\n一、主要工作。').text.split('\n')).toHaveLength(3);
  });

  it('reads a line of zero-width spaces between two lines as a soft break, and as blank where blank lines surround it', () => {
    const { text } = cleanReport('\u200b\n\n要全面深化各领域改\n\u200b\n革，增强内生发展动力。\n\u200b\n经济增速是综合性指标，今年预期目标设定\n\u200b\n为6%以上。\n\u200b\n');
    expect(text.split('\n')).toEqual(['要全面深化各领域改革，增强内生发展动力。', '经济增速是综合性指标，今年预期目标设定为6%以上。']);
    expect(cleanReport('# 最高人民法院关于知识产权法庭若干问题的规定\n\n\u200b\n\n最高人民法院\n\n为进一步统一裁判标准，制定本规定。').text.split('\n')).toHaveLength(3);
  });

  it('joins a numbering marker standing alone onto the line after it, and the list stays one passage with its introduction', () => {
    const raw = '“七五”期间调整投资结构的方向是：\n一、\n继续增加能源、交通等基础工业的投资；\n二、\n适当控制非生产性建设投资的增长。\n\n　　\n二是\n按照加入世贸组织的承诺，有步骤地扩大对外开放领域。';
    expect(cleanReport(raw).text.split('\n')).toEqual([
      '“七五”期间调整投资结构的方向是：',
      '一、继续增加能源、交通等基础工业的投资；',
      '二、适当控制非生产性建设投资的增长。',
      '二是按照加入世贸组织的承诺，有步骤地扩大对外开放领域。',
    ]);
    expect(parseReport('gwr.txt', Buffer.from(`政府工作报告\n各位代表：\n今年要合理调整投资结构。\n${raw}`)).passages.map((p) => p.text)).toEqual([
      '今年要合理调整投资结构。',
      '“七五”期间调整投资结构的方向是：一、继续增加能源、交通等基础工业的投资；二、适当控制非生产性建设投资的增长。',
      '二是按照加入世贸组织的承诺，有步骤地扩大对外开放领域。',
    ]);
  });

  it('drops the source site\'s licence footer and its flags', () => {
    const report = '政府工作报告\n\n各位代表：\n依法行政取得新进展。\n\n本作品是中华人民共和国的\n法律\n、\n法规\n，及其官方正式译文。根据《\n中华人民共和国著作权法\n》第五条第一项，属于\n公有领域\n。\n\n注：中文维基文库社群认为，中华人民共和国公务演讲，\n不总是\n具有立法性质的文件。\n\nPublic domain\nPublic domain\nfalse\nfalse';
    expect(cleanReport(report).text.split('\n')).toEqual(['政府工作报告', '各位代表：', '依法行政取得新进展。']);
  });
});

describe('jurisdiction', () => {
  it('leaves an ambiguous bare county unknown unless the body names its city', () => {
    expect(detectJurisdiction('朝阳区人民政府', '').code).toBeNull();
    expect(detectJurisdiction('朝阳区人民政府', '长春市委').code).toBe('220104');
    expect(detectJurisdiction('**市**区人民政府', '').code).toBeNull();
  });
  it('resolveRegion accepts full and short names, [] for unknown', () => {
    const shandong = { name: '山东省', code: '370000', province: '山东省', city: null };
    expect(resolveRegion('province', '山东')).toEqual([shandong]);
    expect(resolveRegion('province', '山东省')).toEqual([shandong]);
    expect(resolveRegion('city', '威海')).toEqual([{ name: '威海市', code: '371000', province: '山东省', city: '威海市' }]);
    const huancui = { name: '环翠区', code: '371002', province: '山东省', city: '威海市' };
    expect(resolveRegion('county', '环翠')).toEqual([huancui]);
    expect(resolveRegion('county', '环翠区')).toEqual([huancui]);
    expect(resolveRegion('province', '广西')).toEqual([{ name: '广西壮族自治区', code: '450000', province: '广西壮族自治区', city: null }]);
    expect(resolveRegion('city', '北京')).toEqual([{ name: '北京市', code: '110000', province: '北京市', city: '北京市' }]);
    expect(resolveRegion('county', '朝阳').length).toBe(3);
    expect(resolveRegion('city', '不存在')).toEqual([]);
  });

  it('a county renamed in 2021, which the table lists under both names, is one place: the current one', () => {
    const yanshi = { name: '偃师区', code: '410307', province: '河南省', city: '洛阳市' };
    expect(resolveRegion('county', '偃师')).toEqual([yanshi]);
    expect(resolveRegion('county', '偃师区')).toEqual([yanshi]);
    expect(resolveRegion('county', '偃师市')).toEqual([{ ...yanshi, formerly: '偃师市' }]);
    expect(detectJurisdiction('偃师市人民政府关于2020年法治政府建设情况的报告', '').code).toBe('410307');
    expect(resolveRegion('county', '孟津').map((r) => r.name)).toEqual(['孟津区']);
    // Two places sharing a stem stay two.
    expect(resolveRegion('county', '临夏').map((r) => r.name).sort()).toEqual(['临夏县', '临夏市']);
  });

  it('resolveRegion takes a county\'s former name when its successor kept the stem, and only then', () => {
    expect(resolveRegion('county', '陕县')).toEqual([{ name: '陕州区', code: '411203', province: '河南省', city: '三门峡市', formerly: '陕县' }]);
    expect(resolveRegion('county', '萧山市')).toEqual([{ name: '萧山区', code: '330109', province: '浙江省', city: '杭州市', formerly: '萧山市' }]);
    // A current name is never read as a former one; 吴县 was split in two; 长安区 exists twice.
    expect(resolveRegion('county', '宁陕县').map((r) => r.name)).toEqual(['宁陕县']);
    expect(resolveRegion('county', '吴县')).toEqual([]);
    expect(resolveRegion('county', '长安县')).toEqual([]);
  });
});

describe('input decoding', () => {
  it.each(['000', '003'])('a GBK-encoded copy of seed %s parses identically to the UTF-8 one', (prefix) => {
    const utf8 = seed(prefix);
    const gbk = parseReport(`corpus/${seedFile(prefix)}`, iconv.encode(seedBytes(prefix).toString('utf8'), 'gbk'));
    expect(gbk.encoding).toBe('GB18030');
    expect(gbk.meta).toEqual(utf8.meta);
    expect(gbk.passages).toEqual(utf8.passages);
  });
  it('accepts .md and a UTF-8 BOM', () => {
    const r = parseReport('r.md', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# 某区报告\n\n**一、工作开展情况**\n\n（一）测试。开展测试工作。')]));
    expect(r.passages[0]!.section).toBe('成效');
    expect(SUPPORTED_EXTENSIONS).toEqual(['.txt', '.md', '.html', '.htm', '.shtml', '.docx', '.pdf']);
  });
  const bad: [string, string, Buffer, RegExp][] = [
    ['empty', 'empty.txt', Buffer.alloc(0), /empty/],
    ['whitespace only', 'blank.txt', Buffer.from(' \n\u3000\n\t'), /empty/],
    ['binary', 'image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]), /binary/],
    ['unsupported extension', 'report.pdf', Buffer.from('%PDF-1.7 法治政府建设报告'), /unsupported.*\.pdf/],
    ['oversize', 'huge.txt', Buffer.alloc(MAX_REPORT_BYTES + 1, 0x41), /limit/],
    ['undecodable', 'latin1.txt', Buffer.from('Café crème brûlée à la carte, naïve façade', 'latin1'), /cannot decode/],
    // Decodes as text but makes no passage: told by what the file holds, not as page chrome.
    ['title only', 'hello.txt', Buffer.from('hello world\n'), /^hello\.txt: no report text: only a title or headings, no paragraph to index \(too short, or not a report\)$/],
    ['control bytes below the binary share', 'control.txt', Buffer.from('abc\u0001def ghi jkl mno pqr stu vwx'), /^control\.txt: file looks binary \(control bytes\), not a text report$/],
    ['page chrome only', 'nav.txt', Buffer.from('当前位置：首页\n打印本页\n'), /^nav\.txt: no report text left after removing page chrome/],
  ];
  it.each(bad)('rejects %s input with an InputError naming the file', (_, file, bytes, message) => {
    let error: unknown;
    try {
      parseReport(file, bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).subject).toBe(file);
    expect((error as InputError).message).toContain(file);
    expect((error as InputError).message).toMatch(message);
  });
});
