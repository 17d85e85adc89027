// The open-data feeds over HTTP, public and read-only:
//   GET /ngsi-ld/v1/entities?type=OffStreetParking|ParkingSpot[&id=&idPattern=&lot=&limit=&offset=&count=true&format=keyValues]
//   GET /ngsi-ld/v1/entities/{id}
//   GET /api/datex2/parking-sites[?lot=&limit=&offset=]
// Lots come first, then their slots, each in id order; pages by limit and offset (NGSI-LD:
// Link rel="next"/"prev"). Answers carry an ETag and Last-Modified (the newest observation
// in them): a repeated question gets 304. docs/opendata.md.
import { express, type Request, type Response, type Router } from '../web/express.ts';
import { parkingSite, publication, type OccupancyTrend, type Publisher } from './datex.ts';
import {
  CONTEXT,
  CONTEXT_LINK,
  idMatches,
  NgsiError,
  normalized,
  offStreetParking,
  parseEntityQuery,
  parkingSpot,
  parseEntityId,
  type Entity,
  type EntityQuery,
  type LotFacts,
  type SpotFacts,
} from './ngsi.ts';

export const NGSI_LD_PATH = '/ngsi-ld/v1/entities';
export const DATEX2_PATH = '/api/datex2/parking-sites';

/** Where the feeds' facts come from. */
export interface OpenDataSources {
  /** The lots with a summary, in id order. */
  lots(): LotFacts[];
  /** Slots in id order (`lot/level/slot`): one lot's or all, or those of `ids`; `skip`, at most `limit`, and how many match. */
  spots(q: { lot?: string; ids?: string[] }, skip: number, limit: number): Promise<{ spots: SpotFacts[]; total: number }>;
  /** How occupancy is expected to move at a lot (the forecast). */
  trend?(lot: string): OccupancyTrend | undefined;
  /** The tariff in words. */
  tariff?(): readonly string[];
}

