// The signage page's display logic (web/assets/view.js), in Node.
import { expect } from 'chai';
import { Topics } from '../../contract/index.ts';
import { SignageState as TerminalSignage } from '../../devices/signage/index.ts';
import { applyMessage, connectionView, createState, displayModel, figures, forecastText, formatAge, resolveBrokerUrls, statusOf, subscriptionsFor, waitingText, type SignageState } from '../../web/assets/view.js';

const T = Date.parse('2026-11-22T10:00:00.000Z');
const summary = (free: number, total: number, status: string, levels: Record<string, [number, number]>, observedAt = '2026-11-22T10:00:00.000Z') =>
  JSON.stringify({
    lot: 'mall-1',
    availableSpotNumber: free,
    occupiedSpotNumber: total - free,
    closedSpotNumber: 0,
    unknownSpotNumber: 0,
    totalSpotNumber: total,
    status,
    levels: Object.fromEntries(Object.entries(levels).map(([name, [f, t]]) => [name, { availableSpotNumber: f, totalSpotNumber: t }])),
    observedAt,
  });

function feed(messages: Array<[string, string, { retained?: boolean; receivedAt?: number }?]>, lot = 'mall-1', root = 'parking'): SignageState {
  let state = createState(lot, root);
  for (const [topic, payload, meta] of messages) state = applyMessage(state, topic, payload, meta).state;
  return state;
}

