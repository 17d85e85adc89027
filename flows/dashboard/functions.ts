// The bodies of the dashboard flows' function nodes (Node-RED runs them with `msg`, `flow`,
// `env`, `node` in scope). Kept here as text so build.ts can put them into flows/parking.json
// and the unit tests can run them without Node-RED.
import { readFileSync } from 'node:fs';

/** forecastText of web/assets/view.js, as written there (self-contained): the signage's wording, embedded in the Availability flow. */
const FORECAST_TEXT = (() => {
  const source = readFileSync(new URL('../../web/assets/view.js', import.meta.url), 'utf8');
  const m = /^export function forecastText\(forecast\) \{\n[\s\S]*?\n\}\n/m.exec(source);
  if (!m) throw new Error('web/assets/view.js: forecastText not found');
  return m[0].replace(/^export /, '');
})();

/** Availability: the subscriptions of `slot states` (mqtt in with dynamic subscriptions), under the topic root. */
export const AVAILABILITY_SUBSCRIBE = String.raw`const root = env.get('PARKING_FLOWS_TOPIC_ROOT') || 'parking';
msg.action = 'subscribe';
msg.topic = [
  { topic: root + '/+/slot/+/+', qos: 1 },
  { topic: root + '/+/availability', qos: 1 },
  { topic: root + '/+/forecast', qos: 1 },
  { topic: root + '/+/forecast/+', qos: 1 },
];
return msg;`;

/**
 * The site's local time (--utc-offset, `PARKING_FLOWS_UTC_OFFSET`), as the report nodes': `tz`,
 * `tzm` (its parts) and `offsetMs`; and `offsetOf(text)`, the ms of any `+HH:MM` (null if not one).
 */
const SITE_OFFSET = String.raw`const offsetOf = (text) => {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(String(text || ''));
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000 : null;
};
const tz = String(env.get('PARKING_FLOWS_UTC_OFFSET') || '+07:00');
const tzm = /^([+-])(\d{2}):(\d{2})$/.exec(tz) || ['+07:00', '+', '07', '00'];
const offsetMs = offsetOf(tzm[0]);`;

/**
 * Availability: keeps every slot's newest state and each lot's summary in flow context and
 * sends the whole view (lots, levels, slots, free counts) to the slot map.
 */
