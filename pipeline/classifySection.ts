import type { SectionKind } from './types.ts';

// Keyword cues per standard part, as the parts are titled in practice (the 2019 《法治政府建设与责任落实
// 督察工作规定》 prescribes the four parts but not their wording): "主要举措和成效" / "工作开展情况" /
// "工作推进情况"; "存在的不足和原因" / "存在问题"; "…第一责任人职责…"; "主要安排" / "下一步工作打算" / "工作思路".
const CUES: readonly [Exclude<SectionKind, '其他'>, RegExp][] = [
  ['职责', /第一责任人|主要负责人.{0,12}职责|履行.{0,12}法治建设.{0,6}职责/],
  ['不足', /不足|存在(?:的)?问题|问题(?:和|及|与)原因|短板|差距|薄弱环节/],
  ['安排', /安排|打算|下步|下一步|下一年|工作思路|工作计划|努力方向|展望/],
  ['成效', /举措|成效|成绩|开展情况|推进情况|工作情况|进展情况|主要工作|主要做法|工作开展|落实情况/],
];

/** All standard parts a heading names, in the order they appear in it. */
export function headingKinds(heading: string): SectionKind[] {
  const found = CUES.flatMap(([kind, cue]) => {
    const m = heading.match(cue);
    return m ? [{ kind, at: m.index! }] : [];
  });
  // "成效" cues are generic ("…工作情况"); a heading that also names another part is that part.
  const specific = found.some((f) => f.kind !== '成效') ? found.filter((f) => f.kind !== '成效') : found;
  return specific.sort((a, b) => a.at - b.at).map((f) => f.kind);
}

/**
 * The standard part a block belongs to, from its heading path. The top-level heading decides; when it
 * names two parts at once ("存在的不足及下步工作打算") the next heading down that names one decides.
 * Text before the first heading (title, preamble) and parts naming none are 其他.
 */
export function classifySection(headingPath: readonly string[]): SectionKind {
  const [top, ...deeper] = headingPath;
  if (top === undefined) return '其他';
  const topKinds = headingKinds(top);
  if (topKinds.length <= 1) return topKinds[0] ?? '其他';
  for (const heading of deeper) {
    const kinds = headingKinds(heading);
    if (kinds.length === 1 && topKinds.includes(kinds[0]!)) return kinds[0]!;
  }
  return topKinds[0]!;
}