describe('web: signage display logic', () => {
  it('subscribes to the lot summary and its levels', () => {
    expect(subscriptionsFor('mall-1', 'city/parking')).to.deep.equal(['city/parking/mall-1/availability', 'city/parking/mall-1/availability/+', 'city/parking/mall-1/forecast', 'city/parking/mall-1/forecast/+']);
  });

  it('shows the summary: free and total of the lot, each level, the status', () => {
    const state = feed([['parking/mall-1/availability', summary(12, 52, 'spacesAvailable', { B2: [7, 26], B1: [5, 26] })]]);
    const model = displayModel(state, { now: T + 4_000, connection: { phase: 'connected', role: 'primary' } });
    expect(model).to.deep.include({ lot: 'mall-1', free: '12', total: 'of 52', status: 'spacesAvailable', statusText: 'SPACES', updated: 'updated 4s ago' });
    expect(model.levels).to.deep.equal([
      { name: 'B1', free: '5', total: 'of 26', status: 'spacesAvailable', forecast: '' },
      { name: 'B2', free: '7', total: 'of 26', status: 'spacesAvailable', forecast: '' },
    ]);
    expect(model.connection).to.deep.equal({ tone: 'live', text: 'live' });
  });

  it('lets the per-level integers win over the summary, and sums them without a summary', () => {
    const withSummary = feed([
      ['parking/mall-1/availability', summary(12, 52, 'spacesAvailable', { B1: [5, 26], B2: [7, 26] })],
      ['parking/mall-1/availability/B1', '4'],
    ]);
    expect(figures(withSummary).levels).to.deep.equal([
      { name: 'B1', free: 4, total: 26, unknown: undefined },
      { name: 'B2', free: 7, total: 26, unknown: undefined },
    ]);
    expect(figures(withSummary).free, 'the lot total is the summary\'s').to.equal(12);
    const levelsOnly = feed([
      ['parking/mall-1/availability/B1', '3'],
      ['parking/mall-1/availability/B2', ' 9\n'],
    ]);
    expect(displayModel(levelsOnly, { now: T, connection: undefined })).to.deep.include({ free: '12', total: '', status: 'spacesAvailable' });
  });

  it('says how many sensors report, and is not FULL while some are silent', () => {
    const doc = (unknown: number) =>
      JSON.stringify({
        lot: 'mall-1', availableSpotNumber: 0, occupiedSpotNumber: 52 - unknown, closedSpotNumber: 0, unknownSpotNumber: unknown, totalSpotNumber: 52, status: 'full',
        levels: { B1: { availableSpotNumber: 0, totalSpotNumber: 26, unknownSpotNumber: Math.max(0, unknown - 26) }, B2: { availableSpotNumber: 0, totalSpotNumber: 26, unknownSpotNumber: Math.min(26, unknown) } },
        observedAt: '2026-11-22T10:00:00.000Z',
      });
    const silent = displayModel(feed([['parking/mall-1/availability', doc(51)]]), { now: T + 4_000, connection: undefined });
    expect(silent).to.deep.include({ free: '0', total: 'of 52', status: 'unknown', statusText: '1 OF 52 SENSORS REPORTING', updated: 'updated 4s ago · 1 of 52 sensors reporting' });
    expect(silent.levels.map((l) => l.status), 'B1 has one sensor reporting, B2 none').to.deep.equal(['unknown', 'unknown']);
    const full = displayModel(feed([['parking/mall-1/availability', doc(0)]]), { now: T + 4_000, connection: undefined });
    expect(full).to.deep.include({ status: 'full', statusText: 'FULL', updated: 'updated 4s ago' });
  });

  it('agrees with the terminal signage on the same messages', () => {
    const messages: Array<[string, string]> = [
      ['parking/mall-1/availability/B1', '2'],
      ['parking/mall-1/availability', summary(3, 40, 'almostFull', { B1: [1, 20], B2: [2, 20] })],
      ['parking/mall-1/availability/B3', '0'],
      ['parking/other/availability/B1', '9'],
      ['parking/mall-1/availability/B2', 'lots'],
      ['parking/mall-1/availability', ''],
      ['parking/mall-1/availability/B1', ''],
    ];
    const terminal = new TerminalSignage('mall-1', new Topics());
    let state = createState('mall-1', 'parking');
    for (const [topic, payload] of messages) {
      terminal.apply(topic, payload);
      state = applyMessage(state, topic, payload).state;
      const view = terminal.view();
      const f = figures(state);
      expect({ free: f.free, total: f.total, status: f.status, levels: f.levels.map((l) => [l.name, l.free, l.total]) }, `after ${topic} ${payload}`).to.deep.equal({
        free: view.free,
        total: view.total,
        status: view.status,
        levels: view.levels.map((l) => [l.level, l.free, l.total]),
      });
    }
  });

  it('ignores other lots, other topics, malformed payloads and malformed level ids', () => {
    const base = feed([['parking/mall-1/availability', summary(12, 52, 'spacesAvailable', { B1: [5, 26] })]]);
    for (const [topic, payload] of [
      ['parking/mall-2/availability', summary(1, 2, 'almostFull', {})],
      ['parking/mall-1/slot/B1/07', 'true'],
      ['parking/mall-1/availability', '{"availableSpotNumber":'],
      ['parking/mall-1/availability', '[1,2]'],
      ['parking/mall-1/availability/B1', '-3'],
      ['parking/mall-1/availability/B1', '1.5'],
      ['parking/mall-1/availability/bad level', '3'],
      ['parking/mall-1/availability/B1/x', '3'],
      ['other/mall-1/availability/B1', '3'],
    ]) {
      const result = applyMessage(base, topic, payload);
      expect(result.changed, `${topic} ${payload}`).to.equal(false);
      expect(figures(result.state), `${topic} ${payload}`).to.deep.equal(figures(base));
    }
  });

  it('does not modify the state it is given', () => {
    const before = feed([['parking/mall-1/availability/B1', '5']]);
    const copy = JSON.stringify(before);
    applyMessage(before, 'parking/mall-1/availability/B1', '6');
    expect(JSON.stringify(before)).to.equal(copy);
  });

  it('reports a change only when a shown figure changed', () => {
    const state = feed([['parking/mall-1/availability/B1', '5']]);
    expect(applyMessage(state, 'parking/mall-1/availability/B1', '5').changed).to.equal(false);
    expect(applyMessage(state, 'parking/mall-1/availability/B1', '6').changed).to.equal(true);
    expect(applyMessage(state, 'parking/mall-1/availability/B1', '').changed, 'a cleared topic').to.equal(true);
  });

  it('takes "updated" from the summary, or from the last live change, never from a retained replay', () => {
    const replayed = feed([['parking/mall-1/availability/B1', '5', { retained: true, receivedAt: T }]]);
    expect(displayModel(replayed, { now: T + 10_000, connection: undefined }).updated, 'a replay says nothing about when').to.equal('');
    const live = applyMessage(replayed, 'parking/mall-1/availability/B1', '4', { retained: false, receivedAt: T + 5_000 }).state;
    expect(displayModel(live, { now: T + 12_000, connection: undefined }).updated).to.equal('updated 7s ago');
    const summarised = applyMessage(live, 'parking/mall-1/availability', summary(4, 26, 'spacesAvailable', { B1: [4, 26] }, '2026-11-22T10:00:09.000Z'), { retained: true, receivedAt: T + 11_000 }).state;
    expect(displayModel(summarised, { now: T + 12_000, connection: undefined }).updated, 'the newer of both').to.equal('updated 3s ago');
    expect(displayModel(createState('mall-1', 'parking'), { now: T, connection: undefined }).updated).to.equal('waiting for data');
  });

  it('an unknown lot says so while it waits; a known one (or no list) only waits', () => {
    const model = (lot: string, knownLots?: string[]) => displayModel(createState(lot, 'parking'), { now: T, connection: undefined, knownLots }).updated;
    expect(model('nope', ['mall-1', 'mall-2'])).to.equal("no lot 'nope' has reported yet · known lots: mall-1, mall-2");
    expect(model('nope', ['a', 'b', 'c', 'd', 'e', 'f'])).to.equal("no lot 'nope' has reported yet · known lots: a, b, c, d, e, …");
    expect(model('nope', [])).to.equal('waiting for data · no lot has reported yet');
    expect(model('mall-1', ['mall-1'])).to.equal('waiting for data');
    expect(model('nope')).to.equal('waiting for data');
    expect(waitingText('x', undefined)).to.equal('waiting for data');
    // Once figures arrive, the lot is known whatever the list said.
    const fed = applyMessage(createState('nope', 'parking'), 'parking/nope/availability/B1', '3', { retained: false, receivedAt: T }).state;
    expect(displayModel(fed, { now: T + 1000, connection: undefined, knownLots: [] }).updated).to.equal('updated 1s ago');
  });

  it('derives a status when the summary has none, and per level', () => {
    expect(statusOf(undefined, 10)).to.equal('unknown');
    expect(statusOf(0, 10)).to.equal('full');
    expect(statusOf(0, undefined)).to.equal('full');
    expect(statusOf(4, 50)).to.equal('almostFull');
    expect(statusOf(5, 50)).to.equal('spacesAvailable');
    expect(statusOf(3, undefined)).to.equal('spacesAvailable');
    const state = feed([['parking/mall-1/availability', summary(0, 40, 'full', { B1: [0, 20], B2: [1, 20] })]]);
    const model = displayModel(state, { now: T, connection: undefined });
    expect(model).to.deep.include({ free: '0', status: 'full', statusText: 'FULL' });
    expect(model.levels.map((l) => l.status)).to.deep.equal(['full', 'almostFull']);
    const closed = feed([['parking/mall-1/availability', summary(0, 40, 'closed', {})]]);
    expect(displayModel(closed, { now: T, connection: undefined })).to.deep.include({ status: 'closed', statusText: 'CLOSED' });
  });

  it('shows unknown figures as a dash', () => {
    const state = feed([['parking/mall-1/availability', JSON.stringify({ levels: { B1: { totalSpotNumber: 20 } } })]]);
    const model = displayModel(state, { now: T, connection: undefined });
    expect(model.free).to.equal('–');
    expect(model.levels).to.deep.equal([{ name: 'B1', free: '–', total: 'of 20', status: 'unknown', forecast: '' }]);
  });

  it('formats ages in seconds, minutes, hours and days', () => {
    expect([formatAge(-500), formatAge(999), formatAge(59_999), formatAge(60_000), formatAge(3_599_999), formatAge(3_600_000), formatAge(47.9 * 3_600_000), formatAge(49 * 3_600_000)]).to.deep.equal([
      '0s',
      '0s',
      '59s',
      '1m',
      '59m',
      '1h',
      '47h',
      '2d',
    ]);
  });

  it('says which broker it is on, or that it is reconnecting', () => {
    expect(connectionView({ phase: 'connected', role: 'primary' })).to.deep.equal({ tone: 'live', text: 'live' });
    expect(connectionView({ phase: 'connected', role: 'standby' })).to.deep.equal({ tone: 'standby', text: 'live · standby broker' });
    for (const phase of ['connecting', 'waiting', 'stopped'] as const) expect(connectionView({ phase, role: 'primary' }).tone).to.equal('offline');
    expect(connectionView(undefined).tone).to.equal('offline');
  });

  it('points loopback broker URLs at the host the page came from', () => {
    const urls = ['ws://127.0.0.1:9001', 'ws://reader:pw@localhost:9002/mqtt', 'wss://broker.example.net:443/mqtt', 'ws://[::1]:9003'];
    expect(resolveBrokerUrls(urls, '10.0.0.5')).to.deep.equal(['ws://10.0.0.5:9001', 'ws://reader:pw@10.0.0.5:9002/mqtt', 'wss://broker.example.net:443/mqtt', 'ws://10.0.0.5:9003']);
    expect(resolveBrokerUrls(urls, 'fd00::5')[0]).to.equal('ws://[fd00::5]:9001');
    expect(resolveBrokerUrls(urls, 'localhost'), 'a page on the same machine').to.deep.equal(urls);
    expect(resolveBrokerUrls(urls, '127.0.0.1')).to.deep.equal(urls);
  });
});

