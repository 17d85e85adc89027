// The signage page's MQTT connection: the failover policy of the platform's
// devices (docs/devices.md) for a browser. Plain JS, no DOM: the page passes
// the MQTT.js browser bundle's `connect`; the tests pass MQTT.js for Node.
//
// - Servers in order, primary first; a refused or failed attempt moves to the
//   next server at once; after a whole round failed, wait (100 ms doubling to
//   5 s, ±20 %) and start again at the primary.
// - Every connection subscribes to `$SYS/+/heartbeat` (brokers publish every
//   100 ms). Any packet counts as a sign of life; after `failoverMs` (300) of
//   silence, or on close or error, the connection is dropped and the next
//   server is tried at once.
// - On a standby, the primary is probed every `probeIntervalMs` (±20 %) with
//   a short separate connection that must bring a heartbeat within
//   max(500, 2 × failoverMs). After `probeHealthy` (2) healthy probes in a row
//   a connection to the primary is opened; once it is subscribed, the standby
//   connection is closed cleanly (make before break).
// Types in failover.d.ts.

export const HEARTBEAT_FILTER = '$SYS/+/heartbeat';

/** Which server next and how long to wait first (pure; the link's ServerRotation). */
export function createRotation(count, backoff = {}, random = Math.random) {
  const initialMs = backoff.initialMs ?? 100;
  const maxMs = backoff.maxMs ?? 5000;
  const factor = backoff.factor ?? 2;
  const jitter = backoff.jitter ?? 0.2;
  let tried = 0;
  let failedRounds = 0;
  return {
    first() {
      tried = 0;
      return { index: 0, delayMs: 0 };
    },
    connected() {
      tried = 0;
      failedRounds = 0;
    },
    linkDied(index) {
      tried = 1;
      return { index: (index + 1) % count, delayMs: 0 };
    },
    attemptFailed(index) {
      tried += 1;
      if (tried < count) return { index: (index + 1) % count, delayMs: 0 };
      const base = Math.min(maxMs, initialMs * factor ** failedRounds);
      failedRounds += 1;
      tried = 0;
      const delayMs = Math.round(base * (1 - jitter + jitter * 2 * random()));
      return { index: 0, delayMs: Math.min(maxMs, Math.max(0, delayMs)) };
    },
  };
}

const roleOf = (index) => (index === 0 ? 'primary' : 'standby');

