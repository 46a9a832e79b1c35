import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../pipeline/parseReport.ts';
import type { DocumentKind } from '../pipeline/types.ts';

const CORPUS = path.join(import.meta.dirname, '..', 'corpus');
const CORPORA = process.env.FAZHI_CORPORA ?? path.join(import.meta.dirname, '..', '..', 'shared', 'corpora');

function kindOf(name: string, text: string): DocumentKind {
  return parseReport(name, Buffer.from(text)).meta.kind;
}

describe('document kind at ingest', () => {
  it('classifies the five sample reports as annual rule-of-law reports', () => {
    for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.txt'))) {
      expect(parseReport(file, readFileSync(path.join(CORPUS, file))).meta.kind, file).toBe('法治政府建设年度报告');
    }
  });

  it('tells laws, other government reports and other documents apart by title and structure', () => {
    const law = '第一条 为了规范供热，制定本条例。\n\n第二条 本省行政区域内的供热活动适用本条例。\n\n第三条 供热应当遵循安全、稳定的原则。\n\n第四条 县级以上人民政府应当加强领导。';
    expect(kindOf('山东省供热条例(2021-12-03).md', `# 山东省供热条例\n\n${law}`)).toBe('法律法规');
    expect(kindOf('中华人民共和国民法典.md', `# 中华人民共和国民法典\n\n第一编 总则\n\n${law}`)).toBe('法律法规');
    expect(kindOf('批复.md', '最高人民法院关于新民间借贷司法解释适用范围问题的批复\n\n广东省高级人民法院：你院关于新民间借贷司法解释适用范围问题的请示收悉。经研究，批复如下：本批复自公布之日起施行。'.repeat(2))).toBe('法律法规');
    // No law word in the title: the articles decide.
    expect(kindOf('某文件.txt', `关于供热的若干要求\n\n${law}`)).toBe('法律法规');
    const body = '各位代表：\n\n现在，我代表市人民政府，向大会报告政府工作，请予审议。\n\n一、过去一年工作回顾\n\n过去一年，全市经济运行稳中有进，城乡居民收入稳步增长，各项社会事业全面发展，民生保障水平持续提高。';
    expect(kindOf('gwr.txt', `2023年威海市政府工作报告\n\n${body}`)).toBe('政府报告');
    expect(kindOf('notice.txt', `关于举办读书活动的通知\n\n${body.replace('政府工作', '读书活动')}`)).toBe('其他');
    // A resolution approving the government work report is not itself a report.
    expect(kindOf('resolution.txt', `第十四届全国人民代表大会第二次会议关于政府工作报告的决议\n\n${body}`)).not.toBe('政府报告');
  });

  it('counts the acts of legislatures, the State Council and the supreme court among laws, not notices that forward', () => {
    const items = '为了加强监督，根据宪法和法律的有关规定，结合本省实际，作如下规定：\n\n各级人民代表大会常务委员会要依法加强对审判机关和检察机关工作的监督，保证法律的正确实施。';
    const kind = (title: string) => kindOf(`${title}.md`, `# ${title}\n\n${items}`);
    expect(kind('河南省人民代表大会常务委员会关于加强对司法工作监督的决议')).toBe('法律法规');
    expect(kind('河南省第六届人民代表大会关于进一步开展全民义务植树运动的决议')).toBe('法律法规');
    expect(kind('国务院关于在我国统一实行法定计量单位的命令')).toBe('法律法规');
    expect(kind('最高人民法院关于内地与香港特别行政区相互执行仲裁裁决的补充安排')).toBe('法律法规');
    expect(kind('最高人民法院关于审理名誉权案件若干问题的解答(1993-08-07)')).toBe('法律法规');
    expect(kind('第十四届全国人民代表大会第二次会议关于政府工作报告的决议')).toBe('其他');
    expect(kind('国务院办公厅关于印发全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见的通知')).toBe('其他');
    expect(kind('某县司法局关于开展法治宣传活动的通知')).toBe('其他');
  });
});

describe.skipIf(!existsSync(CORPORA))('document kind on the shared corpora', () => {
  it('classifies LawRefBook files as laws and State Council work reports as government reports', () => {
    const lawDir = path.join(CORPORA, 'lawrefbook', 'DLC', '山东地方法规');
    const laws = readdirSync(lawDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md') && !f.endsWith('_index.md')).sort().slice(0, 40);
    expect(laws.length).toBeGreaterThan(0);
    for (const file of laws) expect(parseReport(file, readFileSync(path.join(lawDir, file))).meta.kind, file).toBe('法律法规');

    const records = readFileSync(path.join(CORPORA, 'government_work_reports.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { title: string; content: string })
      .filter((r) => r.title.endsWith('政府工作报告'))
      .slice(0, 10);
    expect(records.length).toBe(10);
    for (const r of records) expect(kindOf(`${r.title}.txt`, `${r.title}\n\n${r.content}`), r.title).toBe('政府报告');
  });
});