describe('signage view: forecasts', () => {
  const forecast = (available: number, later: [number, number, number], fullInMinutes: number | null, method = 'weekday-profile') =>
    JSON.stringify({ lot: 'mall-1', method, availableSpotNumber: available, totalSpotNumber: 60, forecasts: [15, 30, 60].map((minutes, i) => ({ minutes, availableSpotNumber: later[i] })), fullInMinutes });

  it('says when a level fills, or a change of more than a few spaces in 30 min; nothing for "same as now", a full lot or a broken payload', () => {
    expect(forecastText(JSON.parse(forecast(12, [7, 3, 0], 40)))).to.equal('full in about 40 min');
    expect(forecastText(JSON.parse(forecast(12, [14, 25, 30], null)))).to.equal('about 25 free in 30 min');
    expect(forecastText(JSON.parse(forecast(12, [12, 13, 14], null))), 'a change of a few').to.equal('');
    expect(forecastText(JSON.parse(forecast(12, [12, 12, 12], null, 'same-as-now')))).to.equal('');
    expect(forecastText(JSON.parse(forecast(0, [0, 0, 0], 0))), 'full now: the status says it').to.equal('');
    for (const bad of [null, 'text', 42, {}, { method: 'weekday-profile', availableSpotNumber: 'x' }]) expect(forecastText(bad)).to.equal('');
  });

  it('shows the lot\'s and each level\'s forecast without touching the figures or their age; a cleared one goes', () => {
    let s = createState('mall-1', 'parking');
    s = applyMessage(s, 'parking/mall-1/availability', summary(12, 60, 'spacesAvailable', { B3: [12, 60] }), { retained: true, receivedAt: T }).state;
    const before = s.changedAt;
    let r = applyMessage(s, 'parking/mall-1/forecast/B3', forecast(12, [7, 3, 0], 40), { receivedAt: T + 1000 });
    expect(r.changed).to.equal(true);
    r = applyMessage(r.state, 'parking/mall-1/forecast', forecast(12, [14, 25, 30], null), { receivedAt: T + 2000 });
    const model = displayModel(r.state, { now: T + 3000, connection: undefined, knownLots: undefined });
    expect(model.forecast).to.equal('about 25 free in 30 min');
    expect(model.levels[0]).to.deep.include({ name: 'B3', forecast: 'full in about 40 min' });
    expect(r.state.changedAt, 'a forecast is not new figures').to.equal(before);
    expect(applyMessage(r.state, 'parking/mall-1/forecast/B3', '{oops').changed).to.equal(false);
    expect(applyMessage(r.state, 'parking/mall-2/forecast/B3', forecast(1, [0, 0, 0], 5)).changed, 'another lot').to.equal(false);
    const cleared = applyMessage(r.state, 'parking/mall-1/forecast/B3', '').state;
    expect(displayModel(cleared, { now: T, connection: undefined, knownLots: undefined }).levels[0].forecast).to.equal('');
  });
});
