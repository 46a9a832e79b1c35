// Reports as they arrive in spring, not as the five samples are written: titles over two lines,
// years in other digits, page numbers and running headers, hard-wrapped text, appendix tables.
import { describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import type { ParsedReport } from '../pipeline/types.ts';

// The body every report below shares: the four parts of the template, one paragraph each.
const BODY = [
  '一、2023年推进法治政府建设的主要举措和成效',
  '（一）健全依法决策机制。严格落实重大行政决策程序规定，公布年度重大行政决策事项目录，全年完成合法性审查事项126件。',
  '二、党政主要负责人履行推进法治建设第一责任人职责情况',
  '主要负责同志带头学法用法，年终述法实现全覆盖，常务会议会前学法12次。',
  '三、存在的不足和原因',
  '一是法治队伍专业化水平有待提高，基层执法人员法律素养参差不齐。',
  '四、2024年推进法治政府建设的主要安排',
  '（一）持续提升依法行政能力。组织领导干部旁听庭审，开展行政执法人员全员轮训。',
];
const OPENING = '2023年，全县坚持以习近平法治思想为指导，扎实推进法治政府建设，各项工作取得明显成效。';

const parse = (lines: readonly string[], file = 'report.txt'): ParsedReport => parseReport(file, Buffer.from(lines.join('\n')));
const allText = (r: ParsedReport) => r.passages.map((p) => p.text).join('\n');

describe('metadata of reports as they arrive', () => {
  it('a county named alone in the title is that county, found in the title and again as a lead line', () => {
    const { jurisdiction } = parse(['平邑县2023年度法治政府建设工作报告', OPENING, ...BODY]).meta;
    expect(jurisdiction).toEqual({ province: '山东省', city: '临沂市', county: '平邑县', code: '371326' });
  });

  it("a development zone or new area is its city's or province's, named by their short names", () => {
    const place = (title: string) => {
      const { province, city, county } = parse([title, OPENING, ...BODY]).meta.jurisdiction;
      return [province, city, county];
    };
    expect(place('成都高新区2023年法治政府建设年度报告')).toEqual(['四川省', '成都市', null]);
    expect(place('青岛西海岸新区管委会关于2023年法治政府建设情况的报告')).toEqual(['山东省', '青岛市', null]);
    expect(place('河北雄安新区2023年法治政府建设情况报告')).toEqual(['河北省', null, null]);
    expect(place('两江新区2023年法治政府建设年度报告')).toEqual(['重庆市', '重庆市', null]);
    // A province's short name is the province's, though a city shares it (海南藏族自治州).
    expect(place('海南自由贸易试验区2023年法治政府建设年度报告')).toEqual(['海南省', null, null]);
    expect(place('某开发区2023年法治政府建设年度报告')).toEqual([null, null, null]);
  });

  it('a title broken over two lines is one title, and its kind is read from all of it', () => {
    const split = parse(['威海市文登区人民政府关于2023年法治政府建设', '情况的报告', OPENING, ...BODY]).meta;
    expect(split.title).toBe('威海市文登区人民政府关于2023年法治政府建设情况的报告');
    expect(split.kind).toBe('法治政府建设年度报告');
    expect(split.jurisdiction.county).toBe('文登区');
    expect(parse(['临沭县人民政府关于2023年度', '法治政府建设工作情况的报告', OPENING, ...BODY]).meta.title).toBe('临沭县人民政府关于2023年度法治政府建设工作情况的报告');
    // An issuer line before a title is not part of it; a body in 行政公署 or 管委会 issues it.
    expect(parse(['锡林郭勒盟行政公署', '关于2023年法治政府建设情况的报告', OPENING, ...BODY]).meta.title).toBe('锡林郭勒盟行政公署关于2023年法治政府建设情况的报告');
    expect(parse(['郑州经济技术开发区管委会', '关于2023年法治政府建设情况的报告', OPENING, ...BODY]).meta.issuer).toBe('郑州经济技术开发区管委会');
  });

  it('reads the year in full-width or character digits, from 2023年以来 and from the words of the template', () => {
    const year = (lines: string[]) => parse(lines).meta.year;
    expect(year(['沂水县人民政府', '关于二〇二三年法治政府建设情况的报告', '今年以来，全县扎实推进法治政府建设。', ...BODY])).toBe(2023);
    expect(year(['兰陵县２０２３年法治政府建设年度报告', '２０２２年，全县扎实推进法治政府建设。', ...BODY])).toBe(2022);
    expect(year(['长阳土家族自治县人民政府关于法治政府建设情况的报告', '2021年以来，全县深入贯彻习近平法治思想。', ...BODY])).toBe(2021);
    expect(year(['沂南县人民政府关于法治政府建设情况的报告', '按照上级要求，现将我县2022年度法治政府建设情况报告如下：', ...BODY])).toBe(2022);
    expect(year(['沂南县人民政府关于法治政府建设情况的报告', '今年以来，全县扎实推进法治政府建设。', ...BODY])).toBe(2023);
    // "Since" may look back further than the year a title names.
    expect(year(['莒县2023年法治政府建设年度报告', '2021年以来，全县深入贯彻习近平法治思想。', ...BODY])).toBe(2023);
    // A year in characters opening a paragraph of other documents is history, not their year.
    expect(year(['中华人民共和国宪法', '一九四九年，中国人民取得了新民主主义革命的伟大胜利。', '第一条 中华人民共和国是社会主义国家。'])).toBeNull();
  });
});

describe('page furniture and layout', () => {
  it('drops page numbers and running headers, and joins the sentence a page break cut', () => {
    const report = parse([
      '临沂市罗庄区2023年法治政府建设年度报告',
      OPENING,
      '一、2023年推进法治政府建设的主要举措和成效',
      '（一）健全依法决策机制。严格落实重大行政',
      '',
      '- 2 -',
      '',
      '决策程序规定，公布年度重大行政决策事项目录。',
      '— 3 —',
      '罗庄区人民政府文件',
      '（二）深化行政执法改革。全面推行行政执法公示制度。',
      '第5页 共8页',
      ...BODY.slice(2),
    ]);
    const text = allText(report);
    for (const furniture of ['- 2 -', '— 3 —', '人民政府文件', '第5页']) expect(text).not.toContain(furniture);
    // The 版头 heading the first page is a lead line: its issuer names the place.
    const letterhead = parse(['临沂市罗庄区人民政府文件', '罗政发〔2024〕1号', '关于2023年度法治政府建设情况的报告', OPENING, ...BODY]).meta;
    expect([letterhead.title, letterhead.jurisdiction.county]).toEqual(['关于2023年度法治政府建设情况的报告', '罗庄区']);
    // A page number among the lead lines joins none of them: only a break in the body does.
    expect(parse(['青岛市黄岛区人民政府文件', '第1页', '青岛市黄岛区2023年法治政府建设年度报告', OPENING, ...BODY]).meta.title).toBe('青岛市黄岛区2023年法治政府建设年度报告');
    expect(report.passages.find((p) => p.text.includes('严格落实重大行政'))!.text).toBe('（一）健全依法决策机制。严格落实重大行政决策程序规定，公布年度重大行政决策事项目录。');
  });

  it("a web article's source line in a text copy ends before the font-size widget", () => {
    expect(parse(['寿光市2023年度法治政府建设情况的报告', '发布日期：2024年1月30日　　信息来源：寿光市司法局　　【字体：大 中 小】', OPENING, ...BODY]).meta.issuer).toBe('寿光市司法局');
  });

  it("drops a web article's editor credits and link list", () => {
    const text = allText(parse(['诸城市2023年法治政府建设工作情况报告', OPENING, ...BODY, '（责任编辑：王某某）', '审核：李某', '相关链接：']));
    for (const credit of ['责任编辑', '审核：', '相关链接']) expect(text).not.toContain(credit);
    expect(text).toContain('开展行政执法人员全员轮训。');
  });

  it('rejoins text hard-wrapped at a page width shorter than 40 characters', () => {
    const wrapped = [
      '莒县2023年法治政府建设年度报告',
      '2023年，全县坚持以习近平新时代中国特色社会主义思想为指导',
      '，全面贯彻党的二十大精神，扎实推进法治政府建设。',
      '一、2023年推进法治政府建设的主要举措和成效',
      '（一）健全依法决策机制。严格落实重大行政决策程序规定，公布年',
      '度重大行政决策事项目录，全年完成合法性审查事项126件。',
      '（二）深化行政执法改革。全面推行行政执法公示、执法全过程记录',
      '、重大执法决定法制审核三项制度，组织联合抽查45次。',
      '（三）化解矛盾纠纷。坚持和发展新时代“枫桥经验”，推进人民调',
      '解、行政调解、司法调解三调联动，全年调解矛盾纠纷3200余件。',
      '二、党政主要负责人履行推进法治建设第一责任人职责情况',
      '主要负责同志带头学法用法，年终述法实现全覆盖，常务会议会前学',
      '法12次，专题研究法治政府建设工作4次。',
      '三、存在的不足和原因',
      '一是法治队伍专业化水平有待提高，基层执法人员法律素养参差不齐',
      '。二是行政复议纠错力度仍需加大。',
    ];
    const texts = parse(wrapped).passages.map((p) => p.text);
    expect(texts).toContain('（一）健全依法决策机制。严格落实重大行政决策程序规定，公布年度重大行政决策事项目录，全年完成合法性审查事项126件。');
    expect(texts).toContain('主要负责同志带头学法用法，年终述法实现全覆盖，常务会议会前学法12次，专题研究法治政府建设工作4次。');
    // Only lines of the wrap's width go on: a longer line without an ending mark stands apart, and so
    // does a title of about that width, read before any clause.
    const title = '威海市文登区人民政府关于2023年度法治政府建设工作情况的年度报告';
    const longer = '坚持和发展新时代枫桥经验推进矛盾纠纷多元化解工作机制不断完善取得实效';
    const mixed = parse([title, ...wrapped.slice(1, 10), longer, '全年调解矛盾纠纷3200余件。', ...wrapped.slice(10)]);
    expect(mixed.meta.title).toBe(title);
    expect(mixed.passages.map((p) => p.text)).toContain(longer);
  });

  it("keeps an appendix table's last cell, while a signature after the last sentence is still taken off", () => {
    const table = parse(['临沂市兰山区2023年法治政府建设年度报告', OPENING, ...BODY, '附件：', '2023年度行政执法主体名单', '序号', '执法主体', '1', '区公安局', '2', '区司法局']);
    expect(allText(table)).toContain('区司法局');
    const signed = parse(['临沂市兰山区2023年法治政府建设年度报告', OPENING, ...BODY, '中共临沂市兰山区委员会', '临沂市兰山区人民政府', '2024年1月17日']);
    expect(allText(signed)).not.toContain('兰山区人民政府');
    expect(signed.meta.publishedAt).toBe('2024-01-17');
    // 特此报告 closes a report, full stop or not.
    expect(allText(parse(['莒县2023年法治政府建设年度报告', OPENING, ...BODY, '特此报告', '莒县人民政府']))).not.toContain('莒县人民政府');
  });

  it('an appendix belongs to no part of the report, and a table flattened into lines is one passage', () => {
    const report = parse(['临沂市兰山区2023年法治政府建设年度报告', OPENING, ...BODY, '附件：', '2023年度行政执法主体名单', '序号', '执法主体', '1', '区公安局', '2', '区司法局']);
    const appendix = report.passages.filter((p) => p.headingPath[0] === '附件');
    expect(appendix.map((p) => [p.section, p.text])).toEqual([['其他', '2023年度行政执法主体名单 序号 执法主体 1 区公安局 2 区司法局']]);
    expect(report.passages.filter((p) => p.section === '安排').map((p) => p.text)).toEqual([BODY.at(-1)]);
    // Numbered parts of the appendix are its own, not the report's (安排).
    const numbered = parse(['某市2023年法治政府建设年度报告', OPENING, ...BODY, '附件１：', '2023年度重点工作任务清单', '一、2024年推进法治政府建设工作安排', '完善行政执法协调监督工作体系。']);
    expect(numbered.passages.at(-1)!).toMatchObject({ section: '其他', headingPath: ['附件', '一、2024年推进法治政府建设工作安排'] });
    // Two short lines are not a table; a line holding a clause is not a cell.
    const short = parse(['某市2023年法治政府建设年度报告', OPENING, ...BODY, '主要做法', '百花齐放', '的方针，推陈出新']).passages.map((p) => p.text);
    expect(short.slice(-3)).toEqual(['主要做法', '百花齐放', '的方针，推陈出新']);
  });

  it('full-width numbering is numbering', () => {
    const report = parse(['兰陵县2023年法治政府建设年度报告', OPENING, ...BODY.slice(0, 2), '１．规范涉企检查。建立涉企检查备案制度，实行“综合查一次”。', '（２）推行柔性执法。制定轻微违法行为免罚清单。', ...BODY.slice(2)]);
    expect(report.passages.find((p) => p.text.startsWith('１．'))!.headingPath.at(-1)).toBe('１．规范涉企检查。');
    expect(report.passages.find((p) => p.text.startsWith('（２）'))!.headingPath.at(-1)).toBe('（２）推行柔性执法。');
  });

  it('a line of marks only is no passage: it opens the line after it', () => {
    const texts = parse(['某区2023年法治政府建设年度报告', OPENING, ...BODY, '——', '法治宣传教育深入开展，群众法治意识明显增强。', "'", '粗体文字']).passages.map((p) => p.text);
    expect(texts).toContain('——法治宣传教育深入开展，群众法治意识明显增强。');
    expect(texts.filter((t) => !/[\p{L}\p{N}]/u.test(t))).toEqual([]);
    expect(texts).not.toContain('粗体文字');
  });

  it('asterisks that mask a number or a name are text, not emphasis', () => {
    expect(allText(parse(['某区2023年法治政府建设年度报告', '2023年，全区依法化解行政争议，调解行政纠纷***件。**区行政争议调解中心运行良好。', ...BODY]))).toContain('调解行政纠纷***件。**区行政争议调解中心');
  });
});
