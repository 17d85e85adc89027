import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { summarise } from '../../contract/index.ts';
import { describeTariff, DEFAULT_TARIFF } from '../../billing/index.ts';
import {
  CONTEXT,
  mongoSpots,
  NgsiError,
  normalized,
  offStreetParking,
  openDataRouter,
  parkingSite,
  parkingSpot,
  parseEntityQuery,
  publication,
  trendOf,
  type LotFacts,
  type SpotFacts,
} from '../../opendata/index.ts';
import { express } from '../../web/express.ts';
import { statusOf } from '../helpers/http.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import type { SlotDoc } from '../../ingest/store.ts';

// CommonJS modules: their default export is `.default` under NodeNext typing (and at run time too).
const ajv = new Ajv.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const schema = (name: string) => ajv.compile(JSON.parse(readFileSync(new URL(`./schemas/${name}.schema.json`, import.meta.url), 'utf8')));
const validOffStreet = schema('OffStreetParking');
const validSpot = schema('ParkingSpot');
const validDatex = schema('ParkingPublicationLight');
const valid = (check: ReturnType<typeof schema>, doc: unknown) => {
  const ok = check(doc);
  expect(ok, JSON.stringify(check.errors)).to.equal(true);
};

const AT = new Date('2026-12-07T02:00:00.000Z');
const MONAS = { latitude: -6.1754, longitude: 106.8272 };
const slots = (free: number, occupied: number, unknown = 0) => [
  ...Array.from({ length: free }, () => ({ level: 'B1', status: 'free' as const })),
  ...Array.from({ length: occupied }, () => ({ level: 'B2', status: 'occupied' as const })),
  ...Array.from({ length: unknown }, () => ({ level: 'B2', status: 'unknown' as const })),
];
const lot = (id: string, free: number, occupied: number, unknown = 0, location: LotFacts['location'] | null = MONAS): LotFacts => ({ summary: summarise(id, slots(free, occupied, unknown), AT), name: `Lot ${id}`, location: location ?? undefined });
const spot = (level: string, slot: string, status = 'occupied', device: string | null = 'pi-1'): SpotFacts => ({ lot: 'mall-1', level, slot, status, ts: AT.getTime(), device });

