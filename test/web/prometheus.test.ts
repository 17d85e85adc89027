// The Prometheus text format (web/prometheus.ts) and the platform's families (web/metrics.ts).
import { expect } from 'chai';
import { createMetrics } from '../../ingest/metrics.ts';
import { platformMetrics, renderPrometheus, withStatus, type HealthFacts, type MetricFamily } from '../../web/index.ts';

/** A line-by-line check of the text format: every sample belongs to the family announced by the HELP and TYPE lines before it. */
function parseExposition(text: string): Map<string, { help: string; type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }> {
  expect(text.endsWith('\n'), 'ends with a line feed').to.equal(true);
  const families = new Map<string, { help: string; type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      expect(families.has(m[1]), `${m[1]} announced once`).to.equal(false);
      families.set(m[1], { help: m[2], type: '', samples: [] });
      current = m[1];
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$/.exec(line);
    if (m) {
      expect(m[1], 'TYPE follows its HELP').to.equal(current);
      families.get(m[1])!.type = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
    expect(m, `a valid sample line: ${line}`).to.not.equal(null);
    const [, name, labelText, value] = m!;
    expect(name === current || name === `${current}_sum` || name === `${current}_count` || name === `${current}_bucket`, `${name} under ${current}`).to.equal(true);
    const labels: Record<string, string> = {};
    for (const l of (labelText ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    families.get(current!)!.samples.push({ name, labels, value: value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value) });
  }
  return families;
}

describe('web: Prometheus text format', () => {
  it('writes HELP and TYPE once per family, then its samples, and a final line feed', () => {
    const text = renderPrometheus([
      { name: 'a_total', help: 'A counter.', type: 'counter', samples: [{ value: 3 }] },
      { name: 'b', help: 'A summary.', type: 'summary', samples: [{ suffix: '_sum', value: 1.5 }, { suffix: '_count', value: 2 }] },
      { name: 'c', help: 'Empty.', type: 'gauge', samples: [] },
    ]);
    expect(text).to.equal('# HELP a_total A counter.\n# TYPE a_total counter\na_total 3\n# HELP b A summary.\n# TYPE b summary\nb_sum 1.5\nb_count 2\n# HELP c Empty.\n# TYPE c gauge\n');
    expect([...parseExposition(text).keys()]).to.deep.equal(['a_total', 'b', 'c']);
  });

  it('escapes label values and HELP text', () => {
    const text = renderPrometheus([{ name: 'x', help: 'back\\slash\nnew line "quotes" stay', type: 'gauge', samples: [{ labels: { topic: 'a\\b"c"\nd', role: 'primary' }, value: 1 }] }]);
    expect(text).to.equal('# HELP x back\\\\slash\\nnew line "quotes" stay\n# TYPE x gauge\nx{topic="a\\\\b\\"c\\"\\nd",role="primary"} 1\n');
    expect(parseExposition(text).get('x')!.samples[0].labels).to.deep.equal({ topic: 'a\\b"c"\nd', role: 'primary' });
  });

  it('writes special values as NaN, +Inf and -Inf', () => {
    const text = renderPrometheus([{ name: 'v', help: 'h', type: 'gauge', samples: [NaN, Infinity, -Infinity, 0.25, 1e21].map((value, i) => ({ labels: { i: String(i) }, value })) }]);
    expect(text.split('\n').slice(2, 7)).to.deep.equal(['v{i="0"} NaN', 'v{i="1"} +Inf', 'v{i="2"} -Inf', 'v{i="3"} 0.25', 'v{i="4"} 1e+21']);
  });

  it('refuses invalid metric and label names, repeated families and foreign suffixes', () => {
    const bad: MetricFamily[][] = [
      [{ name: '1abc', help: '', type: 'gauge', samples: [] }],
      [{ name: 'a-b', help: '', type: 'gauge', samples: [] }],
      [{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }],
      [{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { __reserved: 'x' }, value: 1 }] }],
      [
        { name: 'twice', help: '', type: 'gauge', samples: [] },
        { name: 'twice', help: '', type: 'counter', samples: [] },
      ],
      [{ name: 'g', help: '', type: 'gauge', samples: [{ suffix: '_sum', value: 1 }] }],
    ];
    for (const families of bad) expect(() => renderPrometheus(families), JSON.stringify(families)).to.throw();
  });
});

