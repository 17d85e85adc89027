// What the signage page shows, from the retained availability topics: pure
// functions, no DOM, no MQTT. Runs in the browser as an ES module and in Node
// for the tests (types in view.d.ts).
//
// Same rules as the terminal signage (devices/signage/state.ts): the per-level
// integers (`<root>/<lot>/availability/<level>`) win over the summary's
// levels; the lot's free count comes from the summary, or the sum of the
// levels without one.

const ID = /^[A-Za-z0-9_-]{1,32}$/;
const STATUSES = ['spacesAvailable', 'almostFull', 'full', 'closed'];
/** Below this share of free spots a lot (or a level) is almost full, as the contract says. */
export const ALMOST_FULL_RATIO = 0.1;

export const STATUS_TEXT = {
  spacesAvailable: 'SPACES',
  almostFull: 'ALMOST FULL',
  full: 'FULL',
  closed: 'CLOSED',
  unknown: '',
};

const count = (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

/** An empty state for one lot under the topic root. */
export function createState(lot, root) {
  return { lot, root, summary: undefined, levelFree: {}, changedAt: undefined, forecasts: {} };
}

/** The topics a display of `lot` subscribes to: its availability and its forecasts. */
export function subscriptionsFor(lot, root) {
  return [`${root}/${lot}/availability`, `${root}/${lot}/availability/+`, `${root}/${lot}/forecast`, `${root}/${lot}/forecast/+`];
}

/**
 * What a display says of a forecast (`<root>/<lot>/forecast[/<level>]`, docs/history.md):
 * `full in about 20 min`, `about 8 free in 30 min` when it is expected to change by a few,
 * '' for a forecast of "same as now", a full lot, or a payload that is not one.
 */
export function forecastText(forecast) {
  // Self-contained: the dashboard's flow embeds this function's source (flows/dashboard/functions.ts).
  const count = (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);
  if (!forecast || typeof forecast !== 'object' || forecast.method !== 'weekday-profile') return '';
  const now = count(forecast.availableSpotNumber);
  if (now === undefined || now === 0) return '';
  const full = count(forecast.fullInMinutes);
  if (full !== undefined && full > 0) return `full in about ${full} min`;
  const in30 = Array.isArray(forecast.forecasts) ? forecast.forecasts.find((f) => f && f.minutes === 30) : undefined;
  const later = in30 ? count(in30.availableSpotNumber) : undefined;
  if (later === undefined || Math.abs(later - now) < Math.max(3, now * 0.2)) return '';
  return `about ${later} free in 30 min`;
}

function parseForecast(text) {
  try {
    const doc = JSON.parse(text);
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function parseSummary(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const levels = {};
  if (doc.levels && typeof doc.levels === 'object' && !Array.isArray(doc.levels)) {
    for (const [name, value] of Object.entries(doc.levels)) {
      if (!ID.test(name)) continue;
      const v = value && typeof value === 'object' ? value : {};
      levels[name] = { free: count(v.availableSpotNumber), total: count(v.totalSpotNumber), unknown: count(v.unknownSpotNumber) };
    }
  }
  const observed = typeof doc.observedAt === 'string' ? Date.parse(doc.observedAt) : NaN;
  return {
    free: count(doc.availableSpotNumber),
    total: count(doc.totalSpotNumber),
    unknown: count(doc.unknownSpotNumber),
    status: STATUSES.includes(doc.status) ? doc.status : undefined,
    observedAt: Number.isFinite(observed) ? observed : undefined,
    levels,
  };
}

/**
 * Takes one MQTT message. Returns `{ state, changed }`: a new state (the old one
 * is not modified) and whether anything shown changed. Messages of other lots,
 * malformed payloads and malformed topics leave the state as it was.
 * `meta.retained`: delivered from the broker's store (a replay on subscribe);
 * `meta.receivedAt`: epoch ms. A live change moves `changedAt` to `receivedAt`.
 */
export function applyMessage(state, topic, payload, meta = {}) {
  const unchanged = { state, changed: false };
  const prefix = `${state.root}/${state.lot}/availability`;
  const forecastPrefix = `${state.root}/${state.lot}/forecast`;
  const text = String(payload).trim();
  let next;
  if (topic === forecastPrefix || topic.startsWith(`${forecastPrefix}/`)) {
    // A forecast changes a line of text, not the figures: `changedAt` stays.
    const key = topic === forecastPrefix ? '' : topic.slice(forecastPrefix.length + 1);
    if (key !== '' && !ID.test(key)) return unchanged;
    const forecasts = { ...(state.forecasts ?? {}) };
    const doc = text === '' ? undefined : parseForecast(text);
    if (text !== '' && !doc) return unchanged;
    if (doc) forecasts[key] = forecastText(doc);
    else delete forecasts[key];
    return { state: { ...state, forecasts }, changed: forecasts[key] !== (state.forecasts ?? {})[key] };
  } else if (topic === prefix) {
    if (text === '') next = { ...state, summary: undefined };
    else {
      const summary = parseSummary(text);
      if (!summary) return unchanged;
      next = { ...state, summary };
    }
  } else if (topic.startsWith(`${prefix}/`)) {
    const level = topic.slice(prefix.length + 1);
    if (!ID.test(level)) return unchanged;
    const levelFree = { ...state.levelFree };
    if (text === '') delete levelFree[level];
    else if (/^\d{1,9}$/.test(text)) levelFree[level] = Number(text);
    else return unchanged;
    next = { ...state, levelFree };
  } else {
    return unchanged;
  }
  const changed = JSON.stringify(figures(next)) !== JSON.stringify(figures(state));
  if (!changed) return { state: next, changed: false };
  if (!meta.retained && meta.receivedAt !== undefined) next = { ...next, changedAt: meta.receivedAt };
  return { state: next, changed: true };
}

/** The numbers shown: levels sorted by name, the lot's free and total, its status. */
export function figures(state) {
  const summaryLevels = state.summary ? state.summary.levels : {};
  const names = [...new Set([...Object.keys(summaryLevels), ...Object.keys(state.levelFree)])].sort();
  const levels = names.map((name) => ({
    name,
    free: state.levelFree[name] ?? summaryLevels[name]?.free,
    total: summaryLevels[name]?.total,
    unknown: summaryLevels[name]?.unknown,
  }));
  const known = levels.length > 0 && levels.every((l) => l.free !== undefined);
  const free = state.summary?.free ?? (known ? levels.reduce((sum, l) => sum + l.free, 0) : undefined);
  return { levels, free, total: state.summary?.total, unknown: state.summary?.unknown, status: state.summary?.status };
}

/** `1 of 52 sensors reporting` when some of the lot's (or level's) slots have no known state, else ''. */
export function reportingText(unknown, total) {
  if (!unknown || !total) return '';
  return `${Math.max(0, total - unknown)} of ${total} sensors reporting`;
}

/**
 * The status to show: no free spot among the slots heard from is not FULL while others are
 * silent (`unknown`): the display says how many sensors report instead.
 */
export function shownStatus(status, free, unknown) {
  return status === 'full' && free === 0 && unknown > 0 ? 'unknown' : status;
}

/** `spacesAvailable` / `almostFull` / `full` from free and total, `unknown` when not known. */
export function statusOf(free, total) {
  if (free === undefined) return 'unknown';
  if (free === 0) return 'full';
  if (total && free / total < ALMOST_FULL_RATIO) return 'almostFull';
  return 'spacesAvailable';
}

/** `4s`, `3m`, `2h`, `5d` for an age in milliseconds (negative ages, a display clock behind, count as 0). */
export function formatAge(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * What the connection indicator says: `connection` is the failover client's
 * status (`phase` connecting | connected | waiting | stopped, `role` primary | standby).
 */
export function connectionView(connection) {
  if (connection && connection.phase === 'connected') {
    return connection.role === 'primary' ? { tone: 'live', text: 'live' } : { tone: 'standby', text: 'live · standby broker' };
  }
  return { tone: 'offline', text: 'offline · reconnecting' };
}

const show = (n) => (n === undefined ? '–' : String(n));

/** What the page says while it has no figures: waiting, or that no lot of that name has reported (`knownLots`: the server's list, when it had one). */
export function waitingText(lot, knownLots) {
  if (!Array.isArray(knownLots) || knownLots.includes(lot)) return 'waiting for data';
  if (!knownLots.length) return 'waiting for data · no lot has reported yet';
  const shown = knownLots.slice(0, 5).join(', ');
  return `no lot '${lot}' has reported yet · known lots: ${shown}${knownLots.length > 5 ? ', …' : ''}`;
}

/** Everything the page renders, as text and status keys. `now`: epoch ms. */
export function displayModel(state, { now, connection, knownLots }) {
  const f = figures(state);
  const status = shownStatus(f.status ?? statusOf(f.free, f.total), f.free, f.unknown);
  const reporting = reportingText(f.unknown, f.total);
  const updatedAt = Math.max(state.summary?.observedAt ?? -Infinity, state.changedAt ?? -Infinity);
  const hasData = f.free !== undefined || f.levels.length > 0;
  const age = Number.isFinite(updatedAt) ? `updated ${formatAge(now - updatedAt)} ago` : '';
  const forecasts = state.forecasts ?? {};
  return {
    lot: state.lot,
    forecast: forecasts[''] ?? '',
    free: show(f.free),
    total: f.total === undefined ? '' : `of ${f.total}`,
    status,
    statusText: status === 'unknown' && reporting ? reporting.toUpperCase() : STATUS_TEXT[status] ?? '',
    levels: f.levels.map((l) => {
      const levelStatus = shownStatus(statusOf(l.free, l.total), l.free, l.unknown);
      return { name: l.name, free: show(l.free), total: l.total === undefined ? '' : `of ${l.total}`, status: levelStatus, forecast: forecasts[l.name] ?? '' };
    }),
    updated: !hasData ? waitingText(state.lot, knownLots) : [age, reporting].filter(Boolean).join(' · '),
    connection: connectionView(connection),
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

/**
 * The broker URLs as the page should use them: a loopback host in a configured
 * URL (`ws://127.0.0.1:9001`, right for the server itself) is replaced by the
 * host the page was loaded from, so a display elsewhere on the network reaches
 * the same machine. Other URLs are kept as they are.
 */
export function resolveBrokerUrls(urls, pageHostname) {
  if (!pageHostname || LOOPBACK.has(pageHostname)) return [...urls];
  const host = pageHostname.includes(':') && !pageHostname.startsWith('[') ? `[${pageHostname}]` : pageHostname;
  return urls.map((url) => {
    const match = /^(wss?:\/\/)([^@/]*@)?(\[[^\]]*\]|[^:/?#]*)(.*)$/.exec(url);
    if (!match || !LOOPBACK.has(match[3])) return url;
    return `${match[1]}${match[2] ?? ''}${host}${match[4]}`;
  });
}