describe('open data: NGSI-LD entities and DATEX II sites (pure)', function () {
  it('a lot is an OffStreetParking that validates against the Smart Data Model; normalized, each count observed when the lot was', function () {
    const { entity, observedAt } = offStreetParking(lot('mall-1', 12, 40));
    expect(entity).to.deep.include({ id: 'urn:ngsi-ld:OffStreetParking:mall-1', type: 'OffStreetParking', name: 'Lot mall-1', totalSpotNumber: 52, availableSpotNumber: 12, occupiedSpotNumber: 40, outOfServiceSlotNumber: 0, status: ['open', 'spacesAvailable'] });
    expect(entity.location).to.deep.equal({ type: 'Point', coordinates: [106.8272, -6.1754] });
    valid(validOffStreet, entity);
    valid(validOffStreet, { ...entity, '@context': CONTEXT });
    const n = normalized(entity, observedAt);
    expect(n.availableSpotNumber).to.deep.equal({ type: 'Property', value: 12, observedAt: AT.toISOString() });
    expect(n.location).to.deep.equal({ type: 'GeoProperty', value: { type: 'Point', coordinates: [106.8272, -6.1754] } });
    expect(n.name).to.deep.equal({ type: 'Property', value: 'Lot mall-1' });
  });

  it('a lot whose sensors are all silent claims no counts, only its total and when it was last heard from', function () {
    const { entity } = offStreetParking(lot('quiet', 0, 0, 10));
    expect(entity).to.not.have.any.keys('availableSpotNumber', 'occupiedSpotNumber', 'status');
    expect(entity).to.deep.include({ totalSpotNumber: 10, observationDateTime: AT.toISOString() });
    valid(validOffStreet, entity);
    const site = parkingSite(lot('quiet', 0, 0, 10));
    expect(site).to.not.have.property('availableSpaces');
    expect(site.occupancyTrend).to.deep.equal({ value: 'unknown' });
  });

  it('a slot is a ParkingSpot that validates; its device a relationship; an odd status reads unknown', function () {
    const { entity, observedAt } = parkingSpot(spot('B1', '7'), MONAS);
    expect(entity).to.deep.include({ id: 'urn:ngsi-ld:ParkingSpot:mall-1:B1:7', status: 'occupied', category: ['offStreet'], refParkingSite: 'urn:ngsi-ld:OffStreetParking:mall-1', refDevice: ['urn:ngsi-ld:Device:pi-1'] });
    valid(validSpot, entity);
    expect(parkingSpot(spot('B1', '8', 'broken', null), MONAS).entity).to.deep.include({ status: 'unknown' }).and.not.have.property('refDevice');
    const n = normalized(entity, observedAt);
    expect(n.status).to.deep.equal({ type: 'Property', value: 'occupied', observedAt: AT.toISOString() });
    expect(n.refParkingSite).to.deep.equal({ type: 'Relationship', object: 'urn:ngsi-ld:OffStreetParking:mall-1' });
    expect(n.refDevice).to.deep.equal({ type: 'Relationship', object: 'urn:ngsi-ld:Device:pi-1' });
  });

  it('reads the NGSI-LD query, refusing what it does not implement rather than ignoring it', function () {
    expect(parseEntityQuery({ type: 'OffStreetParking' })).to.deep.include({ types: ['OffStreetParking'], limit: 20, offset: 0, count: false, keyValues: false });
    expect(parseEntityQuery({ type: 'OffStreetParking,ParkingSpot', options: 'keyValues,count', limit: '0' })).to.deep.include({ limit: 0, count: true, keyValues: true });
    expect(parseEntityQuery({ type: 'ParkingSpot', format: 'simplified', lot: 'mall-1', id: 'urn:ngsi-ld:ParkingSpot:mall-1:B1:7' }).ids).to.deep.equal(new Set(['urn:ngsi-ld:ParkingSpot:mall-1:B1:7']));
    const refused = (params: Record<string, unknown>, kind: string, status: number, text: RegExp) => {
      try {
        parseEntityQuery(params);
      } catch (err) {
        expect(err).to.be.instanceOf(NgsiError);
        expect([(err as NgsiError).kind, (err as NgsiError).status]).to.deep.equal([kind, status]);
        expect((err as NgsiError).detail).to.match(text);
        return;
      }
      expect.fail(`accepted ${JSON.stringify(params)}`);
    };
    refused({}, 'BadRequestData', 400, /type: required/);
    refused({ id: 'urn:ngsi-ld:OffStreetParking:mall-1' }, 'BadRequestData', 400, /type: required/);
    refused({ type: 'Vehicle' }, 'BadRequestData', 400, /not served here/);
    refused({ type: 'ParkingSpot', q: 'status=="free"' }, 'OperationNotSupported', 422, /^q: not supported/);
    refused({ type: 'ParkingSpot', limit: '0' }, 'BadRequestData', 400, /limit: .*0 only with count/);
    refused({ type: 'ParkingSpot', limit: '1001' }, 'BadRequestData', 400, /limit/);
    refused({ type: 'ParkingSpot', format: 'concise' }, 'OperationNotSupported', 422, /concise/);
    refused({ type: 'ParkingSpot', idPattern: '(' }, 'BadRequestData', 400, /idPattern/);
    refused({ type: 'ParkingSpot', id: 'not a uri' }, 'BadRequestData', 400, /not a URI/);
    refused({ type: ['ParkingSpot', 'OffStreetParking'] }, 'BadRequestData', 400, /give it once/);
  });

  it('the lots are a DATEX II Parking Publication Light that validates against its schema', function () {
    const sites = [parkingSite(lot('mall-1', 12, 40), { trend: 'increasingSlowly', tariffDescription: describeTariff(DEFAULT_TARIFF) }), parkingSite(lot('mall-2', 0, 0, 0))];
    const pub = publication(sites, { country: 'ID', nationalIdentifier: 'smart-parking', name: 'Parking sites', lang: 'en' }, AT);
    valid(validDatex, pub);
    expect(sites[0]).to.deep.include({ _id: 'mall-1', numberOfSpaces: 52, availableSpaces: 12, isOpenNow: true, temporaryClosed: false, lastUpdate: AT.toISOString() });
    expect(sites[0].type).to.deep.equal({ value: 'carPark' });
    expect(sites[0].occupancyTrend).to.deep.equal({ value: 'increasingSlowly' });
    expect(sites[0].tariffDescription).to.deep.equal(['Standard car tariff: Rp5.000 the first hour, then Rp4.000 each further hour begun', 'free for stays under 10 min', 'at most Rp40.000 a day', 'lost ticket: Rp50.000']);
    expect(sites[0].locationAndDimension).to.deep.equal({ coordinatesForDisplay: { latitude: -6.1754, longitude: 106.8272 } });
    // Without a location the standard's site is incomplete: the schema says so.
    expect(validDatex(publication([parkingSite(lot('nowhere', 1, 1, 0, null))], { country: 'ID', nationalIdentifier: 'x', name: 'x', lang: 'en' }, AT))).to.equal(false);
    expect([trendOf(20, 20, 100), trendOf(20, 15, 100), trendOf(20, 5, 100), trendOf(20, 25, 100), trendOf(20, undefined, 100)]).to.deep.equal(['stable', 'increasingSlowly', 'increasingQuickly', 'decreasingSlowly', 'unknown']);
  });
});

