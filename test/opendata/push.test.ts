import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { summarise } from '../../contract/index.ts';
import { ngsiPusher, offStreetParking, parkingSpot, type Pusher } from '../../opendata/index.ts';
import { until } from '../link/wait.ts';

interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown>;
  link?: string;
}

/** A context broker that keeps its entities; `mode` makes it fail or stall. */
function fakeBroker() {
  const entities = new Map<string, Record<string, unknown>>();
  const seen: Seen[] = [];
  const state = { mode: 'ok' as 'ok' | 'error' | 'stall' };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      seen.push({ method: req.method!, path: req.url!, body, link: req.headers.link as string | undefined });
      if (state.mode === 'stall') return;
      if (state.mode === 'error') return void res.writeHead(500).end();
      const m = /^\/ngsi-ld\/v1\/entities\/([^/]+)\/attrs$/.exec(req.url!);
      if (req.method === 'PATCH' && m) {
        const id = decodeURIComponent(m[1]);
        if (!entities.has(id)) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"}');
        entities.set(id, { ...entities.get(id), ...body });
        return void res.writeHead(204).end();
      }
      if (req.method === 'POST' && req.url === '/ngsi-ld/v1/entities') {
        entities.set(body.id as string, body);
        return void res.writeHead(201).end();
      }
      res.writeHead(400).end();
    });
  });
  return { server, entities, seen, state };
}

describe('open data: the NGSI-LD push to a context broker', function () {
  this.timeout(30_000);
  let broker: ReturnType<typeof fakeBroker>;
  let url: string;
  let pusher: Pusher;

  beforeEach(async function () {
    broker = fakeBroker();
    await new Promise<void>((resolve) => broker.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(broker.server.address() as AddressInfo).port}`;
  });
  afterEach(async function () {
    await pusher?.close();
    broker.server.closeAllConnections();
    await new Promise((resolve) => broker.server.close(resolve));
  });

  const lot = (free: number) => offStreetParking({ summary: summarise('mall-1', [...Array.from({ length: free }, () => ({ level: 'B1', status: 'free' as const })), { level: 'B1', status: 'occupied' as const }], new Date()) });

  it('creates an entity the broker does not know, then patches its attributes, normalized, with the @context by Link', async function () {
    pusher = ngsiPusher({ url: `${url}/` });
    const first = lot(3);
    pusher.push(first.entity, first.observedAt);
    await until(() => broker.entities.has('urn:ngsi-ld:OffStreetParking:mall-1'), { what: () => JSON.stringify(broker.seen) });
    expect(broker.seen.map((s) => [s.method, s.path])).to.deep.equal([
      ['PATCH', '/ngsi-ld/v1/entities/urn%3Angsi-ld%3AOffStreetParking%3Amall-1/attrs'],
      ['POST', '/ngsi-ld/v1/entities'],
    ]);
    expect(broker.seen[1].body).to.deep.include({ id: 'urn:ngsi-ld:OffStreetParking:mall-1', type: 'OffStreetParking' });
    expect(broker.seen[0].link).to.match(/json-ld#context/);
    const next = lot(2);
    pusher.push(next.entity, next.observedAt);
    await until(() => pusher.stats().sent === 2);
    expect(broker.seen[2].body.availableSpotNumber).to.deep.equal({ type: 'Property', value: 2, observedAt: next.observedAt });
    expect(broker.seen[2].body).to.not.have.any.keys('id', 'type');
    expect(pusher.stats()).to.deep.include({ created: 1, failed: 0, down: null });
  });

  it('keeps only the newest state of an entity while the broker is down, and sends it when it is back', async function () {
    pusher = ngsiPusher({ url, timeoutMs: 300 });
    const spot = (status: string, ts: number) => parkingSpot({ lot: 'mall-1', level: 'B1', slot: '7', status, ts, device: 'pi-7' });
    broker.state.mode = 'error';
    const a = spot('occupied', 1000);
    pusher.push(a.entity, a.observedAt);
    await until(() => pusher.stats().failed === 1);
    expect(pusher.stats().down).to.match(/HTTP 500/);
    for (let i = 0; i < 20; i += 1) {
      const s = spot(i % 2 ? 'free' : 'occupied', 2000 + i);
      pusher.push(s.entity, s.observedAt);
    }
    expect(pusher.stats().pending, 'twenty changes of one slot: one pending').to.equal(1);
    broker.state.mode = 'ok';
    await until(() => broker.entities.has('urn:ngsi-ld:ParkingSpot:mall-1:B1:7'), { timeoutMs: 10_000 });
    expect((broker.entities.get('urn:ngsi-ld:ParkingSpot:mall-1:B1:7')!.status as { value: string }).value, 'the newest').to.equal('free');
    await until(() => pusher.stats().down === null);
    expect(broker.seen.length, 'no request per change').to.be.below(8);
  });

  it('a stalled broker costs a request its deadline, never more', async function () {
    pusher = ngsiPusher({ url, timeoutMs: 200, concurrency: 2 });
    broker.state.mode = 'stall';
    const started = Date.now();
    for (let i = 0; i < 5; i += 1) {
      const s = parkingSpot({ lot: 'mall-1', level: 'B1', slot: String(i), status: 'free', ts: i, device: null });
      pusher.push(s.entity, s.observedAt);
    }
    expect(broker.seen.length <= 2, 'at most 2 at once').to.equal(true);
    await until(() => pusher.stats().failed >= 2, { timeoutMs: 5000 });
    expect(Date.now() - started).to.be.below(2000);
    expect(pusher.stats().pending).to.be.at.least(3);
    await pusher.close();
  });
});
