// Human and JSON renderings of search results.
import type { DocumentKind, Jurisdiction } from '../pipeline/types.ts';
import type { PassageResult, ReportResult } from '../search/searchEngine.ts';
import { fileNameForTerminal, forTerminal, jsonForTerminal } from './terminal.ts';

export interface ResultRow {
  id: string | number;
  source: string;
  title: string;
  kind: string;
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
    kind: r.kind,
    jurisdiction: { province: r.jurisdiction.province, city: r.jurisdiction.city, county: r.jurisdiction.county, code: r.jurisdiction.code },
    year: r.year,
    section: r.section,
    text: r.text,
    score: r.score,
    ...(r.passages ? { passages: r.passages.map(toJsonRow) } : {}),
  };
}

export function toJson(results: ResultRow[]): string {
  return jsonForTerminal({ results: results.map(toJsonRow) });
}

function place(j: Jurisdiction): string {
  return forTerminal([j.province, j.city, j.county].filter(Boolean).join('/')) || '(地区未知)';
}

function snippet(text: string, max = 160): string {
  const flat = forTerminal(text).replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `offset`: the results before these (a later page), so that they are numbered on from it. */
export function toText(results: ResultRow[], offset = 0): string {
  if (results.length === 0) return offset > 0 ? `No results after the first ${offset}.` : 'No results.';
  const lines: string[] = [];
  results.forEach((r, i) => {
    lines.push(`${offset + i + 1}. ${forTerminal(r.title)}  [${place(r.jurisdiction)} · ${r.year ?? '年份未知'} · ${r.kind} · ${r.section}]  score ${r.score.toFixed(4)}`);
    for (const p of r.passages ?? [r]) lines.push(`   #${p.id} ${snippet(p.text)}`);
    lines.push(`   ${fileNameForTerminal(r.source)}`);
  });
  return lines.join('\n');
}

/** What `fazhi list` shows of a stored report. */
export interface ListedReport {
  source: string;
  title: string;
  kind: DocumentKind;
  jurisdiction: Jurisdiction;
  year: number | null;
  passages: number;
  aliases: string[];
  /** The source file is no longer at its path (deleted or moved since it was ingested). */
  missing: boolean;
  /** The aliases whose files are no longer at their paths. */
  aliasesMissing: string[];
}

export function listToJson(reports: ListedReport[]): string {
  return jsonForTerminal({
    reports: reports.map((r) => ({
      source: r.source,
      title: r.title,
      kind: r.kind,
      jurisdiction: { province: r.jurisdiction.province, city: r.jurisdiction.city, county: r.jurisdiction.county, code: r.jurisdiction.code },
      year: r.year,
      passages: r.passages,
      aliases: r.aliases,
      missing: r.missing,
      aliasesMissing: r.aliasesMissing,
    })),
  });
}

/** `root`: where the sources were looked for; `filtered`: the list is of the reports a filter admits, not of all stored. */
export function listToText(reports: ListedReport[], root: string, filtered = false): string {
  if (reports.length === 0) return filtered ? 'No stored report matches the filters.' : 'No reports stored.';
  const lines: string[] = [];
  for (const r of reports) {
    const gone = (missing: boolean) => (missing ? ' (file gone)' : '');
    lines.push(`${fileNameForTerminal(r.source)}${gone(r.missing)}  ${forTerminal(r.title)}  [${place(r.jurisdiction)} · ${r.year ?? '年份未知'} · ${r.kind}]  ${r.passages} passages`);
    for (const alias of r.aliases) lines.push(`   = ${fileNameForTerminal(alias)} (same bytes)${gone(r.aliasesMissing.includes(alias))}`);
  }
  const missing = reports.filter((r) => r.missing).length;
  lines.push(
    `${reports.length} report(s), ${reports.reduce((n, r) => n + r.aliases.length, 0)} alias(es)` +
      (missing > 0 ? `; ${missing} whose file is gone from ${fileNameForTerminal(root)} (\`fazhi remove <path>\` takes one out)` : ''),
  );
  return lines.join('\n');
}
