// The dashboard's part of the shipped flows file is what flows/dashboard/ builds, and its
// function nodes do what the pages need (run here without Node-RED).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dashboardNodes, FLOWS_FILE, renderFlows, withDashboard } from '../../flows/dashboard/build.ts';
import { AVAILABILITY_STATE, CHARGING_QUERIES, CHARGING_VIEW, SYSTEM_DEVICES, SYSTEM_VIEW } from '../../flows/dashboard/functions.ts';

type Msg = { topic?: unknown; payload?: unknown };

/** A function node body with a flow context of its own. */
function functionNode(body: string, env: Record<string, string> = {}) {
  const store: Record<string, unknown> = {};
  const flow = { get: (k: string) => store[k], set: (k: string, v: unknown) => void (store[k] = v) };
  const run = new Function('msg', 'flow', 'env', body) as (msg: Msg, flow: unknown, env: unknown) => Msg | null;
  return (msg: Msg) => run(msg, flow, { get: (k: string) => env[k] });
}

describe('dashboard: the shipped flows', function () {
  it('flows/parking.json holds the dashboard as flows/dashboard/ builds it (npx tsx flows/dashboard/build.ts)', function () {
    const text = readFileSync(FLOWS_FILE, 'utf8');
    const flows = JSON.parse(text) as Array<{ id: string; type: string; [k: string]: unknown }>;
    expect(renderFlows(withDashboard(flows))).to.equal(text);
    const base = flows.filter((n) => n.type === 'ui-base');
    expect(base).to.have.length(1);
    expect(base[0].path).to.equal('/dashboard');
    expect(flows.find((n) => n.id === 'parking-sessions')?.links).to.include('dash-sessions-in');
    const ids = new Set(flows.map((n) => n.id));
    for (const n of dashboardNodes()) {
      for (const out of (n.wires as string[][] | undefined) ?? []) for (const target of out) expect(ids.has(target), `${n.id} -> ${target}`).to.equal(true);
    }
    expect(flows.filter((n) => n.type === 'ui-page').map((n) => n.path)).to.deep.equal(['/availability', '/history', '/charging', '/system']);
  });
});

