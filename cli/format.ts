// Human and JSON renderings of search results.
import type { Jurisdiction } from '../pipeline/types.ts';
import type { PassageResult, ReportResult } from '../search/searchEngine.ts';

export interface ResultRow {
  id: string | number;
  source: string;
  title: string;
  jurisdiction: Jurisdiction;
  year: number | null;
  section: string;
  text: string;
  score: number;
  passages?: ResultRow[];
}

/**
 * A report row keeps the documented result fields, filled from its best passage, so scripts
 * written against `--by passage` output keep working with `--by report`.
 */
export function toRows(results: PassageResult[] | ReportResult[]): ResultRow[] {
  return results.map((r) => {
    if (!('passages' in r)) return r;
    const best = r.passages[0]!;
    return { ...best, score: r.score, passages: r.passages };
  });
}

/** One result as `--json` prints it (the HTTP API returns the same shape). */
export function toJsonRow(r: ResultRow): Record<string, unknown> {
  return {
    id: r.id,
    source: r.source,
    title: r.title,
    jurisdiction: { province: r.jurisdiction.province, city: r.jurisdiction.city, county: r.jurisdiction.county, code: r.jurisdiction.code },
    year: r.year,
    section: r.section,
    text: r.text,
    score: r.score,
    ...(r.passages ? { passages: r.passages.map(toJsonRow) } : {}),
  };
}

export function toJson(results: ResultRow[]): string {
  return JSON.stringify({ results: results.map(toJsonRow) }, null, 2);
}

function place(j: Jurisdiction): string {
  return [j.province, j.city, j.county].filter(Boolean).join('/') || '(地区未知)';
}

function snippet(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function toText(results: ResultRow[]): string {
  if (results.length === 0) return 'No results.';
  const lines: string[] = [];
  results.forEach((r, i) => {
    lines.push(`${i + 1}. ${r.title}  [${place(r.jurisdiction)} · ${r.year ?? '年份未知'} · ${r.section}]  score ${r.score.toFixed(4)}`);
    for (const p of r.passages ?? [r]) lines.push(`   #${p.id} ${snippet(p.text)}`);
    lines.push(`   ${r.source}`);
  });
  return lines.join('\n');
}
