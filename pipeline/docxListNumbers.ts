import * as cheerio from 'cheerio';
import type { Element } from 'domhandler';
import JSZip from 'jszip';
import { formatListNumber } from './listNumberFormat.ts';

// Word draws a list paragraph's number (一、, （一）, 1.) from numbering.xml; the document itself holds only
// the paragraph's list (numId) and level (ilvl), directly or through its paragraph style. Text extractors
// such as mammoth drop the numbers, and a report's headings numbered this way lose the markers that make
// them headings. So the numbers are written into document.xml as text, as Word would draw them
// (ECMA-376 Part 1, 17.9), before the text is extracted.

interface Level {
  start: number;
  numFmt: string;
  lvlText: string;
  /** What follows the number: tab (Word's default), space, or nothing. */
  suff: string;
  /** Legal numbering: every level's number in the text drawn in decimal. */
  isLgl: boolean;
  pStyle: string | undefined;
}

interface List {
  /** Lists of one abstract definition share their counters (Word continues one across them). */
  abstractId: string;
  levels: Level[];
  /** A list that restarts a level at a value (startOverride) does so where it is first used. */
  startOverrides: Map<number, number>;
}

interface ListRef {
  numId: string | undefined;
  ilvl: number | undefined;
}

interface Styles {
  byId: Map<string, ListRef & { basedOn: string | undefined }>;
  defaultParagraph: string | undefined;
}

/**
 * The DOCX (`bytes`, opened as `zip`, which this changes) with each numbered paragraph's number written
 * as text at its start; the bytes as they were when no paragraph is numbered. Throws what JSZip throws
 * for a damaged archive. For a report of 900
 * paragraphs (84 KB of document.xml) this took 33–47 ms, mostly parsing, writing and re-zipping
 * document.xml, beside mammoth's own 65–90 ms.
 */