describe('dashboard: slot map state', function () {
  const slot = (level: string, s: string, payload: unknown) => ({ topic: `parking/mall-1/slot/${level}/${s}`, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  type View = { lots: Array<{ lot: string; free: number; total: number; levels: Array<{ level: string; free: number; slots: Array<{ slot: string; status: string }> }> }> };

  it('keeps the newest state of each slot, accepts the short forms, sorts slots naturally', function () {
    const node = functionNode(AVAILABILITY_STATE);
    node(slot('B1', '10', { status: 'occupied', ts: 2000 }));
    node(slot('B1', '2', 'true'));
    node(slot('B1', '10', { status: 'free', ts: 1000 })); // older: ignored
    const view = node(slot('B2', '1', '0'))!.payload as View;
    expect(view.lots).to.have.length(1);
    expect(view.lots[0].levels.map((l) => [l.level, l.slots.map((s) => `${s.slot}:${s.status}`)])).to.deep.equal([
      ['B1', ['2:occupied', '10:occupied']],
      ['B2', ['1:free']],
    ]);
    expect([view.lots[0].free, view.lots[0].total]).to.deep.equal([1, 3]);
  });

  it('names a lot by the lot configuration\'s display name (PARKING_FLOWS_LOTS), and by its id without one', function () {
    const named = functionNode(AVAILABILITY_STATE, { PARKING_FLOWS_LOTS: JSON.stringify({ 'mall-1': { name: 'Mall One' } }) });
    expect((named(slot('B1', '1', 'free'))!.payload as { lots: Array<{ name: string | null }> }).lots[0].name).to.equal('Mall One');
    const broken = functionNode(AVAILABILITY_STATE, { PARKING_FLOWS_LOTS: '{oops' });
    expect((broken(slot('B1', '1', 'free'))!.payload as { lots: Array<{ name: string | null }> }).lots[0].name).to.equal(null);
  });

  it('ignores other topics, unknown statuses and broken JSON; an empty retained message removes the slot', function () {
    const node = functionNode(AVAILABILITY_STATE, { PARKING_FLOWS_TOPIC_ROOT: 'parking' });
    expect(node(slot('B1', '01', { status: 'parked' }))).to.equal(null);
    expect(node(slot('B1', '01', '{oops'))).to.equal(null);
    expect(node({ topic: 'other/mall-1/slot/B1/01', payload: 'true' })).to.equal(null);
    node(slot('B1', '01', 'free'));
    const view = node(slot('B1', '01', ''))!.payload as View;
    expect(view.lots).to.deep.equal([]);
  });
});

describe('dashboard: the System page alarms', function () {
  it('keeps the retained alarms (an empty message clears one) and lists them worst first, then oldest', function () {
    const store = new Map<string, unknown>();
    const flow = { get: (k: string) => store.get(k), set: (k: string, v: unknown) => void store.set(k, v) };
    const run = (body: string, msg: { topic: string; payload: unknown }) => (new Function('msg', 'flow', 'env', body) as (m: unknown, f: unknown, e: unknown) => { payload: Record<string, unknown> } | null)(msg, flow, { get: () => undefined });
    const alarm = (lot: string, id: string, severity: string, since: string, acknowledged = false) => ({ topic: `parking/${lot}/alarm/${id}`, payload: JSON.stringify({ kind: id, severity, since, text: `${lot} ${id}`, acknowledged }) });
    expect(run(SYSTEM_DEVICES, alarm('mall-1', 'lot-full', 'warning', '2026-12-06T10:00:00.000Z'))).to.equal(null);
    run(SYSTEM_DEVICES, alarm('mall-2', 'database-down', 'critical', '2026-12-06T10:05:00.000Z'));
    run(SYSTEM_DEVICES, alarm('mall-1', 'sensors-offline', 'warning', '2026-12-06T09:00:00.000Z', true));
    run(SYSTEM_DEVICES, { topic: 'parking/mall-3/alarm/broken', payload: '{oops' });
    let view = run(SYSTEM_VIEW, { topic: 'healthz', payload: { message: 'down' } })!.payload;
    expect((view.alarms as Array<{ lot: string; alarm: string; acknowledged: boolean }>).map((a) => `${a.lot}/${a.alarm}:${a.acknowledged}`)).to.deep.equal(['mall-2/database-down:false', 'mall-1/sensors-offline:true', 'mall-1/lot-full:false']);
    run(SYSTEM_DEVICES, { topic: 'parking/mall-2/alarm/database-down', payload: '' });
    view = run(SYSTEM_VIEW, { topic: 'healthz', payload: { message: 'down' } })!.payload;
    expect((view.alarms as unknown[]).length).to.equal(2);
  });

  it('gives the page the site\'s local time (--utc-offset), as the Charging page\'s: +07:00 unset', function () {
    const view = (env: Record<string, string>) => functionNode(SYSTEM_VIEW, env)({ topic: 'healthz', payload: { message: 'down' } })!.payload as Record<string, unknown>;
    expect(view({})).to.deep.include({ utcOffset: '+07:00', offsetMs: 7 * 3600_000 });
    expect(view({ PARKING_FLOWS_UTC_OFFSET: '+08:00' })).to.deep.include({ utcOffset: '+08:00', offsetMs: 8 * 3600_000 });
  });
});

describe('dashboard: forecasts on the Availability page', function () {
  it('says what the signage says of a lot\'s and a level\'s forecast, and forgets a cleared one', function () {
    const node = functionNode(AVAILABILITY_STATE);
    const forecast = (available: number, in30: number, fullInMinutes: number | null) => JSON.stringify({ method: 'weekday-profile', availableSpotNumber: available, forecasts: [{ minutes: 30, availableSpotNumber: in30 }], fullInMinutes });
    node({ topic: 'parking/mall-1/slot/B3/01', payload: 'free' });
    node({ topic: 'parking/mall-1/forecast', payload: forecast(20, 40, null) });
    const view = node({ topic: 'parking/mall-1/forecast/B3', payload: forecast(5, 0, 20) })!.payload as { lots: Array<{ forecast: string; levels: Array<{ forecast: string }> }> };
    expect(view.lots[0].forecast).to.equal('about 40 free in 30 min');
    expect(view.lots[0].levels[0].forecast).to.equal('full in about 20 min');
    expect(node({ topic: 'parking/mall-1/forecast/B3', payload: forecast(5, 0, 20) }), 'the same words: nothing to redraw').to.equal(null);
    expect(node({ topic: 'parking/mall-1/forecast/B3', payload: '{oops' })).to.equal(null);
    const cleared = node({ topic: 'parking/mall-1/forecast/B3', payload: '' })!.payload as typeof view;
    expect(cleared.lots[0].levels[0].forecast).to.equal('');
  });
});

describe('dashboard: the System page reads /healthz as text', function () {
  it('takes a health report, and says a page that is not one (Node-RED run alone has no /healthz) is not', function () {
    const node = functionNode(SYSTEM_VIEW);
    const report = { checkedAt: '2026-12-07T01:00:00.000Z', status: 'ok', brokers: [{ role: 'primary', url: 'mqtt://h:1883', reachable: true }], mongo: { primary: 'h:27017' }, ingest: null };
    expect((node({ topic: 'healthz', payload: JSON.stringify(report) })!.payload as { health: unknown }).health).to.deep.equal(report);
    const page = node({ topic: 'healthz', payload: '<!DOCTYPE html><title>Error</title>Cannot GET /healthz' })!.payload as { health: unknown; failovers: Array<{ text: string }> };
    expect(page.health).to.equal(null);
    expect(page.failovers.map((f) => f.text)).to.include('/healthz does not answer');
  });
});

describe('dashboard: the Charging page in the site\'s local time', function () {
  // 2026-12-06 23:30 UTC: already the 7th at +07:00 (06:30) and at +08:00 (07:30); still the 6th at -05:00.
  const exitAt = '2026-12-06T23:30:00.000Z';
  const rows = [
    { sessionId: 's1', carId: 'B1****YZ', lot: 'mall-1', status: 'closed', entryAt: '2026-12-06T22:00:00.000Z', exitAt, durationMinutes: 90, fee: 9000, currency: 'IDR' },
    { sessionId: 's2', carId: 'D7****AA', lot: 'mall-1', status: 'void', entryAt: '2026-12-06T22:00:00.000Z', exitAt, durationMinutes: 90, fee: null, currency: 'IDR' },
  ];
  function view(env: Record<string, string>) {
    const queries = functionNode(CHARGING_QUERIES, env)({}) as unknown as Array<{ day: string }>;
    const node = functionNode(CHARGING_VIEW, env);
    node({ topic: 'open', payload: [] });
    return { day: queries[1].day, page: node({ topic: 'sessions', payload: rows, day: '2026-12-07' } as Msg)!.payload as Record<string, unknown> };
  }

  it('counts the day and the hours at --utc-offset (+07:00 unset), and leaves a void session out', function () {
    const clock = Date.now;
    Date.now = () => Date.parse('2026-12-06T23:45:00.000Z');
    try {
      const wib = view({});
      expect(wib.day, 'today at +07:00').to.equal('2026-12-07');
      expect(wib.page).to.deep.include({ utcOffset: '+07:00', offsetMs: 7 * 3600_000, revenueToday: 9000, exitsToday: 1 });
      expect((wib.page.perHour as Array<{ revenue: number }>)[6].revenue, 'the exit at 06:30 local').to.equal(9000);
      const wita = view({ PARKING_FLOWS_UTC_OFFSET: '+08:00' });
      expect(wita.page).to.deep.include({ utcOffset: '+08:00', offsetMs: 8 * 3600_000, revenueToday: 9000 });
      expect((wita.page.perHour as Array<{ revenue: number }>)[7].revenue, 'the exit at 07:30 local').to.equal(9000);
      expect(view({ PARKING_FLOWS_UTC_OFFSET: '-05:00' }).day, 'still the 6th at -05:00').to.equal('2026-12-06');
      // A lot with its own local time and name: the page shows its sessions' times in it.
      const lots = view({ PARKING_FLOWS_LOTS: JSON.stringify({ 'mall-1': { name: 'Mall One', utcOffset: '+08:00' }, 'mall-2': {} }) });
      expect(lots.page.lots).to.deep.equal({ 'mall-1': { name: 'Mall One', utcOffset: '+08:00', offsetMs: 8 * 3600_000 }, 'mall-2': { name: null, utcOffset: null, offsetMs: null } });
    } finally {
      Date.now = clock;
    }
  });
});