export const AVAILABILITY_STATE = String.raw`const root = env.get('PARKING_FLOWS_TOPIC_ROOT') || 'parking';
const STATUSES = ['free', 'occupied', 'closed', 'unknown'];
const ID = /^[A-Za-z0-9_-]{1,32}$/;
if (typeof msg.topic !== 'string' || !msg.topic.startsWith(root + '/')) return null;
const parts = msg.topic.slice(root.length + 1).split('/');
const slots = flow.get('slots') || {};
const summaries = flow.get('summaries') || {};
const forecasts = flow.get('forecasts') || {};
const text = msg.payload === undefined || msg.payload === null ? '' : String(msg.payload).trim();
${FORECAST_TEXT}
function parseSlot(raw) {
  if (raw === 'true' || raw === '1' || raw === 'occupied') return { status: 'occupied' };
  if (raw === 'false' || raw === '0' || raw === 'free') return { status: 'free' };
  let v;
  try { v = JSON.parse(raw); } catch (e) { return null; }
  if (v === true || v === 1) return { status: 'occupied' };
  if (v === false || v === 0) return { status: 'free' };
  if (!v || typeof v !== 'object' || !STATUSES.includes(v.status)) return null;
  const ts = typeof v.ts === 'number' ? v.ts : typeof v.ts === 'string' ? Date.parse(v.ts) : NaN;
  return { status: v.status, ts: Number.isFinite(ts) ? ts : undefined, seq: typeof v.seq === 'number' ? v.seq : undefined, device: typeof v.device === 'string' ? v.device : undefined };
}

if (parts.length === 4 && parts[1] === 'slot' && ID.test(parts[0]) && ID.test(parts[2]) && ID.test(parts[3])) {
  const id = parts[0] + '/' + parts[2] + '/' + parts[3];
  if (text === '') {
    delete slots[id];
  } else {
    const state = parseSlot(text);
    if (!state) return null;
    const ts = state.ts === undefined ? Date.now() : state.ts;
    const seq = state.seq === undefined ? -1 : state.seq;
    const prev = slots[id];
    if (prev && (prev.ts > ts || (prev.ts === ts && prev.seq > seq))) return null;
    const since = prev && prev.status === state.status ? prev.since : ts;
    slots[id] = { lot: parts[0], level: parts[2], slot: parts[3], status: state.status, ts: ts, seq: seq, since: since, device: state.device };
  }
} else if ((parts.length === 2 || parts.length === 3) && parts[1] === 'forecast' && ID.test(parts[0]) && (parts.length === 2 || ID.test(parts[2]))) {
  // What the signage says of a forecast (web/assets/view.js forecastText), by lot and level ('' for the lot's).
  const key = parts[0] + '/' + (parts[2] || '');
  let said = '';
  if (text !== '') {
    try { said = forecastText(JSON.parse(text)); } catch (e) { return null; }
  }
  if ((forecasts[key] || '') === said) return null;
  if (said) forecasts[key] = said;
  else delete forecasts[key];
} else if (parts.length === 2 && parts[1] === 'availability' && ID.test(parts[0])) {
  if (text === '') delete summaries[parts[0]];
  else {
    try { summaries[parts[0]] = JSON.parse(text); } catch (e) { return null; }
  }
} else {
  return null;
}
flow.set('slots', slots);
flow.set('summaries', summaries);
flow.set('forecasts', forecasts);

const byName = (a, b) => String(a).localeCompare(String(b), 'en', { numeric: true });
let lotInfo = {};
try { lotInfo = JSON.parse(env.get('PARKING_FLOWS_LOTS') || '{}') || {}; } catch (e) { lotInfo = {}; } // the lot configuration's names (--lot-config)
const lots = {};
for (const s of Object.values(slots)) {
  const lot = (lots[s.lot] = lots[s.lot] || { lot: s.lot, levels: {} });
  const level = (lot.levels[s.level] = lot.levels[s.level] || { level: s.level, slots: [] });
  level.slots.push({ id: s.lot + '/' + s.level + '/' + s.slot, slot: s.slot, status: s.status, since: s.since });
}
for (const name of Object.keys(summaries)) lots[name] = lots[name] || { lot: name, levels: {} };
const count = (list, status) => list.filter((s) => s.status === status).length;
const view = Object.keys(lots).sort(byName).map((name) => {
  const lot = lots[name];
  const levels = Object.keys(lot.levels).sort(byName).map((l) => {
    const level = lot.levels[l];
    level.slots.sort((a, b) => byName(a.slot, b.slot));
    return { level: l, free: count(level.slots, 'free'), occupied: count(level.slots, 'occupied'), closed: count(level.slots, 'closed'), unknown: count(level.slots, 'unknown'), total: level.slots.length, forecast: forecasts[name + '/' + l] || '', slots: level.slots };
  });
  const summary = summaries[name] || null;
  const sum = (k) => levels.reduce((n, l) => n + l[k], 0);
  const info = lotInfo[name] || {};
  return {
    lot: name,
    name: typeof info.name === 'string' ? info.name : null,
    free: sum('free'), occupied: sum('occupied'), closed: sum('closed'), unknown: sum('unknown'), total: sum('total'),
    status: summary && typeof summary.status === 'string' ? summary.status : null,
    forecast: forecasts[name + '/'] || '',
    summary: summary && typeof summary.availableSpotNumber === 'number' ? { free: summary.availableSpotNumber, total: summary.totalSpotNumber, observedAt: summary.observedAt || null } : null,
    levels: levels,
  };
});
msg.topic = 'availability';
msg.payload = { lots: view, updatedAt: Date.now() };
return msg;`;

