// NGSI-LD entities of the FIWARE Smart Data Models `OffStreetParking` (a lot) and
// `ParkingSpot` (a slot), and the query of `GET /ngsi-ld/v1/entities` (ETSI GS CIM
// 009), read and checked. Pure. docs/opendata.md.
import type { AvailabilitySummary } from '../contract/index.ts';
import type { GeoPoint } from '../layout/index.ts';

export const NGSI_LD_CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
export const SDM_PARKING_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld';
/** The @context of every entity served: the core context, then the Parking models'. */
export const CONTEXT: readonly string[] = [NGSI_LD_CORE_CONTEXT, SDM_PARKING_CONTEXT];
/** The Link header of a JSON answer (the @context by reference). */
export const CONTEXT_LINK = `<${SDM_PARKING_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

export const ENTITY_TYPES = ['OffStreetParking', 'ParkingSpot'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const lotEntityId = (lot: string): string => `urn:ngsi-ld:OffStreetParking:${lot}`;
export const spotEntityId = (lot: string, level: string, slot: string): string => `urn:ngsi-ld:ParkingSpot:${lot}:${level}:${slot}`;
export const deviceEntityId = (device: string): string => `urn:ngsi-ld:Device:${device}`;

/** What an entity id names: a lot, or a slot; undefined for ids that are not ours. */
export function parseEntityId(id: string): { type: 'OffStreetParking'; lot: string } | { type: 'ParkingSpot'; lot: string; level: string; slot: string } | undefined {
  const part = '([A-Za-z0-9_-]{1,32})';
  let m = new RegExp(`^urn:ngsi-ld:OffStreetParking:${part}$`).exec(id);
  if (m) return { type: 'OffStreetParking', lot: m[1] };
  m = new RegExp(`^urn:ngsi-ld:ParkingSpot:${part}:${part}:${part}$`).exec(id);
  if (m) return { type: 'ParkingSpot', lot: m[1], level: m[2], slot: m[3] };
  return undefined;
}

/** A lot as the feeds know it: its summary, and what the lot configuration says of it. */
export interface LotFacts {
  summary: AvailabilitySummary;
  name?: string;
  location?: GeoPoint;
}

/** A slot as the feeds know it (the `slots` collection). */
export interface SpotFacts {
  lot: string;
  level: string;
  slot: string;
  status: string;
  /** When the sensor saw it, epoch ms. */
  ts: number;
  device?: string | null;
}

export type Entity = Record<string, unknown> & { id: string; type: EntityType };

const point = (g: GeoPoint) => ({ type: 'Point', coordinates: [g.longitude, g.latitude] });
const SPOT_STATUSES = new Set(['free', 'occupied', 'closed', 'unknown']);

/**
 * The lot in the key-values form of OffStreetParking. Every slot silent (all `unknown`):
 * no count or status is claimed but the total; `observedAt` is then the last time the
 * lot was heard from, so a reader sees how old it is.
 */
export function offStreetParking(lot: LotFacts): { entity: Entity; observedAt: string } {
  const s = lot.summary;
  const silent = s.totalSpotNumber > 0 && s.unknownSpotNumber === s.totalSpotNumber;
  const status = s.status === 'closed' ? ['closed'] : ['open', s.status];
  const entity: Entity = {
    id: lotEntityId(s.lot),
    type: 'OffStreetParking',
    name: lot.name ?? s.lot,
    ...(lot.location ? { location: point(lot.location) } : {}),
    allowedVehicleType: ['car'],
    occupancyDetectionType: ['singleSpaceDetection'],
    ...(s.totalSpotNumber > 0 ? { totalSpotNumber: s.totalSpotNumber } : {}),
    ...(silent
      ? {}
      : {
          availableSpotNumber: s.availableSpotNumber,
          occupiedSpotNumber: s.occupiedSpotNumber,
          outOfServiceSlotNumber: s.closedSpotNumber,
          ...(s.totalSpotNumber > 0 ? { occupancy: Math.round((s.occupiedSpotNumber / s.totalSpotNumber) * 1000) / 1000 } : {}),
          status,
        }),
    observationDateTime: s.observedAt,
  };
  return { entity, observedAt: s.observedAt };
}

/** The slot in the key-values form of ParkingSpot; `location`: its lot's. */
export function parkingSpot(spot: SpotFacts, location?: GeoPoint): { entity: Entity; observedAt: string } {
  const observedAt = new Date(spot.ts).toISOString();
  const entity: Entity = {
    id: spotEntityId(spot.lot, spot.level, spot.slot),
    type: 'ParkingSpot',
    name: `${spot.level}/${spot.slot}`,
    ...(location ? { location: point(location) } : {}),
    category: ['offStreet'],
    status: SPOT_STATUSES.has(spot.status) ? spot.status : 'unknown',
    refParkingSite: lotEntityId(spot.lot),
    ...(spot.device ? { refDevice: [deviceEntityId(spot.device)] } : {}),
  };
  return { entity, observedAt };
}

const RELATIONSHIPS = new Set(['refParkingSite', 'refDevice']);
/** Properties that carry the time they were observed. */
const OBSERVED = new Set(['availableSpotNumber', 'occupiedSpotNumber', 'outOfServiceSlotNumber', 'occupancy', 'status', 'totalSpotNumber']);

/** The normalized form of a key-values entity: each attribute a Property (observed ones with `observedAt`), GeoProperty or Relationship. */
export function normalized(entity: Entity, observedAt: string): Entity {
  const out: Entity = { id: entity.id, type: entity.type };
  for (const [key, value] of Object.entries(entity)) {
    if (key === 'id' || key === 'type') continue;
    if (key === 'location') out[key] = { type: 'GeoProperty', value };
    // One object a relationship (NGSI-LD `object` is a URI); the key-values form keeps the list the model asks for.
    else if (RELATIONSHIPS.has(key)) out[key] = { type: 'Relationship', object: Array.isArray(value) && value.length === 1 ? value[0] : value };
    else out[key] = { type: 'Property', value, ...(OBSERVED.has(key) ? { observedAt } : {}) };
  }
  return out;
}

/** An NGSI-LD error (ProblemDetails): its type, HTTP status and text. */
export class NgsiError extends Error {
  override readonly name = 'NgsiError';
  constructor(
    readonly kind: 'BadRequestData' | 'InvalidRequest' | 'ResourceNotFound' | 'OperationNotSupported',
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }

  body(): { type: string; title: string; detail: string; status: number } {
    const titles = { BadRequestData: 'Bad request data', InvalidRequest: 'Invalid request', ResourceNotFound: 'Resource not found', OperationNotSupported: 'Operation not supported' };
    return { type: `https://uri.etsi.org/ngsi-ld/errors/${this.kind}`, title: titles[this.kind], detail: this.detail, status: this.status };
  }
}

