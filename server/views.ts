// What the API returns beyond plain search results: a report with its heading tree, a passage
// in its context, and where and when a measure is mentioned (adoption).
import type { Jurisdiction, SectionKind } from '../pipeline/types.ts';
import { withVisibleControls } from '../cli/terminal.ts';
import { normalizeForMatch } from '../pipeline/normalizeForMatch.ts';
import type { PassageResult, SearchContext } from '../search/searchEngine.ts';
import type { DocumentRow, PassageRow, Store } from '../search/store.ts';

export interface PassageView {
  id: number;
  ordinal: number;
  section: SectionKind;
  headingPath: string[];
  text: string;
}

export interface HeadingNode {
  title: string;
  /** The first passage under this heading: where the reader scrolls to. */
  passageId: number;
  children: HeadingNode[];
}

function passageView(p: PassageRow): PassageView {
  return { id: p.id, ordinal: p.ordinal, section: p.section, headingPath: p.headingPath, text: p.text };
}

function documentView(d: DocumentRow): Record<string, unknown> {
  return {
    id: d.id,
    source: d.source,
    title: d.title,
    jurisdiction: d.jurisdiction,
    year: d.year,
    publishedAt: d.publishedAt,
    issuer: d.issuer,
    docNumber: d.docNumber,
    passageCount: d.passageCount,
  };
}

/** The nested headings of a report, from its passages' heading paths, in reading order. */
export function headingTree(passages: readonly PassageView[]): HeadingNode[] {
  const roots: HeadingNode[] = [];
  for (const p of passages) {
    let level = roots;
    for (const title of p.headingPath) {
      let node = level.at(-1);
      if (!node || node.title !== title) {
        node = { title, passageId: p.id, children: [] };
        level.push(node);
      }
      level = node.children;
    }
  }
  return roots;
}

export function reportView(store: Store, docId: number): Record<string, unknown> | null {
  const doc = store.getDocument(docId);
  if (!doc) return null;
  const passages = store.getPassages(store.passageIdsOf(docId)).map(passageView);
  return { ...documentView(doc), headings: headingTree(passages), passages };
}

/** Passages shown before and after one in its report. */
const NEIGHBOURS = 2;

export function passageContext(store: Store, id: number): Record<string, unknown> | null {
  const passage = store.getPassage(id);
  if (!passage) return null;
  const ids = store.passageIdsOf(passage.docId);
  const at = ids.indexOf(id);
  const around = store.getPassages(ids.slice(Math.max(0, at - NEIGHBOURS), at + NEIGHBOURS + 1)).map(passageView);
  return {
    docId: passage.docId,
    source: passage.source,
    title: passage.title,
    jurisdiction: passage.jurisdiction,
    year: passage.year,
    ...passageView(passage),
    before: around.filter((p) => p.ordinal < passage.ordinal),
    after: around.filter((p) => p.ordinal > passage.ordinal),
  };
}

/**
 * Lexical candidates read for an adoption query, in bm25 order (which favours passages holding
 * more of the terms). A passage mentions the measure when it holds every term of the query; a
 * measure mentioned in more passages than this is undercounted, and the answer says so.
 */
const ADOPTION_CANDIDATES = 20_000;
const NON_WORD = /[^\p{L}\p{N}.]/gu;

export interface AdoptionCell {
  place: string;
  year: number | null;
  reports: number;
  passages: number;
}

export interface AdoptionPlace {
  place: string;
  jurisdiction: Omit<Jurisdiction, 'code'>;
  firstYear: number | null;
  reports: number;
  passages: number;
}

export interface Adoption {
  query: string;
  terms: string[];
  places: AdoptionPlace[];
  years: number[];
  cells: AdoptionCell[];
  totals: { reports: number; passages: number };
  /** More candidates than were read: the counts are a lower bound. */
  truncated: boolean;
}

/** "山东省/威海市/环翠区": the key a place goes by in the adoption view and its CSV. */
export function placeKey(j: Omit<Jurisdiction, 'code'>): string {
  return [j.province, j.city, j.county].filter(Boolean).join('/') || '(地区未知)';
}

