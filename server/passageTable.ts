// Every passage's filterable fields (region, year, section, kind) in memory, for one store
// generation: facet counting and the filtered retrievals behind disjunctive facets look passages up
// here instead of loading rows (getPassages) or running a filter query (passageIds) per request.
import type { DocumentKind, SectionKind } from '../pipeline/types.ts';
import type { PassageId, SearchFilter, Store } from '../search/store.ts';

export interface PassageFields {
  province: string | null;
  city: string | null;
  county: string | null;
  year: number | null;
  section: SectionKind;
  kind: DocumentKind;
}

type DocumentFields = Omit<PassageFields, 'section'>;

export class PassageTable {
  private constructor(
    /** The store generation the table was read at. */
    readonly generation: number,
    /** Passage ids, ascending. */
    private readonly ids: Int32Array,
    /** Per passage (same order as ids): index into docs. */
    private readonly docOf: Int32Array,
    private readonly sections: SectionKind[],
    private readonly docs: DocumentFields[],
    /** id → position in ids. */
    private readonly position: Map<PassageId, number>,
  ) {}

  static load(store: Store): PassageTable {
    const generation = store.generation();
    const docIndex = new Map<number, number>();
    const docs: DocumentFields[] = store.documents().map((d, i) => {
      docIndex.set(d.id, i);
      return { province: d.jurisdiction.province, city: d.jurisdiction.city, county: d.jurisdiction.county, year: d.year, kind: d.kind };
    });
    const rows = store.passageSections().filter(([, docId]) => docIndex.has(docId));
    const ids = new Int32Array(rows.length);
    const docOf = new Int32Array(rows.length);
    const sections: SectionKind[] = new Array(rows.length);
    const position = new Map<PassageId, number>();
    rows.forEach(([id, docId, section], i) => {
      ids[i] = id;
      docOf[i] = docIndex.get(docId)!;
      sections[i] = section;
      position.set(id, i);
    });
    return new PassageTable(generation, ids, docOf, sections, docs, position);
  }

  get size(): number {
    return this.ids.length;
  }

  fields(id: PassageId): PassageFields | undefined {
    const i = this.position.get(id);
    if (i === undefined) return undefined;
    return { ...this.docs[this.docOf[i]!]!, section: this.sections[i]! };
  }

  /** Ids of the passages the filter admits: the same set as Store.passageIds({ filter }). */
  idsMatching(filter: SearchFilter): Set<PassageId> {
    const docOk = this.docs.map((d) => documentMatches(d, filter));
    const out = new Set<PassageId>();
    for (let i = 0; i < this.ids.length; i++) {
      if (docOk[this.docOf[i]!] && (filter.section === undefined || this.sections[i] === filter.section)) out.add(this.ids[i]!);
    }
    return out;
  }
}

/** Store's SQL filter (buildWhere) on one document: a null year is outside any year or range. */
function documentMatches(d: DocumentFields, f: SearchFilter): boolean {
  if (f.province !== undefined && d.province !== f.province) return false;
  if (f.city !== undefined && d.city !== f.city) return false;
  if (f.county !== undefined && d.county !== f.county) return false;
  if (f.kind !== undefined && d.kind !== f.kind) return false;
  if (f.year !== undefined && d.year !== f.year) return false;
  if (f.from !== undefined && (d.year === null || d.year < f.from)) return false;
  if (f.to !== undefined && (d.year === null || d.year > f.to)) return false;
  return true;
}
