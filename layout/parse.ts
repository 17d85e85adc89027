// The lot configuration file, checked. Pure: JSON in, a LayoutSpec out, or an
// error naming the first problem by its path in the file
// (`lots.mall-1.levels.B1.slots: must be …`).
//
// {
//   "lots": {
//     "mall-1": {
//       "name": "Mall One",
//       "location": { "latitude": -6.2297, "longitude": 106.8295 },
//       "utcOffset": "+07:00",
//       "levels": {
//         "B1": { "name": "Basement 1", "slots": 26 },
//         "B2": { "slots": ["A1", "A2", "A3"], "retired": ["A3"] }
//       }
//     }
//   }
// }
//
// `slots` is a count N (slot ids 1 to N, as `parking simulate` and most lots
// number them) or the list of slot ids. `retired` slots stay listed but are
// neither counted nor accepted.
import { offsetMinutes } from '../billing/tariff.ts';
import { isId } from '../contract/index.ts';

export interface LevelSpec {
  name?: string;
  /** The level's slot ids, in order. */
  slots: readonly string[];
  retired: readonly string[];
}

/** Where a lot is (WGS 84): what the open-data feeds give as its location. */
export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface LotSpec {
  name?: string;
  location?: GeoPoint;
  /** The id of the tariff its gates charge by (a deployed parking-tariff node's); unset: the charging node's own. */
  tariff?: string;
  /** The lot's local time, `+HH:MM` (its local days in reports, the session tools, the history); unset: the site's. */
  utcOffset?: string;
  levels: Readonly<Record<string, LevelSpec>>;
}

export interface LayoutSpec {
  lots: Readonly<Record<string, LotSpec>>;
}

/** The most slots a level may list (a count above it is a typo, not a level). */
export const MAX_SLOTS_PER_LEVEL = 10_000;
const MAX_NAME = 80;

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

function fail(path: string, reason: string): never {
  throw new LayoutError(`${path}: ${reason}`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function onlyKeys(obj: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) fail(`${path}.${key}`, `unknown key (known: ${known.join(', ')})`);
}

function id(value: string, path: string): string {
  if (!isId(value)) fail(path, `"${value}" is not an id: 1-32 characters of A-Z a-z 0-9 _ -`);
  return value;
}

function displayName(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.trim() || value.length > MAX_NAME) fail(path, `must be a name of 1-${MAX_NAME} characters`);
  return value.trim();
}

function slotList(value: unknown, path: string): string[] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SLOTS_PER_LEVEL) fail(path, `must be a whole number of slots 1-${MAX_SLOTS_PER_LEVEL} (ids 1 to N) or a list of slot ids`);
    return Array.from({ length: value }, (_, i) => String(i + 1));
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SLOTS_PER_LEVEL) fail(path, `must be a whole number of slots 1-${MAX_SLOTS_PER_LEVEL} (ids 1 to N) or a list of 1-${MAX_SLOTS_PER_LEVEL} slot ids`);
  return ids(value, path);
}

function ids(value: unknown[], path: string): string[] {
  const seen = new Set<string>();
  return value.map((entry, i) => {
    if (typeof entry !== 'string') fail(`${path}[${i}]`, 'must be a slot id (a string)');
    id(entry, `${path}[${i}]`);
    if (seen.has(entry)) fail(`${path}[${i}]`, `"${entry}" is listed twice`);
    seen.add(entry);
    return entry;
  });
}

function level(value: unknown, path: string): LevelSpec {
  const obj = object(value, path);
  onlyKeys(obj, path, ['name', 'slots', 'retired']);
  if (obj.slots === undefined) fail(`${path}.slots`, 'missing: a count of slots or the list of slot ids');
  const slots = slotList(obj.slots, `${path}.slots`);
  let retired: string[] = [];
  if (obj.retired !== undefined) {
    if (!Array.isArray(obj.retired)) fail(`${path}.retired`, 'must be a list of slot ids');
    retired = ids(obj.retired, `${path}.retired`);
    const listed = new Set(slots);
    retired.forEach((slot, i) => listed.has(slot) || fail(`${path}.retired[${i}]`, `"${slot}" is not one of the level's slots`));
  }
  const name = displayName(obj.name, `${path}.name`);
  return { ...(name ? { name } : {}), slots, retired };
}

function location(value: unknown, path: string): GeoPoint | undefined {
  if (value === undefined) return undefined;
  const obj = object(value, path);
  onlyKeys(obj, path, ['latitude', 'longitude']);
  const coordinate = (v: unknown, key: string, limit: number) =>
    typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= limit ? v : fail(`${path}.${key}`, `must be a number of degrees from -${limit} to ${limit}`);
  return { latitude: coordinate(obj.latitude, 'latitude', 90), longitude: coordinate(obj.longitude, 'longitude', 180) };
}

function lot(value: unknown, path: string): LotSpec {
  const obj = object(value, path);
  onlyKeys(obj, path, ['name', 'location', 'tariff', 'utcOffset', 'levels']);
  const levels = object(obj.levels ?? fail(`${path}.levels`, 'missing: the lot\'s levels and their slots'), `${path}.levels`);
  if (Object.keys(levels).length === 0) fail(`${path}.levels`, 'must name at least one level');
  const out: Record<string, LevelSpec> = {};
  for (const [name, spec] of Object.entries(levels)) out[id(name, `${path}.levels`)] = level(spec, `${path}.levels.${name}`);
  const display = displayName(obj.name, `${path}.name`);
  const where = location(obj.location, `${path}.location`);
  const tariff = obj.tariff === undefined ? undefined : typeof obj.tariff === 'string' ? id(obj.tariff, `${path}.tariff`) : fail(`${path}.tariff`, 'must be a tariff id (1-32 characters of A-Z a-z 0-9 _ -)');
  const offset = obj.utcOffset === undefined ? undefined : typeof obj.utcOffset === 'string' && offsetMinutes(obj.utcOffset) !== undefined ? obj.utcOffset : fail(`${path}.utcOffset`, 'must be a UTC offset +HH:MM from -12:00 to +14:00, such as +07:00 (WIB), +08:00 (WITA), +09:00 (WIT)');
  return { ...(display ? { name: display } : {}), ...(where ? { location: where } : {}), ...(tariff ? { tariff } : {}), ...(offset ? { utcOffset: offset } : {}), levels: out };
}

/** The configuration in `json` (parsed JSON), checked; throws a LayoutError naming the first problem. */
export function parseLayout(json: unknown): LayoutSpec {
  const root = object(json, 'the lot configuration');
  onlyKeys(root, 'the lot configuration', ['lots']);
  const lots = object(root.lots ?? fail('lots', 'missing: an object of lots by id'), 'lots');
  const out: Record<string, LotSpec> = {};
  for (const [name, spec] of Object.entries(lots)) out[id(name, 'lots')] = lot(spec, `lots.${name}`);
  return { lots: out };
}