/** Charging: the report queries for today (local day of the report node's UTC offset), sent on a timer and after each session change. */
export const CHARGING_QUERIES = String.raw`${SITE_OFFSET}
const day = new Date(Date.now() + offsetMs).toISOString().slice(0, 10);
return [{ topic: 'open', report: 'open' }, { topic: 'sessions', report: 'sessions', from: day, day: day }];`;

/** Charging: keeps the latest open and sessions reports in flow context and sends the view. */
export const CHARGING_VIEW = String.raw`${SITE_OFFSET}
if (!Array.isArray(msg.payload)) return null;
// The lot configuration's names and local times (--lot-config): each session's times are shown in its lot's.
let lotInfo = {};
try { lotInfo = JSON.parse(env.get('PARKING_FLOWS_LOTS') || '{}') || {}; } catch (e) { lotInfo = {}; }
const lots = {};
for (const lot of Object.keys(lotInfo)) {
  const info = lotInfo[lot] || {};
  const own = offsetOf(info.utcOffset);
  lots[lot] = { name: typeof info.name === 'string' ? info.name : null, utcOffset: own === null ? null : info.utcOffset, offsetMs: own };
}
if (msg.topic === 'open') flow.set('open', msg.payload);
else if (msg.topic === 'sessions') flow.set('sessions', { day: msg.day, rows: msg.payload });
else return null;
const iso = (v) => (v ? new Date(v).toISOString() : null);
const open = (flow.get('open') || []).map((r) => ({ sessionId: r.sessionId, carId: r.carId, lot: r.lot, entryAt: iso(r.entryAt), minutesSoFar: r.minutesSoFar, feeSoFar: r.feeSoFar, currency: r.currency }))
  .sort((a, b) => String(b.entryAt).localeCompare(String(a.entryAt)));
const today = flow.get('sessions') || { day: null, rows: [] };
const exits = today.rows.filter((r) => r.exitAt && typeof r.fee === 'number' && (r.status === 'closed' || r.status === 'unmatched'))
  .map((r) => ({ sessionId: r.sessionId, carId: r.carId, lot: r.lot, status: r.status, entryAt: iso(r.entryAt), exitAt: iso(r.exitAt), durationMinutes: r.durationMinutes, fee: r.fee, currency: r.currency }))
  .filter((r) => new Date(Date.parse(r.exitAt) + offsetMs).toISOString().slice(0, 10) === today.day)
  .sort((a, b) => b.exitAt.localeCompare(a.exitAt));
const perHour = Array.from({ length: 24 }, (_, hour) => ({ hour: hour, revenue: 0, exits: 0 }));
for (const r of exits) {
  const h = new Date(Date.parse(r.exitAt) + offsetMs).getUTCHours();
  perHour[h].revenue += r.fee;
  perHour[h].exits += 1;
}
msg.topic = 'charging';
msg.payload = {
  day: today.day,
  utcOffset: tzm[0],
  offsetMs: offsetMs,
  lots: lots,
  currency: (exits[0] || open[0] || { currency: 'IDR' }).currency,
  revenueToday: exits.reduce((n, r) => n + r.fee, 0),
  exitsToday: exits.length,
  lostTickets: exits.filter((r) => r.status === 'unmatched').length,
  open: open.slice(0, 50),
  openCount: open.length,
  exits: exits.slice(0, 20),
  perHour: perHour,
  updatedAt: Date.now(),
};
return msg;`;

/**
 * System: the device statuses (`<root>/<lot>/device/<device>/status`) and the alarms
 * (`<root>/<lot>/alarm/<alarm>`, retained; an empty message clears one) in flow context.
 */
