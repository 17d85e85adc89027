// broker.health() of in-process brokers: role, clients, retained count,
// refusals, bridge state and traffic, uptime.
import { expect } from 'chai';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { closeAll, connect, recorder, unique } from './clients.ts';

describe('broker health (in process)', function () {
  this.timeout(30_000);
  let primary: RunningBroker;
  let standby: RunningBroker;

  before(async () => {
    primary = await startBroker({ role: 'primary', allowAnonymous: true });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: primary.url } });
    await standby.bridged();
  });
  after(async () => {
    await closeAll();
    await standby?.close();
    await primary?.close();
  });

  it('reports role, clients, retained messages under the root, refusals, bridge traffic and uptime', async () => {
    const before = { primary: await primary.health(), standby: await standby.health() };
    expect(before.primary).to.include({ role: 'primary', status: 'up', persistence: 'memory' });
    expect(before.primary.bridge).to.equal(undefined);
    expect(before.primary.urls).to.deep.equal({ mqtt: primary.url, ws: primary.wsUrl });
    expect(before.standby.urls).to.deep.equal({ mqtt: standby.url });
    expect(before.standby.bridge).to.include({ url: primary.url, connected: true });
    expect(before.primary.clients).to.equal(1); // the standby's bridge

    const lot = unique('lot');
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const s = await connect(standby.url);
    await p.publishAsync(`parking/${lot}/slot/A/1`, '{"status":"free","ts":5}', { qos: 1, retain: true });
    await onStandby.on(`parking/${lot}/slot/A/1`); // stored (Aedes acknowledges QoS 1 before storing)
    await p.publishAsync(`parking/${lot}/slot/A/1`, '{"status":"free","ts":4}', { qos: 1, retain: true }); // stale
    await p.publishAsync(`parking/${lot}/slot/A/2`, 'nonsense', { qos: 1, retain: true }); // invalid
    await s.publishAsync(`parking/${lot}/availability`, '{}', { qos: 1, retain: true });
    await p.publishAsync('elsewhere/x', 'kept out of the count', { qos: 1, retain: true });
    const marker = await recorder(primary.url, `parking/${lot}/availability`);
    await marker.on(`parking/${lot}/availability`);

    const after = { primary: await primary.health(), standby: await standby.health() };
    expect(after.primary.retained - before.primary.retained).to.equal(2);
    expect(after.standby.retained - before.standby.retained).to.equal(2);
    expect(after.primary.refused.stale - before.primary.refused.stale).to.equal(1);
    expect(after.primary.refused.invalid - before.primary.refused.invalid).to.equal(1);
    expect(after.primary.clients).to.equal(3); // the bridge, p, marker
    expect(after.standby.bridge!.messagesIn - before.standby.bridge!.messagesIn).to.be.at.least(1);
    expect(after.standby.bridge!.messagesOut - before.standby.bridge!.messagesOut).to.equal(1);
    expect(after.standby.uptimeMs).to.be.above(0);
    expect(Date.parse(after.standby.bridge!.since)).to.be.at.most(Date.now());
  });

  it('shows the bridge down while the primary is gone, and closed brokers as closed', async () => {
    const lonely = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: 'mqtt://127.0.0.1:1', reconnectMs: 50 } });
    try {
      const health = await lonely.health();
      expect(health.bridge).to.include({ connected: false, url: 'mqtt://127.0.0.1:1' });
    } finally {
      await lonely.close();
    }
    expect((await lonely.health()).status).to.equal('closed');
  });
});