function randomId(random) {
  return Math.floor(random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
}

/**
 * Starts nothing until `start()`. Options: `urls` (primary first), `connect`
 * (MQTT.js `connect`), `subscriptions` (topic filters), `onMessage(topic,
 * payloadText, { retained, url })`, `onStatus(status)`, and the timings above.
 */
export function createFailoverClient(options) {
  const urls = options.urls;
  if (!Array.isArray(urls) || urls.length === 0) throw new Error('at least one broker URL is needed');
  const connect = options.connect;
  const subscriptions = options.subscriptions ?? [];
  const onMessage = options.onMessage ?? (() => {});
  const onStatus = options.onStatus ?? (() => {});
  const failoverMs = options.failoverMs ?? 300;
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  const probeHealthy = options.probeHealthy ?? 2;
  const probeTimeoutMs = options.probeTimeoutMs ?? Math.max(500, 2 * failoverMs);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const heartbeatFilter = options.heartbeatFilter ?? HEARTBEAT_FILTER;
  const clientIdPrefix = options.clientIdPrefix ?? 'signage';
  const mqttOptions = options.mqttOptions ?? {};
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => Date.now());
  const rotation = createRotation(urls.length, options.backoff, random);

  let stopped = true;
  let current; // the session in use
  let candidate; // a failback connection to the primary, not yet in use
  let retryTimer;
  let probeTimer;
  let probe; // the probe in flight
  let healthyProbes = 0;
  let lastUrl; // the broker of the last connection that was up
  let lostReason; // why it went down
  const status = { phase: 'stopped', url: undefined, role: undefined, index: undefined, failovers: 0, failbacks: 0, lastFailover: undefined };

  const emit = () => onStatus({ ...status });

  /** One MQTT connection; calls `ready()` once subscribed and `dead(reason)` once, unless closed by us. */
  function openSession(index, handlers) {
    const url = urls[index];
    let closed = false;
    let isReady = false;
    let lastPacketAt = now();
    let watchdog;
    const client = connect(url, {
      ...mqttOptions,
      clientId: `${clientIdPrefix}-${randomId(random)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: connectTimeoutMs,
      keepalive: 10,
      protocolVersion: mqttOptions.protocolVersion ?? 4,
    });
    const connectTimer = setTimeout(() => fail('no CONNACK and SUBACK within ' + connectTimeoutMs + ' ms'), connectTimeoutMs);
    const check = () => {
      const silent = now() - lastPacketAt;
      if (silent >= failoverMs) fail('heartbeat');
      else watchdog = setTimeout(check, failoverMs - silent);
    };
    function close(clean) {
      if (closed) return;
      closed = true;
      clearTimeout(connectTimer);
      clearTimeout(watchdog);
      client.removeAllListeners('message');
      client.removeAllListeners('close');
      client.on('error', () => {});
      client.end(!clean);
    }
    function fail(reason) {
      if (closed) return;
      close(false);
      handlers.dead(reason, isReady);
    }
    client.on('packetreceive', () => {
      lastPacketAt = now();
    });
    client.on('error', (error) => fail(`error: ${error && error.message ? error.message : error}`));
    client.on('close', () => fail('closed'));
    client.on('message', (topic, payload, packet) => {
      if (closed || topic.startsWith('$SYS/')) return;
      onMessage(topic, String(payload), { retained: Boolean(packet && packet.retain), url });
    });
    client.on('connect', () => {
      if (closed) return;
      const filters = { [heartbeatFilter]: { qos: 0 } };
      for (const filter of subscriptions) filters[filter] = { qos: 1 };
      client.subscribe(filters, (error, granted) => {
        if (closed) return;
        const refused = (granted ?? []).find((g) => g.qos === 128);
        if (error || refused) return fail(`subscribe refused${refused ? `: ${refused.topic}` : ''}`);
        clearTimeout(connectTimer);
        isReady = true;
        lastPacketAt = now();
        watchdog = setTimeout(check, failoverMs);
        handlers.ready();
      });
    });
    return { index, url, close };
  }

  function attempt(next) {
    clearTimeout(retryTimer);
    if (stopped) return;
    if (next.delayMs > 0) {
      status.phase = 'waiting';
      emit();
      retryTimer = setTimeout(() => open(next.index), next.delayMs);
    } else open(next.index);
  }

  function open(index) {
    if (stopped) return;
    status.phase = 'connecting';
    status.url = urls[index];
    status.role = roleOf(index);
    status.index = index;
    emit();
    const previous = lastUrl;
    const session = openSession(index, {
      ready() {
        current = session;
        rotation.connected(index);
        if (previous !== undefined && previous !== urls[index]) {
          status.failovers += 1;
          status.lastFailover = { from: previous, to: urls[index], reason: lostReason, at: now() };
        }
        status.phase = 'connected';
        lastUrl = urls[index];
        emit();
        if (index !== 0) scheduleProbe();
      },
      dead(reason, wasReady) {
        if (wasReady) {
          current = undefined;
          lostReason = reason;
          stopFailback();
          attempt(rotation.linkDied(index));
        } else {
          attempt(rotation.attemptFailed(index));
        }
      },
    });
  }

  function stopFailback() {
    clearTimeout(probeTimer);
    probeTimer = undefined;
    probe?.cancel();
    probe = undefined;
    candidate?.close(false);
    candidate = undefined;
    healthyProbes = 0;
  }

  function scheduleProbe() {
    if (stopped || probeIntervalMs <= 0 || !current || current.index === 0 || probeTimer || probe || candidate) return;
    const delay = Math.round(probeIntervalMs * (0.8 + 0.4 * random()));
    probeTimer = setTimeout(() => {
      probeTimer = undefined;
      runProbe();
    }, delay);
  }

  /** A short connection to the primary that must bring a heartbeat in time. */
  function runProbe() {
    if (stopped || !current || current.index === 0) return;
    let settled = false;
    const client = connect(urls[0], { ...mqttOptions, clientId: `${clientIdPrefix}-probe-${randomId(random)}`, clean: true, reconnectPeriod: 0, connectTimeout: probeTimeoutMs, keepalive: 0, protocolVersion: mqttOptions.protocolVersion ?? 4 });
    const finish = (healthy) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('message');
      client.removeAllListeners('close');
      client.on('error', () => {});
      client.end(!healthy);
      if (probe === handle) probe = undefined;
      if (stopped || !current || current.index === 0) return;
      healthyProbes = healthy ? healthyProbes + 1 : 0;
      if (healthyProbes >= probeHealthy) failBack();
      else scheduleProbe();
    };
    const handle = { cancel: () => ((settled = true), clearTimeout(timer), client.on('error', () => {}), client.end(true)) };
    probe = handle;
    const timer = setTimeout(() => finish(false), probeTimeoutMs);
    client.on('error', () => finish(false));
    client.on('close', () => finish(false));
    client.on('message', (topic) => {
      if (topic.startsWith('$SYS/')) finish(true);
    });
    client.on('connect', () => client.subscribe({ [heartbeatFilter]: { qos: 0 } }));
  }

  /** Make before break: the primary connection is up and subscribed before the standby's is closed. */
  function failBack() {
    healthyProbes = 0;
    const started = now();
    const session = openSession(0, {
      ready() {
        if (candidate !== session) return;
        candidate = undefined;
        const old = current;
        current = session;
        rotation.connected(0);
        old?.close(true);
        status.failbacks += 1;
        status.lastFailover = { from: old?.url, to: urls[0], reason: 'failback', at: now(), ms: now() - started };
        status.phase = 'connected';
        status.url = urls[0];
        status.role = 'primary';
        status.index = 0;
        lastUrl = urls[0];
        emit();
      },
      dead(reason, wasReady) {
        if (candidate === session) {
          candidate = undefined;
          scheduleProbe();
          return;
        }
        if (current === session && wasReady) {
          current = undefined;
          lostReason = reason;
          stopFailback();
          attempt(rotation.linkDied(0));
        }
      },
    });
    candidate = session;
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      attempt(rotation.first());
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      stopFailback();
      current?.close(true);
      current = undefined;
      status.phase = 'stopped';
      emit();
    },
    status: () => ({ ...status }),
  };
}