/** Passages holding every term of the query. */
export function mentioningPassages(ctx: SearchContext, query: string): { terms: string[]; passages: PassageRow[]; truncated: boolean } {
  const terms = [...new Set(ctx.segment(query))];
  if (terms.length === 0) return { terms, passages: [], truncated: false };
  const hits = ctx.store.lexicalSearch(terms, ADOPTION_CANDIDATES);
  const truncated = hits.length === ADOPTION_CANDIDATES;
  const passages = ctx.store.getPassages(hits.map((h) => h.id)).filter((p) => {
    const compact = normalizeForMatch(p.text).replace(NON_WORD, '');
    return terms.every((t) => compact.includes(t));
  });
  return { terms, passages, truncated };
}

/** Every year from the first mention's to the last's, those without one too: a time axis with gaps closed would misstate when a measure spread. */
function yearSpan(passages: readonly PassageRow[]): number[] {
  const known = passages.flatMap((p) => (p.year === null ? [] : [p.year]));
  if (known.length === 0) return [];
  const first = Math.min(...known);
  return Array.from({ length: Math.max(...known) - first + 1 }, (_, i) => first + i);
}

export function adoption(ctx: SearchContext, query: string): Adoption {
  const { terms, passages, truncated } = mentioningPassages(ctx, query);
  const cells = new Map<string, AdoptionCell & { docs: Set<number> }>();
  const places = new Map<string, AdoptionPlace & { docs: Set<number> }>();
  for (const p of passages) {
    const place = placeKey(p.jurisdiction);
    const cellKey = `${place}\u0000${p.year}`;
    const cell = cells.get(cellKey) ?? { place, year: p.year, reports: 0, passages: 0, docs: new Set<number>() };
    cell.passages++;
    cell.docs.add(p.docId);
    cells.set(cellKey, cell);
    const { province, city, county } = p.jurisdiction;
    const entry = places.get(place) ?? { place, jurisdiction: { province, city, county }, firstYear: null, reports: 0, passages: 0, docs: new Set<number>() };
    entry.passages++;
    entry.docs.add(p.docId);
    if (p.year !== null && (entry.firstYear === null || p.year < entry.firstYear)) entry.firstYear = p.year;
    places.set(place, entry);
  }
  const strip = <T extends { docs: Set<number>; reports: number }>({ docs, ...rest }: T) => ({ ...rest, reports: docs.size });
  return {
    query,
    terms,
    // Earliest adopters first: the order of a first-mention timeline.
    places: [...places.values()].map(strip).sort((a, b) => (a.firstYear ?? Infinity) - (b.firstYear ?? Infinity) || a.place.localeCompare(b.place, 'zh')),
    years: yearSpan(passages),
    cells: [...cells.values()].map(strip),
    totals: { reports: new Set(passages.map((p) => p.docId)).size, passages: passages.length },
    truncated,
  };
}

/**
 * A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV injection); control
 * characters from report text (terminal escapes, bidi overrides) are written as their codes.
 */
function csvCell(value: string | number | null): string {
  let text = value === null ? '' : withVisibleControls(String(value));
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV, with a BOM so spreadsheet apps read UTF-8. */
function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A search's passages in rank order, each with its score, place, year, section, kind, text and file. */
export function searchCsv(passages: readonly PassageResult[]): string {
  const header = ['排名', '相关度', '段落编号', '报告', '省', '市', '县区', '年份', '报告板块', '文件类型', '段落', '文件'];
  const rows = passages.map((p, i) => [i + 1, p.score.toFixed(4), p.id, p.title, p.jurisdiction.province, p.jurisdiction.city, p.jurisdiction.county, p.year, p.section, p.kind, p.text, p.source]);
  return toCsv([header, ...rows]);
}

/** One row per place and year, with the place's first year. */
export function adoptionCsv(a: Adoption): string {
  const firstYear = new Map(a.places.map((p) => [p.place, p]));
  const rows = [['地区', '省', '市', '县区', '年份', '报告数', '段落数', '首次提及年份']];
  const sorted = [...a.cells].sort((x, y) => x.place.localeCompare(y.place, 'zh') || (x.year ?? 0) - (y.year ?? 0));
  for (const c of sorted) {
    const p = firstYear.get(c.place)!;
    rows.push([c.place, p.jurisdiction.province ?? '', p.jurisdiction.city ?? '', p.jurisdiction.county ?? '', String(c.year ?? ''), String(c.reports), String(c.passages), String(p.firstYear ?? '')]);
  }
  return toCsv(rows);
}
