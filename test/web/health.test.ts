// The /healthz overall status (web/health.ts) and the collector (web/collect.ts).
import { expect } from 'chai';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { deriveStatus, healthCollector, httpStatusOf, type BrokerReport, type HealthFacts } from '../../web/index.ts';

const broker = (role: BrokerReport['role'], reachable: boolean, extra: Partial<BrokerReport> = {}): BrokerReport => ({
  id: `${role}-x`,
  role,
  url: `mqtt://${role}:1883`,
  reachable,
  clients: reachable ? 3 : null,
  retained: reachable ? 10 : null,
  bridge: role === 'standby' && reachable ? { connected: true, since: null, queued: 0, dropped: 0 } : null,
  refused: null,
  ...extra,
});

const healthy = (): HealthFacts => ({
  checkedAt: '2026-11-22T10:00:00.000Z',
  brokers: [broker('primary', true), broker('standby', true)],
  mongo: { primary: 'db1:27017' },
  ingest: { lagMs: 120, bufferDepth: 0, writeErrors: 0, offlineDevices: 0, lastWriteAt: null },
});

describe('web: health status', () => {
  it('is ok when every part is well', () => {
    expect(deriveStatus(healthy())).to.deep.equal({ status: 'ok', problems: [] });
  });

  it('is degraded when one broker is unreachable, and says which', () => {
    const facts = { ...healthy(), brokers: [broker('primary', false, { error: 'connection refused' }), broker('standby', true, { bridge: { connected: false, since: null, queued: 0, dropped: 0 } })] };
    const { status, problems } = deriveStatus(facts);
    expect(status).to.equal('degraded');
    expect(problems).to.deep.equal(['primary broker mqtt://primary:1883 is unreachable: connection refused']);
    expect(problems.join(), 'a bridge down with its primary is no extra news').to.not.include('bridge');
  });

  it('is degraded when the bridge is down while both brokers are up', () => {
    const facts = { ...healthy(), brokers: [broker('primary', true), broker('standby', true, { bridge: { connected: false, since: null, queued: 4, dropped: 0 } })] };
    expect(deriveStatus(facts)).to.deep.equal({ status: 'degraded', problems: ['standby broker mqtt://standby:1883 has no bridge to the primary'] });
  });

  it('is down when no broker is reachable, or none is configured', () => {
    const none = deriveStatus({ ...healthy(), brokers: [broker('primary', false), broker('standby', false)] });
    expect(none.status).to.equal('down');
    expect(none.problems[0]).to.equal('no MQTT broker is reachable');
    expect(deriveStatus({ ...healthy(), brokers: [] }).status).to.equal('down');
  });

  it('is degraded without a MongoDB primary, with ingest lagging or holding too much', () => {
    expect(deriveStatus({ ...healthy(), mongo: { primary: null } })).to.deep.equal({ status: 'degraded', problems: ['MongoDB has no primary: ingest holds writes back'] });
    const lagging = { ...healthy(), ingest: { lagMs: 12_345, bufferDepth: 10_001, writeErrors: 3, offlineDevices: 4, lastWriteAt: null } };
    expect(deriveStatus(lagging)).to.deep.equal({ status: 'degraded', problems: ['ingest lag 12.3 s is over 10.0 s', 'ingest holds 10001 updates, over 10000'] });
    expect(deriveStatus(lagging, { maxLagMs: 20_000, maxBufferDepth: 20_000 }).status, 'thresholds are settable').to.equal('ok');
  });

  it('does not judge offline devices or past write errors, nor parts that do not run here', () => {
    expect(deriveStatus({ ...healthy(), ingest: { lagMs: 0, bufferDepth: 0, writeErrors: 9, offlineDevices: 30, lastWriteAt: null } }).status).to.equal('ok');
    expect(deriveStatus({ ...healthy(), mongo: null, ingest: null }).status).to.equal('ok');
  });

  it('maps to HTTP 200 for ok and degraded, 503 for down', () => {
    expect([httpStatusOf('ok'), httpStatusOf('degraded'), httpStatusOf('down')]).to.deep.equal([200, 200, 503]);
  });

});

describe('web: health collector', function () {
  this.timeout(20_000);
  let primary: RunningBroker;
  let standby: RunningBroker;

  before(async () => {
    primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: primary.url } });
    await standby.bridged();
  });

  after(async () => {
    await standby?.close();
    await primary?.close();
  });

  it('reads in-process brokers, probes the others, and names the MongoDB primary', async () => {
    const down = `mqtt://127.0.0.1:${await freePort()}`;
    const collect = healthCollector({
      brokers: [
        { role: 'primary', url: primary.url, health: () => primary.health() },
        { role: 'standby', url: standby.url },
        { role: 'standby', url: down },
      ],
      mongo: () => 'db1:27017',
      ingest: { health: () => ({ bufferDepth: 2, lagMs: 40, offlineDevices: 1, writeErrors: 0, lastWriteAt: Date.parse('2026-11-22T10:00:00.000Z') }) },
      probeTimeoutMs: 1500,
    });
    const report = await collect();
    expect(report.brokers[0]).to.deep.include({ id: primary.id, role: 'primary', url: primary.url, reachable: true, bridge: null });
    expect(report.brokers[0].clients, 'the standby bridge is a client of the primary').to.be.at.least(1);
    expect(report.brokers[1]).to.deep.include({ role: 'standby', url: standby.url, reachable: true, clients: null });
    expect(report.brokers[2]).to.deep.include({ role: 'standby', url: down, reachable: false });
    expect(report.brokers[2].error).to.be.a('string');
    expect(report.mongo).to.deep.equal({ primary: 'db1:27017' });
    expect(report.ingest).to.deep.equal({ bufferDepth: 2, lagMs: 40, offlineDevices: 1, writeErrors: 0, lastWriteAt: '2026-11-22T10:00:00.000Z' });
    expect(report.status).to.equal('degraded');
    expect(report.problems).to.have.lengthOf(1);
  });

  it('reports a standby bridge from its health', async () => {
    const report = await healthCollector({ brokers: [{ role: 'standby', url: standby.url, health: () => standby.health() }] })();
    expect(report.brokers[0].bridge).to.include({ connected: true });
    expect(report.status).to.equal('ok');
  });
});
