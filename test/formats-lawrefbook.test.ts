import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { provinceOfFolder, resolveRegion } from '../pipeline/detectJurisdiction.ts';
import { InputError } from '../pipeline/errors.ts';
import { parseDocument, parseReport } from '../pipeline/parseReport.ts';

// Laws and regulations are not reports, but they share the index and its filters: their title, date,
// year and jurisdiction come from the markdown header, the file name and the local-regulation folder.
const LAWREFBOOK = path.join(import.meta.dirname, '..', '..', 'shared', 'corpora', 'lawrefbook');
const haveLawrefbook = fs.existsSync(LAWREFBOOK);
if (!haveLawrefbook) console.warn(`skipping lawrefbook tests: ${LAWREFBOOK} is absent`);

const SHANDONG_LAW = `---
weight: 3
---
# 威海市海岸带保护条例

2017年8月25日 威海市第十七届人民代表大会常务委员会第四次会议通过，2017年9月30日山东省人民代表大会常务委员会批准

2023年12月29日 施行

<!-- INFO END -->

第一条 为了加强海岸带保护，规范海岸带开发利用活动，制定本条例。

第二条 本市行政区域内海岸带的规划、保护、利用和管理，适用本条例。
`;

describe('law headers and file names', () => {
  const law = parseReport('laws/山东地方法规/地方性法规/山东/威海市海岸带保护条例(2017-09-30).md', Buffer.from(SHANDONG_LAW));
  it('drops front matter and the INFO block, keeps its history out of the passages', () => {
    expect(law.passages.map((p) => p.text)).toEqual([
      '第一条 为了加强海岸带保护，规范海岸带开发利用活动，制定本条例。',
      '第二条 本市行政区域内海岸带的规划、保护、利用和管理，适用本条例。',
    ]);
  });
  it('dates the law by its file name, takes the enacting body and the jurisdiction from folder and title', () => {
    expect(law.meta).toMatchObject({
      title: '威海市海岸带保护条例',
      year: 2017,
      publishedAt: '2017-09-30',
      issuer: '威海市人民代表大会常务委员会',
      jurisdiction: { province: '山东省', city: '威海市', county: null, code: '371000' },
    });
  });
  it('without a header: title and date from the file name, year from the date', () => {
    const r = parseReport('downloads/某市物业管理办法(2021-05-01).txt', Buffer.from('第一条 为了规范物业管理活动，制定本办法。\n第二条 本办法自2021年7月1日起施行。'));
    expect(r.meta).toMatchObject({ title: '某市物业管理办法', publishedAt: '2021-05-01', year: 2021 });
  });
  it('keeps a report dated by its reported year, not by a date in its file name', () => {
    const r = parseReport('某区法治政府建设情况报告(2024-01-18).txt', Buffer.from('某区法治政府建设情况报告\n一、主要成效\n（一）推进依法行政。开展执法监督。'));
    expect(r.meta.publishedAt).toBe('2024-01-18');
    expect(r.meta.year).toBeNull();
  });
  it('a law whose articles follow a long history line is not run together with it', () => {
    const text = '# 某条例\n\n2010年7月23日 重庆市第三届人民代表大会常务委员会第十八次会议《关于修改部分地方性法规的决定》第一次修正\n\n第一条 为了规范管理，制定本条例。';
    const noMarker = parseReport('x.md', Buffer.from(text));
    expect(noMarker.passages.at(-1)!.text).toBe('第一条 为了规范管理，制定本条例。');
  });
  it('a long title heading stays whole: not run together with the addressee or preamble after it', () => {
    const title = '最高人民法院关于知识产权侵权诉讼中被告以原告滥用权利为由请求赔偿合理开支问题的批复';
    const reply = parseReport('司法解释/批复.md', Buffer.from(`# ${title}\n\n法释〔2021〕11号\n\n2021年6月3日 施行\n\n<!-- INFO END -->\n\n上海市高级人民法院：\n\n你院《关于知识产权侵权诉讼中被告以原告滥用权利为由请求赔偿合理开支问题的请示》收悉。经研究，批复如下：\n\n在知识产权侵权诉讼中，人民法院依法予以支持。`));
    expect(reply.meta.title).toBe(title);
    expect(reply.meta.kind).toBe('法律法规');
    const interpretation = '最高人民法院、最高人民检察院关于办理侵犯公民个人信息刑事案件适用法律若干问题的解释';
    const preamble = '为依法惩治侵犯公民个人信息犯罪活动，保护公民个人信息安全和合法权益，根据《中华人民共和国刑法》的有关规定，现就办理此类刑事案件适用法律的若干问题解释如下：';
    const r = parseReport('司法解释/解释(2017-05-08).md', Buffer.from(`# ${interpretation}\n\n<!-- INFO END -->\n\n${preamble}\n\n第一条 刑法第二百五十三条之一规定的“公民个人信息”，是指……。`));
    expect(r.meta.title).toBe(interpretation);
    expect(r.passages.some((p) => p.text.includes(interpretation))).toBe(false);
    expect(r.passages.some((p) => p.text.startsWith('为依法惩治侵犯公民个人信息犯罪活动'))).toBe(true);
    // A heading cut after a clause mark is still one heading.
    const cut = parseReport('国际刑事司法协助法.md', Buffer.from('# 中华人民共和国国际刑事司法协助法\n\n<!-- INFO END -->\n\n## 第六章 没收、返还违法所得\n\n### 第二节 向中华人民共和国请求没收、\n\n返还违法所得及其他涉案财物\n\n第五十五条 外国可以请求中华人民共和国协助没收。'));
    expect(cut.passages.map((p) => p.text)).toContain('第二节 向中华人民共和国请求没收、返还违法所得及其他涉案财物');
  });
  it('provinceOfFolder reads local-regulation folders only', () => {
    expect(provinceOfFolder('/data/lawrefbook/DLC/河南地方法规/地方性法规/河南/x.md')).toBe('河南省');
    expect(provinceOfFolder('/data/lawrefbook/DLC/上海地方法规/x.md')).toBe('上海市');
    expect(provinceOfFolder('/data/lawrefbook/行政法/教师法(2009-08-27).md')).toBeNull();
    expect(provinceOfFolder('corpus/000_58c1e1fb0637adbd.txt')).toBeNull();
  });
});