export interface EntityQuery {
  types: EntityType[];
  ids?: Set<string>;
  idPattern?: RegExp;
  /** Our extension: one lot's entities. */
  lot?: string;
  limit: number;
  offset: number;
  count: boolean;
  keyValues: boolean;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;
/** Parameters of the standard this endpoint does not implement: refused, never ignored. */
const UNSUPPORTED = ['q', 'georel', 'geometry', 'coordinates', 'geoproperty', 'attrs', 'pick', 'omit', 'csf', 'scopeQ', 'datasetId', 'lang', 'orderBy', 'join', 'entityMap', 'expandValues', 'jsonKeys', 'splitEntities', 'containedBy', 'collation'];

const one = (params: Record<string, unknown>, key: string): string | undefined => {
  const v = params[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new NgsiError('BadRequestData', 400, `${key}: give it once`);
  return v;
};

/** Reads the query of `GET /ngsi-ld/v1/entities`; an NgsiError names what is wrong. */
export function parseEntityQuery(params: Record<string, unknown>): EntityQuery {
  for (const key of UNSUPPORTED) if (params[key] !== undefined) throw new NgsiError('OperationNotSupported', 422, `${key}: not supported by this endpoint (supported: type, id, idPattern, lot, limit, offset, count, format, options)`);
  const type = one(params, 'type');
  const id = one(params, 'id');
  if (type === undefined) throw new NgsiError('BadRequestData', 400, 'type: required (OffStreetParking, ParkingSpot, or both comma-separated)');
  const types = [...new Set(type.split(',').map((t) => t.trim()))];
  for (const t of types) {
    if (!(ENTITY_TYPES as readonly string[]).includes(t)) throw new NgsiError('BadRequestData', 400, `type: ${JSON.stringify(t)} is not served here (OffStreetParking, ParkingSpot)`);
  }
  const ids = id === undefined ? undefined : new Set(id.split(',').map((s) => s.trim()));
  if (ids) for (const i of ids) if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(i)) throw new NgsiError('BadRequestData', 400, `id: ${JSON.stringify(i)} is not a URI`);
  const pattern = one(params, 'idPattern');
  let idPattern: RegExp | undefined;
  if (pattern !== undefined) {
    if (pattern.length > 200) throw new NgsiError('BadRequestData', 400, 'idPattern: at most 200 characters');
    try {
      idPattern = new RegExp(pattern);
    } catch {
      throw new NgsiError('BadRequestData', 400, `idPattern: ${JSON.stringify(pattern)} is not a regular expression`);
    }
  }
  const lot = one(params, 'lot');
  if (lot !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(lot)) throw new NgsiError('BadRequestData', 400, `lot: ${JSON.stringify(lot)} is not a lot id`);
  const count = one(params, 'count');
  if (count !== undefined && count !== 'true' && count !== 'false') throw new NgsiError('BadRequestData', 400, 'count: true or false');
  const options = (one(params, 'options') ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const format = one(params, 'format');
  const representation = format ?? options.find((o) => ['keyValues', 'simplified', 'normalized', 'concise'].includes(o)) ?? 'normalized';
  if (!['keyValues', 'simplified', 'normalized', 'concise'].includes(representation)) throw new NgsiError('BadRequestData', 400, `format: normalized, keyValues (simplified) or concise, got ${JSON.stringify(representation)}`);
  if (representation === 'concise') throw new NgsiError('OperationNotSupported', 422, 'format: concise is not supported here: normalized or keyValues');
  const wantsCount = count === 'true' || options.includes('count');
  const limit = intParam(one(params, 'limit'), 'limit', DEFAULT_LIMIT, wantsCount ? 0 : 1, MAX_LIMIT);
  const offset = intParam(one(params, 'offset'), 'offset', 0, 0, 1_000_000_000);
  return { types: types as EntityType[], ids, idPattern, lot, limit, offset, count: wantsCount, keyValues: representation === 'keyValues' || representation === 'simplified' };
}

function intParam(raw: string | undefined, key: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) throw new NgsiError('BadRequestData', 400, `${key}: an integer from ${min} to ${max}${key === 'limit' && min === 1 ? ' (0 only with count=true)' : ''}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Whether an entity id passes the query's `id` and `idPattern`. */
export const idMatches = (q: EntityQuery, id: string): boolean => (!q.ids || q.ids.has(id)) && (!q.idPattern || q.idPattern.test(id));