describe('web: the platform metrics', () => {
  const facts: HealthFacts = {
    checkedAt: '2026-11-22T10:00:00.000Z',
    brokers: [
      { id: 'primary-a', role: 'primary', url: 'mqtt://10.0.0.5:1883', reachable: true, clients: 41, retained: 1288, bridge: null, refused: { denied: 0, invalid: 3, stale: 12, duplicate: 5 } },
      { id: 'standby-b', role: 'standby', url: 'mqtt://10.0.0.6:1884', reachable: true, clients: 2, retained: 1288, bridge: { connected: false, since: null, queued: 7, dropped: 0 }, refused: null },
      { id: null, role: 'standby', url: 'mqtt://10.0.0.7:1884', reachable: false, clients: null, retained: null, bridge: null, refused: null, error: 'connection refused' },
    ],
    mongo: { primary: null },
    ingest: { lagMs: 1500, bufferDepth: 4, writeErrors: 1, offlineDevices: 2, lastWriteAt: null },
  };

  it('has the ingest counters, the broker gauges and the overall status, in a valid exposition', () => {
    const m = createMetrics();
    Object.assign(m, { messagesIn: 120, accepted: 100, duplicates: 5, stale: 3, superseded: 2, batches: 10, writeErrors: 1, bufferDepth: 4, lagMs: 1500, lastWriteAt: 1_795_307_315_123 });
    m.rejected = { 'bad-json': 4, oversize: 1, 'bad-topic': 2 };
    m.batchSizes = { count: 10, sum: 100, max: 30 };
    m.writeLatencyMs = { count: 10, sum: 250, max: 80, last: 12 };
    const families = parseExposition(renderPrometheus(platformMetrics({ ingest: m, health: withStatus(facts) })));
    const value = (name: string, labels: Record<string, string> = {}, sample = name) =>
      families.get(name)?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    expect(families.get('parking_ingest_messages_total')?.type).to.equal('counter');
    expect(value('parking_ingest_messages_total')).to.equal(120);
    expect(value('parking_ingest_accepted_total')).to.equal(100);
    expect(families.get('parking_ingest_rejected_total')!.samples.map((s) => [s.labels.cause, s.value])).to.deep.equal([
      ['bad-json', 4],
      ['bad-topic', 2],
      ['oversize', 1],
    ]);
    expect(value('parking_ingest_duplicates_total')).to.equal(5);
    expect(value('parking_ingest_stale_total')).to.equal(3);
    expect(families.get('parking_ingest_batch_size')?.type).to.equal('summary');
    expect(value('parking_ingest_batch_size', {}, 'parking_ingest_batch_size_sum')).to.equal(100);
    expect(value('parking_ingest_batch_size', {}, 'parking_ingest_batch_size_count')).to.equal(10);
    expect(value('parking_ingest_write_latency_seconds', {}, 'parking_ingest_write_latency_seconds_sum')).to.equal(0.25);
    expect(value('parking_ingest_write_latency_max_seconds')).to.equal(0.08);
    expect(value('parking_ingest_buffer_depth')).to.equal(4);
    expect(value('parking_ingest_lag_seconds')).to.equal(1.5);
    expect(value('parking_ingest_offline_devices')).to.equal(2);
    expect(value('parking_ingest_last_write_timestamp_seconds')).to.equal(1_795_307_315.123);

    expect(value('parking_broker_up', { broker: 'primary-a', role: 'primary' })).to.equal(1);
    expect(value('parking_broker_up', { broker: 'mqtt://10.0.0.7:1884', role: 'standby' }), 'an unreachable broker without id').to.equal(0);
    expect(value('parking_broker_clients', { broker: 'primary-a' })).to.equal(41);
    expect(families.get('parking_broker_clients')!.samples, 'no figure for a broker that was only probed').to.have.lengthOf(2);
    expect(value('parking_broker_retained_messages', { broker: 'standby-b' })).to.equal(1288);
    expect(value('parking_broker_bridge_connected', { broker: 'standby-b' })).to.equal(0);
    expect(families.get('parking_broker_bridge_connected')!.samples, 'only standbys with a bridge').to.have.lengthOf(1);
    expect(value('parking_broker_refused_total', { broker: 'primary-a', cause: 'stale' })).to.equal(12);
    expect(value('parking_mongodb_primary_up')).to.equal(0);
    expect(families.get('parking_health_status')!.samples.map((s) => [s.labels.status, s.value])).to.deep.equal([
      ['ok', 0],
      ['degraded', 1],
      ['down', 0],
    ]);
  });

  it('leaves out ingest and MongoDB when they do not run here', () => {
    const families = parseExposition(renderPrometheus(platformMetrics({ health: withStatus({ ...facts, mongo: null, ingest: null }) })));
    expect([...families.keys()].filter((n) => n.startsWith('parking_ingest_') || n.startsWith('parking_mongodb_'))).to.deep.equal([]);
    expect(families.has('parking_broker_up')).to.equal(true);
  });
});