describe.skipIf(!haveLawrefbook)('lawrefbook files', () => {
  const read = (rel: string) => {
    const source = path.join(LAWREFBOOK, rel);
    return parseDocument(source, fs.readFileSync(source));
  };
  it('a provincial regulation: 山东省, dated, its INFO block gone', async () => {
    const r = await read('DLC/山东地方法规/地方性法规/山东/山东省法治宣传教育条例(2017-09-30).md');
    expect(r.meta).toEqual({
      title: '山东省法治宣传教育条例',
      year: 2017,
      publishedAt: '2017-09-30',
      issuer: '山东省人民代表大会常务委员会',
      docNumber: null,
      jurisdiction: { province: '山东省', city: null, county: null, code: '370000' },
      kind: '法律法规',
    });
    expect(r.passages[0]!.text.startsWith('第一条 为了加强法治宣传教育')).toBe(true);
    expect(r.passages.some((p) => /INFO END|<!--|第三十二次会议通过/.test(p.text))).toBe(false);
  });
  it('a city regulation: 济南市 under 山东省, matching the CLI filter values', async () => {
    const r = await read('DLC/山东地方法规/地方性法规/山东/济南市优化营商环境条例(2022-01-21).md');
    expect(r.meta.jurisdiction).toEqual({ province: '山东省', city: '济南市', county: null, code: '370100' });
    expect(r.meta.jurisdiction.province).toBe(resolveRegion('province', '山东')[0]!.name);
    expect(r.meta.jurisdiction.city).toBe(resolveRegion('city', '济南')[0]!.name);
    expect(r.meta.year).toBe(2022);
    expect(r.passages[0]!.headingPath[0]).toMatch(/^第一章\s*总则$/);
  });
  it('no date in the file name: the date the text says it takes effect', async () => {
    const r = await read('DLC/上海地方法规/地方性法规/上海/上海市鼓励引进技术的吸收与创新规定.md');
    expect(r.meta).toMatchObject({ title: '上海市鼓励引进技术的吸收与创新规定', publishedAt: '2000-03-01', year: 2000 });
    expect(r.meta.jurisdiction.province).toBe('上海市');
  });
  it('a national law: no local jurisdiction, enacted by the NPC Standing Committee', async () => {
    const r = await read('行政法/教师法(2009-08-27).md');
    expect(r.meta).toMatchObject({ title: '中华人民共和国教师法', year: 2009, publishedAt: '2009-08-27', issuer: '全国人民代表大会常务委员会' });
    expect(r.meta.jurisdiction).toEqual({ province: null, city: null, county: null, code: null });
  });
  it('a section index file of front matter only is an InputError naming it', async () => {
    const source = path.join(LAWREFBOOK, 'DLC/山东地方法规/地方性法规/山东/_index.md');
    const error = await parseDocument(source, fs.readFileSync(source)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(source);
  });
});