export const SYSTEM_DEVICES = String.raw`const parts = String(msg.topic).split('/');
const text = msg.payload === undefined || msg.payload === null ? '' : String(msg.payload).trim();
if (parts.length >= 4 && parts[parts.length - 2] === 'alarm') {
  const key = parts[parts.length - 3] + '/' + parts[parts.length - 1];
  const alarms = flow.get('alarms') || {};
  if (text === '') delete alarms[key];
  else {
    let a;
    try { a = JSON.parse(text); } catch (e) { return null; }
    if (!a || typeof a.text !== 'string' || typeof a.severity !== 'string') return null;
    alarms[key] = { lot: parts[parts.length - 3], alarm: parts[parts.length - 1], kind: String(a.kind), severity: a.severity, since: String(a.since), text: a.text, acknowledged: a.acknowledged === true };
  }
  flow.set('alarms', alarms);
  return null;
}
if (parts.length < 5 || parts[parts.length - 1] !== 'status' || parts[parts.length - 3] !== 'device') return null;
const id = parts[parts.length - 4] + '/' + parts[parts.length - 2];
const devices = flow.get('devices') || {};
if (text === '') delete devices[id];
else if (text === 'online' || text === 'offline') devices[id] = text;
else return null;
flow.set('devices', devices);
return null;`;

/**
 * System: each /healthz answer (or its failure) with the device counts; a change of the
 * reachable brokers or of the MongoDB primary goes into the failover log (newest first, 50 kept).
 */
export const SYSTEM_VIEW = String.raw`${SITE_OFFSET}
let body = msg.payload;
if (typeof body === 'string') {
  try {
    body = JSON.parse(body);
  } catch (err) {
    body = null;
  }
}
const health = body && typeof body === 'object' && Array.isArray(body.brokers) ? body : null;
const devices = flow.get('devices') || {};
const states = Object.values(devices);
const log = flow.get('failovers') || [];
const prev = flow.get('lastHealth') || null;
const now = new Date().toISOString();
if (health) {
  if (prev) {
    for (const b of health.brokers) {
      const before = prev.brokers.find((p) => p.role === b.role && p.url === b.url);
      if (before && before.reachable !== b.reachable) log.unshift({ at: health.checkedAt || now, text: b.role + ' broker ' + b.url + (b.reachable ? ' is back' : ' is unreachable' + (b.error ? ': ' + b.error : '')) });
      const was = before && before.bridge ? before.bridge.connected : null;
      if (b.bridge && was !== null && was !== b.bridge.connected) log.unshift({ at: health.checkedAt || now, text: 'bridge of the ' + b.role + ' ' + (b.bridge.connected ? 'reconnected' : 'disconnected') });
    }
    const p0 = prev.mongo ? prev.mongo.primary : null;
    const p1 = health.mongo ? health.mongo.primary : null;
    if (prev.mongo && health.mongo && p0 !== p1) log.unshift({ at: health.checkedAt || now, text: p1 ? 'MongoDB primary is now ' + p1 + (p0 ? ' (was ' + p0 + ')' : '') : 'MongoDB has no primary (was ' + p0 + ')' });
  }
  flow.set('lastHealth', health);
} else if (prev) {
  if (!flow.get('healthDown')) log.unshift({ at: now, text: '/healthz does not answer' });
}
flow.set('healthDown', !health);
log.splice(50);
flow.set('failovers', log);
const RANK = { critical: 2, warning: 1, info: 0 };
const alarms = Object.values(flow.get('alarms') || {})
  .sort((a, b) => (RANK[b.severity] || 0) - (RANK[a.severity] || 0) || String(a.since).localeCompare(String(b.since)))
  .slice(0, 50);
msg.topic = 'system';
msg.payload = {
  alarms: alarms,
  health: health,
  healthError: health ? null : String((msg.payload && msg.payload.message) || msg.payload || 'no answer'),
  devices: { online: states.filter((s) => s === 'online').length, offline: states.filter((s) => s === 'offline').length, offlineIds: Object.keys(devices).filter((k) => devices[k] === 'offline').sort().slice(0, 20) },
  failovers: log,
  utcOffset: tzm[0],
  offsetMs: offsetMs,
  updatedAt: Date.now(),
};
return msg;`;

/** System: the subscriptions of `device status` (device statuses and alarms), under the topic root. */
export const SYSTEM_SUBSCRIBE = String.raw`const root = env.get('PARKING_FLOWS_TOPIC_ROOT') || 'parking';
msg.action = 'subscribe';
msg.topic = [{ topic: root + '/+/device/+/status', qos: 1 }, { topic: root + '/+/alarm/+', qos: 1 }];
return msg;`;