describe('open data over HTTP', function () {
  this.timeout(30_000);
  let server: Server;
  let base: string;
  const lots = [lot('mall-1', 12, 40), lot('mall-2', 3, 7)];
  const allSpots = [spot('B1', '1', 'free'), spot('B1', '2'), spot('B2', '1', 'unknown', null)];
  const sources = {
    lots: () => lots,
    spots: async (q: { lot?: string; ids?: string[] }, skip: number, limit: number) => {
      const matching = allSpots.filter((s) => (!q.lot || s.lot === q.lot) && (!q.ids || q.ids.includes(`${s.lot}/${s.level}/${s.slot}`)));
      return { spots: matching.slice(skip, skip + limit), total: matching.length };
    },
    trend: () => 'stable' as const,
    tariff: () => ['flat'],
  };

  before(async function () {
    const app = express();
    app.use(openDataRouter({ sources, publisher: { country: 'ID', nationalIdentifier: 'test', name: 'Test sites', lang: 'en' } }));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('lists the lots as normalized entities with the @context by Link, or in the body for application/ld+json', async function () {
    const res = await fetch(`${base}/ngsi-ld/v1/entities?type=OffStreetParking`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    expect(res.headers.get('link')).to.include('rel="http://www.w3.org/ns/json-ld#context"');
    expect(res.headers.get('last-modified')).to.equal(AT.toUTCString());
    const body = (await res.json()) as Array<Record<string, { value?: unknown }>>;
    expect(body.map((e) => e.id)).to.deep.equal(['urn:ngsi-ld:OffStreetParking:mall-1', 'urn:ngsi-ld:OffStreetParking:mall-2']);
    expect(body[1].availableSpotNumber.value).to.equal(3);
    const ld = await fetch(`${base}/ngsi-ld/v1/entities?type=OffStreetParking&format=keyValues`, { headers: { accept: 'application/ld+json' } });
    expect(ld.headers.get('content-type')).to.match(/^application\/ld\+json/);
    const kv = (await ld.json()) as Array<Record<string, unknown>>;
    expect(kv[0]['@context']).to.deep.equal(CONTEXT);
    valid(validOffStreet, kv[0]);
    const etag = res.headers.get('etag');
    expect(await statusOf(`${base}/ngsi-ld/v1/entities?type=OffStreetParking`, { 'if-none-match': etag! })).to.equal(304);
    expect((await fetch(`${base}/ngsi-ld/v1/entities?type=OffStreetParking`, { headers: { accept: 'text/csv' } })).status).to.equal(406);
  });

  it('pages lots then slots with limit and offset, counts them, links the next and previous page', async function () {
    const res = await fetch(`${base}/ngsi-ld/v1/entities?type=OffStreetParking,ParkingSpot&limit=2&offset=1&count=true&format=keyValues`);
    expect(res.headers.get('ngsild-results-count')).to.equal('5');
    const ids = ((await res.json()) as Array<{ id: string }>).map((e) => e.id);
    expect(ids).to.deep.equal(['urn:ngsi-ld:OffStreetParking:mall-2', 'urn:ngsi-ld:ParkingSpot:mall-1:B1:1']);
    const link = res.headers.get('link')!;
    expect(link).to.include('limit=2&offset=3>; rel="next"');
    expect(link).to.include('limit=2&offset=0>; rel="prev"');
    const last = (await (await fetch(`${base}/ngsi-ld/v1/entities?type=ParkingSpot&offset=2&format=keyValues`)).json()) as Array<Record<string, unknown>>;
    expect(last).to.have.length(1);
    expect(last[0]).to.deep.include({ status: 'unknown', refParkingSite: 'urn:ngsi-ld:OffStreetParking:mall-1' });
    valid(validSpot, last[0]);
    const counted = await fetch(`${base}/ngsi-ld/v1/entities?type=ParkingSpot&limit=0&count=true`);
    expect([counted.headers.get('ngsild-results-count'), await counted.json()]).to.deep.equal(['3', []]);
    const picked = (await (await fetch(`${base}/ngsi-ld/v1/entities?type=ParkingSpot&idPattern=${encodeURIComponent(':B1:')}&format=keyValues`)).json()) as Array<{ id: string }>;
    expect(picked.map((e) => e.id)).to.deep.equal(['urn:ngsi-ld:ParkingSpot:mall-1:B1:1', 'urn:ngsi-ld:ParkingSpot:mall-1:B1:2']);
  });

  it('one entity by id; an unknown one and a bad query answer NGSI-LD errors', async function () {
    const one = await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent('urn:ngsi-ld:ParkingSpot:mall-1:B1:2')}?format=keyValues`);
    expect(one.status).to.equal(200);
    expect(await one.json()).to.deep.include({ id: 'urn:ngsi-ld:ParkingSpot:mall-1:B1:2', status: 'occupied' });
    const missing = await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent('urn:ngsi-ld:OffStreetParking:nope')}`);
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('content-type')).to.match(/^application\/json/);
    expect(missing.headers.get('link')).to.equal(null);
    expect(await missing.json()).to.deep.include({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', status: 404 });
    const bad = await fetch(`${base}/ngsi-ld/v1/entities?type=ParkingSpot&q=status==%22free%22`);
    expect(bad.status).to.equal(422);
    expect(await bad.json()).to.deep.include({ type: 'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported', title: 'Operation not supported' });
  });

  it('serves the DATEX II publication, filterable by lot and paged; it validates', async function () {
    const res = await fetch(`${base}/api/datex2/parking-sites`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-total-count')).to.equal('2');
    const pub = (await res.json()) as { parkingPublicationLight: { parkingSite: Array<{ _id: string }>; publicationTime: string } };
    valid(validDatex, pub);
    expect(pub.parkingPublicationLight.parkingSite.map((s) => s._id)).to.deep.equal(['mall-1', 'mall-2']);
    expect(pub.parkingPublicationLight.publicationTime, 'stable, so the ETag is').to.equal(AT.toISOString());
    const one = (await (await fetch(`${base}/api/datex2/parking-sites?lot=mall-2`)).json()) as typeof pub;
    expect(one.parkingPublicationLight.parkingSite.map((s) => s._id)).to.deep.equal(['mall-2']);
    const paged = (await (await fetch(`${base}/api/datex2/parking-sites?offset=1&limit=1`)).json()) as typeof pub;
    expect(paged.parkingPublicationLight.parkingSite.map((s) => s._id)).to.deep.equal(['mall-2']);
    expect((await fetch(`${base}/api/datex2/parking-sites?limit=0`)).status).to.equal(400);
    const xml = await fetch(`${base}/api/datex2/parking-sites`, { headers: { accept: 'application/xml' } });
    expect(xml.status, 'XML alone is not served').to.equal(406);
    expect(((await xml.json()) as { error: string }).error).to.match(/application\/json only/);
    expect((await fetch(`${base}/api/datex2/parking-sites`, { headers: { accept: 'application/xml, application/json;q=0.5' } })).status).to.equal(200);
    expect((await fetch(`${base}/api/datex2/parking-sites?lot=a%20b`)).status).to.equal(400);
    expect(await statusOf(`${base}/api/datex2/parking-sites`, { 'if-none-match': res.headers.get('etag')! })).to.equal(304);
    expect(await statusOf(`${base}/api/datex2/parking-sites`, { 'if-modified-since': res.headers.get('last-modified')! }), 'Last-Modified').to.equal(304);
  });
});

describe('open data: the slots from MongoDB', function () {
  this.timeout(30_000);
  let m: TestMongo;
  before(async function () {
    m = await startTestMongo();
  });
  after(async function () {
    await m?.close();
  });

  it('pages the slots in id order, one lot or all, or by id, and counts them', async function () {
    const slotsCollection = m.client().db(m.dbName).collection<SlotDoc>('slots');
    await slotsCollection.insertMany(['a/B1/1', 'a/B1/2', 'b/L1/1'].map((id) => {
      const [lotId, level, slotId] = id.split('/');
      return { _id: id, lot: lotId, level, slot: slotId, status: 'free', ts: AT.getTime(), device: 'pi', since: AT, updatedAt: AT };
    }));
    const spots = mongoSpots(slotsCollection);
    const page = await spots({}, 1, 1);
    expect(page.total).to.equal(3);
    expect(page.spots).to.deep.equal([{ lot: 'a', level: 'B1', slot: '2', status: 'free', ts: AT.getTime(), device: 'pi' }]);
    expect((await spots({ lot: 'b' }, 0, 10)).spots.map((s) => s.slot)).to.deep.equal(['1']);
    expect((await spots({ ids: ['a/B1/1', 'zz/1/1'] }, 0, 10)).total).to.equal(1);
    expect((await spots({}, 0, 0)).spots).to.deep.equal([]);
  });
});