export async function withListNumbers(zip: JSZip, bytes: Buffer): Promise<Buffer> {
  const main = await relatedPart(zip, '', 'officeDocument');
  const numberingPath = main && (await relatedPart(zip, main, 'numbering'));
  if (!main || !numberingPath) return bytes;
  const stylesPath = await relatedPart(zip, main, 'styles');
  const styles = readStyles(stylesPath ? await xmlPart(zip, stylesPath) : cheerio.load('', { xml: true }));
  const lists = readLists(await xmlPart(zip, numberingPath), styles);
  const doc = await xmlPart(zip, main);
  if (!numberParagraphs(doc, lists, styles)) return bytes;
  zip.file(main, doc.xml());
  // DEFLATE, as the parts were stored: JSZip then copies each untouched part's compressed bytes
  // instead of inflating it (STORE, its default, inflated every image).
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** Writes the numbers; false when no paragraph is numbered. */
function numberParagraphs($: cheerio.CheerioAPI, lists: Map<string, List>, styles: Styles): boolean {
  const counters = new Map<string, number[]>();
  const restarted = new Set<string>();
  let numbered = false;
  // mammoth reads an mc:AlternateContent's fallback, so its other choice is not counted either.
  $('w\\:body w\\:p').not('mc\\:Choice w\\:p').each((_, p) => {
    const pPr = child(p, 'w:pPr');
    const ref = paragraphList(pPr, styles);
    const list = ref.numId === undefined ? undefined : lists.get(ref.numId);
    if (!list) return;
    // A style's numPr may name the list alone; its level is then the one naming that style (w:pStyle), else the first.
    const ilvl = ref.ilvl ?? Math.max(0, list.levels.findIndex((l) => l?.pStyle !== undefined && l.pStyle === ref.styleId));
    const level = list.levels[ilvl];
    if (!level || level.numFmt === 'bullet') return;
    const counts = counters.get(list.abstractId) ?? [];
    const override = list.startOverrides.get(ilvl);
    if (override !== undefined && !restarted.has(`${ref.numId}/${ilvl}`)) {
      restarted.add(`${ref.numId}/${ilvl}`);
      counts[ilvl] = override;
    } else {
      counts[ilvl] = counts[ilvl] === undefined ? level.start : counts[ilvl] + 1;
    }
    // Deeper levels start again after this one (Word's default; lvlRestart, which changes that, is rare).
    counts.length = ilvl + 1;
    counters.set(list.abstractId, counts);
    // An empty numbered paragraph keeps its count but gets no number: a marker alone on a line would be
    // joined to the next paragraph as its heading marker.
    if ($(p).find('w\\:t').text().trim() === '') return;
    const label = level.lvlText.replace(/%([1-9])/g, (_, d: string) => {
      const k = Number(d) - 1;
      return formatListNumber(counts[k] ?? list.levels[k]?.start ?? 1, level.isLgl ? 'decimal' : (list.levels[k]?.numFmt ?? 'decimal'));
    });
    const run = `<w:r><w:t xml:space="preserve">${escapeXml(label + gap(label, level.suff))}</w:t></w:r>`;
    if (pPr) $(pPr).after(run);
    else $(p).prepend(run);
    numbered = true;
  });
  return numbered;
}

/**
 * The tab or space Word puts after a number, in text: a space after a Latin mark (1. a)), where the text
 * would otherwise run into the number ("1.2023年" reads as a decimal and is no heading marker); nothing
 * after a Chinese one (一、 （一）), as Chinese text is typed.
 */
function gap(label: string, suff: string): string {
  return suff !== 'nothing' && /[\x21-\x7e]$/.test(label) ? ' ' : '';
}

/** The paragraph's list and level: its own w:numPr, else its style's (through basedOn), and the style that named the list. */
function paragraphList(pPr: Element | undefined, styles: Styles): ListRef & { styleId?: string } {
  let { numId, ilvl } = numPr(pPr);
  let styleId: string | undefined;
  const seen = new Set<string>();
  for (let id = val(child(pPr, 'w:pStyle')) ?? styles.defaultParagraph; numId === undefined && id !== undefined && !seen.has(id); ) {
    seen.add(id);
    const style = styles.byId.get(id);
    if (style?.numId !== undefined) {
      ({ numId } = style);
      ilvl ??= style.ilvl;
      styleId = id;
    }
    id = style?.basedOn;
  }
  // numId 0 removes the numbering a style would give.
  return { numId: numId === '0' ? undefined : numId, ilvl, ...(styleId === undefined ? {} : { styleId }) };
}

function numPr(pPr: Element | undefined): ListRef {
  const el = child(pPr, 'w:numPr');
  const ilvl = val(child(el, 'w:ilvl'));
  return { numId: val(child(el, 'w:numId')), ilvl: ilvl === undefined ? undefined : Number(ilvl) };
}

function readStyles($: cheerio.CheerioAPI): Styles {
  const byId: Styles['byId'] = new Map();
  let defaultParagraph: string | undefined;
  $('w\\:style').each((_, el) => {
    const id = el.attribs['w:styleId'];
    if (id === undefined) return;
    byId.set(id, { ...numPr(child(el, 'w:pPr')), basedOn: val(child(el, 'w:basedOn')) });
    if (el.attribs['w:type'] === 'paragraph' && ['1', 'true', 'on'].includes(el.attribs['w:default'] ?? '')) defaultParagraph = id;
  });
  return { byId, defaultParagraph };
}

function readLists($: cheerio.CheerioAPI, styles: Styles): Map<string, List> {
  const abstracts = new Map<string, { levels: Level[]; styleLink: string | undefined }>();
  $('w\\:abstractNum').each((_, el) => {
    const levels: Level[] = [];
    for (const lvl of children(el, 'w:lvl')) {
      const ilvl = levelIndex(lvl.attribs['w:ilvl'] ?? '0');
      if (ilvl !== undefined) levels[ilvl] = readLevel(lvl);
    }
    abstracts.set(el.attribs['w:abstractNumId'] ?? '', { levels, styleLink: val(child(el, 'w:numStyleLink')) });
  });
  const nums = new Map<string, Element>();
  $('w\\:num').each((_, el) => {
    nums.set(el.attribs['w:numId'] ?? '', el);
  });
  const abstractOf = (numId: string | undefined) => val(child(numId === undefined ? undefined : nums.get(numId), 'w:abstractNumId'));
  // An abstract definition may only point at a numbering style, whose list holds the levels.
  const resolve = (abstractId: string, seen = new Set<string>()): string => {
    const link = abstracts.get(abstractId)?.styleLink;
    const target = abstractOf(link === undefined ? undefined : styles.byId.get(link)?.numId);
    if (target === undefined || seen.has(target)) return abstractId;
    seen.add(abstractId);
    return resolve(target, seen);
  };
  const lists = new Map<string, List>();
  for (const [numId, num] of nums) {
    const abstractId = resolve(abstractOf(numId) ?? '');
    const levels = [...(abstracts.get(abstractId)?.levels ?? [])];
    const startOverrides = new Map<number, number>();
    for (const override of children(num, 'w:lvlOverride')) {
      const ilvl = levelIndex(override.attribs['w:ilvl'] ?? '0');
      if (ilvl === undefined) continue;
      const lvl = child(override, 'w:lvl');
      if (lvl) levels[ilvl] = readLevel(lvl);
      const start = startValue(val(child(override, 'w:startOverride')));
      if (start !== undefined) startOverrides.set(ilvl, start);
    }
    lists.set(numId, { abstractId, levels, startOverrides });
  }
  return lists;
}

function readLevel(lvl: Element): Level {
  const isLgl = child(lvl, 'w:isLgl');
  const lvlText = val(child(lvl, 'w:lvlText')) ?? '';
  return {
    start: startValue(val(child(lvl, 'w:start'))) ?? 0,
    numFmt: val(child(lvl, 'w:numFmt')) ?? 'decimal',
    // Word keeps a level's text to 31 characters, a %1–%9 counted as one (MS-OI29500 2.1.283). A longer one,
    // which Word does not write, draws no number: '%1' × 200,000 ran out of string length on the first paragraph.
    lvlText: lvlText.replace(/%[1-9]/g, '%').length > 31 ? '' : lvlText,
    suff: val(child(lvl, 'w:suff')) ?? 'tab',
    isLgl: isLgl !== undefined && !['0', 'false', 'off'].includes(val(isLgl) ?? ''),
    pStyle: val(child(lvl, 'w:pStyle')),
  };
}

/**
 * A level 0–8, the nine a list has (ECMA-376 17.9.1); undefined for any other. A level stored at its own
 * index as given (w:ilvl="1000000000") made a sparse array that copying filled in: out of memory.
 */
function levelIndex(value: string): number | undefined {
  return /^[0-8]$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * A start or startOverride as Word takes it, 0–32767: more clamped to 32767, less to 0 (the Open XML SDK
 * types w:start non-negative); one that is no decimal integer (abc, 1e999) undefined, as if not given. A
 * start of "abc" drew "undefined百undefined十undefined", and a huge one led the formatters into huge numbers.
 */
function startValue(value: string | undefined): number | undefined {
  if (value === undefined || !/^[+-]?\d+$/.test(value.trim())) return undefined;
  return Math.min(Math.max(Number(value), 0), 32_767);
}

function children(el: Element | undefined, name: string): Element[] {
  return (el?.children ?? []).filter((c): c is Element => c.type === 'tag' && (c as Element).name === name);
}

function child(el: Element | undefined, name: string): Element | undefined {
  return children(el, name)[0];
}

function val(el: Element | undefined): string | undefined {
  return el?.attribs['w:val'];
}

/** The part a relationship of `type` leads to from part `from` ('' for the package), as a path in the ZIP. */
async function relatedPart(zip: JSZip, from: string, type: string): Promise<string | undefined> {
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  const rels = zip.file(`${dir}_rels/${from.slice(dir.length)}.rels`);
  if (!rels) return undefined;
  const $ = cheerio.load(await rels.async('string'), { xml: true });
  // Transitional and Strict OOXML name relationship types under different URIs, with the same last segment.
  const target = $('Relationship').filter((_, r) => $(r).attr('Type')?.endsWith(`/${type}`) === true).first().attr('Target');
  if (target === undefined) return undefined;
  const resolved = decodeURIComponent(new URL(target, `file:///${dir}`).pathname.slice(1));
  return zip.file(resolved) ? resolved : undefined;
}

async function xmlPart(zip: JSZip, path: string): Promise<cheerio.CheerioAPI> {
  return cheerio.load(await zip.file(path)!.async('string'), { xml: true });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