export interface OpenDataOptions {
  sources: OpenDataSources;
  publisher: Publisher;
  logger?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

/** Most slots an idPattern over ParkingSpot looks through. */
const PATTERN_SCAN = 50_000;

/** The newest of ISO times, as ISO; undefined for none. */
const newest = (times: string[]): string | undefined => {
  const ms = Math.max(...times.map((t) => Date.parse(t)).filter(Number.isFinite));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};
/** The Last-Modified header of ISO times: the newest, as an HTTP date. */
const lastModified = (times: string[]): string | undefined => {
  const t = newest(times);
  return t && new Date(t).toUTCString();
};

function ngsiError(res: Response, err: NgsiError): void {
  // Errors are application/json, never with the @context Link (ETSI GS CIM 009, 6.3.2).
  res.status(err.status).type('application/json').set('cache-control', 'no-store').send(JSON.stringify(err.body()));
}

export function openDataRouter(o: OpenDataOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  const locationOf = (lot: string) => o.sources.lots().find((l) => l.summary.lot === lot)?.location;

  /** The entities of a query's page, and the number matching. */
  async function page(q: EntityQuery): Promise<{ items: Array<{ entity: Entity; observedAt: string }>; total: number }> {
    const lots = q.types.includes('OffStreetParking') ? o.sources.lots().filter((l) => (!q.lot || l.summary.lot === q.lot)).map(offStreetParking).filter((e) => idMatches(q, e.entity.id)) : [];
    const items = lots.slice(q.offset, q.offset + q.limit);
    let total = lots.length;
    if (q.types.includes('ParkingSpot')) {
      const skip = Math.max(0, q.offset - lots.length);
      const room = q.limit - items.length;
      const spotEntity = (s: SpotFacts) => parkingSpot(s, locationOf(s.lot));
      if (q.idPattern) {
        const all = await o.sources.spots({ lot: q.lot }, 0, PATTERN_SCAN);
        if (all.total > PATTERN_SCAN) throw new NgsiError('BadRequestData', 400, `idPattern: over ${PATTERN_SCAN} slots to look through; add lot=`);
        const matching = all.spots.map(spotEntity).filter((e) => idMatches(q, e.entity.id));
        items.push(...matching.slice(skip, skip + room));
        total += matching.length;
      } else {
        const ids = q.ids ? [...q.ids].map(parseEntityId).filter((p) => p?.type === 'ParkingSpot').map((p) => p as { lot: string; level: string; slot: string }).filter((p) => !q.lot || p.lot === q.lot).map((p) => `${p.lot}/${p.level}/${p.slot}`) : undefined;
        if (ids?.length === 0) return { items, total };
        const found = await o.sources.spots({ lot: q.lot, ids }, skip, room);
        items.push(...found.spots.map(spotEntity));
        total += found.total;
      }
    }
    return { items, total };
  }

  router.get(NGSI_LD_PATH, (req: Request, res: Response) => {
    const type = req.accepts(['application/json', 'application/ld+json']);
    if (!type) return void res.status(406).type('application/json').send(JSON.stringify({ type: 'https://uri.etsi.org/ngsi-ld/errors/InvalidRequest', title: 'Not acceptable', detail: 'answers are application/json or application/ld+json', status: 406 }));
    let q: EntityQuery;
    try {
      q = parseEntityQuery(req.query);
    } catch (err) {
      if (err instanceof NgsiError) return ngsiError(res, err);
      throw err;
    }
    page(q)
      .then(({ items, total }) => {
        const ld = type === 'application/ld+json';
        const body = items.map(({ entity, observedAt }) => {
          const shaped = q.keyValues ? entity : normalized(entity, observedAt);
          return ld ? { ...shaped, '@context': CONTEXT } : shaped;
        });
        const links: string[] = [];
        const base = `${req.baseUrl}${NGSI_LD_PATH}`;
        const at = (offset: number) => {
          const params = new URLSearchParams(req.query as Record<string, string>);
          params.delete('limit');
          params.delete('offset');
          params.set('limit', String(q.limit));
          params.set('offset', String(offset));
          return `${base}?${params}`;
        };
        if (q.limit > 0 && q.offset + q.limit < total) links.push(`<${at(q.offset + q.limit)}>; rel="next"; type="${type}"`);
        if (q.offset > 0) links.push(`<${at(Math.max(0, q.offset - Math.max(1, q.limit)))}>; rel="prev"; type="${type}"`);
        if (!ld) links.push(CONTEXT_LINK);
        res.set('link', links.join(', '));
        if (q.count) res.set('ngsild-results-count', String(total));
        const modified = lastModified(items.map((i) => i.observedAt));
        if (modified) res.set('last-modified', modified);
        res.status(200).type(type).set('cache-control', 'public, max-age=5').send(JSON.stringify(body));
      })
      .catch((err: Error) => {
        if (err instanceof NgsiError) return ngsiError(res, err);
        o.logger?.warn({ err: err.message }, 'open data: NGSI-LD query failed');
        res.status(503).type('application/json').set('cache-control', 'no-store').send(JSON.stringify({ type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError', title: 'Internal error', detail: `the slot states are not available now: ${err.message}`, status: 503 }));
      });
  });

  router.get(`${NGSI_LD_PATH}/:id`, (req: Request, res: Response) => {
    const type = req.accepts(['application/json', 'application/ld+json']);
    if (!type) return void res.status(406).end();
    const parsed = parseEntityId(req.params.id);
    const notFound = () => ngsiError(res, new NgsiError('ResourceNotFound', 404, `${req.params.id} was not found`));
    if (!parsed) return notFound();
    const format = typeof req.query.format === 'string' ? req.query.format : typeof req.query.options === 'string' ? req.query.options : 'normalized';
    const keyValues = format.split(',').some((f) => f === 'keyValues' || f === 'simplified');
    const found: Promise<{ entity: Entity; observedAt: string } | undefined> =
      parsed.type === 'OffStreetParking'
        ? Promise.resolve(o.sources.lots().find((l) => l.summary.lot === parsed.lot)).then((l) => (l ? offStreetParking(l) : undefined))
        : o.sources.spots({ ids: [`${parsed.lot}/${parsed.level}/${parsed.slot}`] }, 0, 1).then((r) => (r.spots[0] ? parkingSpot(r.spots[0], locationOf(parsed.lot)) : undefined));
    found
      .then((item) => {
        if (!item) return notFound();
        const shaped = keyValues ? item.entity : normalized(item.entity, item.observedAt);
        const ld = type === 'application/ld+json';
        if (!ld) res.set('link', CONTEXT_LINK);
        res.set('last-modified', new Date(item.observedAt).toUTCString());
        res.status(200).type(type).set('cache-control', 'public, max-age=5').send(JSON.stringify(ld ? { ...shaped, '@context': CONTEXT } : shaped));
      })
      .catch((err: Error) => {
        o.logger?.warn({ err: err.message }, 'open data: NGSI-LD entity failed');
        res.status(503).type('application/json').send(JSON.stringify({ type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError', title: 'Internal error', detail: err.message, status: 503 }));
      });
  });

  router.get(DATEX2_PATH, (req: Request, res: Response) => {
    const bad = (parameter: string, error: string, status = 400) => void res.status(status).type('application/json').set('cache-control', 'no-store').send(JSON.stringify({ error: `${parameter}: ${error}`, parameter }));
    // JSON only: a client asking for XML alone is told so, not handed JSON it cannot read.
    if (!req.accepts(['application/json'])) return bad('accept', `the DATEX II publication is served as application/json only, not ${req.get('accept')}`, 406);
    const lot = req.query.lot;
    if (lot !== undefined && (typeof lot !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(lot))) return bad('lot', 'a lot id');
    const int = (key: string, fallback: number, max: number): number | undefined => {
      const raw = req.query[key];
      if (raw === undefined) return fallback;
      const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
      return n <= max ? n : undefined;
    };
    const limit = int('limit', 1000, 1000);
    const offset = int('offset', 0, 1_000_000_000);
    if (limit === undefined || limit < 1) return bad('limit', 'an integer from 1 to 1000');
    if (offset === undefined) return bad('offset', 'a whole number');
    const lots = o.sources.lots().filter((l) => !lot || l.summary.lot === lot);
    const shown = lots.slice(offset, offset + limit);
    const tariff = o.sources.tariff?.() ?? [];
    const sites = shown.map((l) => parkingSite(l, { trend: o.sources.trend?.(l.summary.lot), tariffDescription: tariff }));
    const latest = newest(shown.map((l) => l.summary.observedAt));
    if (latest) res.set('last-modified', new Date(latest).toUTCString());
    res.set('x-total-count', String(lots.length));
    res.status(200).type('application/json').set('cache-control', 'public, max-age=5').send(JSON.stringify(publication(sites, o.publisher, new Date(latest ?? now()))));
  });
  return router;
}
