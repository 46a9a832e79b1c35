// The report catalogue: every stored document under a filter, newest year first, with facets
// counted per document and disjunctively, as the search page counts passages (server/facets.ts):
// what a user browses to see which regions, years and kinds the collection covers.
import type { DocumentRow, SearchFilter, Store } from '../search/store.ts';
import { countValues, facetBases } from './facets.ts';

export const CATALOGUE_FACETS = ['province', 'city', 'county', 'year', 'kind'] as const;
type CatalogueFacet = (typeof CATALOGUE_FACETS)[number];
export type DocumentFilter = Omit<SearchFilter, 'section'>;

export interface CatalogueEntry {
  id: number;
  source: string;
  title: string;
  kind: DocumentRow['kind'];
  jurisdiction: DocumentRow['jurisdiction'];
  year: number | null;
  passages: number;
  aliases: string[];
}

export interface Catalogue {
  filter: DocumentFilter;
  total: number;
  offset: number;
  reports: CatalogueEntry[];
  facets: Record<CatalogueFacet, Record<string, number>>;
}

/** A stored document as the catalogue and `fazhi list` show it. */
export function catalogueEntry(d: DocumentRow): CatalogueEntry {
  return { id: d.id, source: d.source, title: d.title, kind: d.kind, jurisdiction: d.jurisdiction, year: d.year, passages: d.passageCount, aliases: d.aliases };
}

function facetValue(doc: DocumentRow, name: CatalogueFacet): string | number | null {
  return name === 'year' || name === 'kind' ? doc[name] : doc.jurisdiction[name];
}

const zh = new Intl.Collator('zh');

/** Newest year first (unknown years last), then by province, city, county and title. */
function byYearThenPlace(a: DocumentRow, b: DocumentRow): number {
  const place = (d: DocumentRow) => [d.jurisdiction.province, d.jurisdiction.city, d.jurisdiction.county, d.title].map((s) => s ?? '');
  const [pa, pb] = [place(a), place(b)];
  return (b.year ?? -Infinity) - (a.year ?? -Infinity) || pa.reduce((order, s, i) => order || zh.compare(s, pb[i]!), 0) || a.id - b.id;
}

export function reportCatalogue(store: Store, filter: DocumentFilter, page: { k: number; offset: number }): Catalogue {
  const docs = store.documentsMatching(filter).sort(byYearThenPlace);
  const bases = facetBases(filter, CATALOGUE_FACETS, docs, (relaxed) => store.documentsMatching(relaxed));
  const facets = {} as Catalogue['facets'];
  for (const name of CATALOGUE_FACETS) facets[name] = countValues(bases.get(name)!, (doc) => facetValue(doc, name));
  return {
    filter,
    total: docs.length,
    offset: page.offset,
    reports: docs.slice(page.offset, page.offset + page.k).map(catalogueEntry),
    facets,
  };
}
