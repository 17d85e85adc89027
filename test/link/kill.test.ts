// The link across a SIGKILL of a real primary broker process.
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { FailoverLink } from '../../link/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { missing, next, until } from './wait.ts';

/** A plain QoS 0 subscriber on one broker (QoS 0: nothing it sends can make a dying broker reset the socket). */
async function observe(url: string, filter: string): Promise<{ client: MqttClient; seen: number[] }> {
  const client = connect(url, { reconnectPeriod: 0 });
  client.on('error', () => {});
  const seen: number[] = [];
  client.on('message', (_topic, payload) => seen.push(Number(payload.toString())));
  await client.subscribeAsync(filter, { qos: 0 });
  return { client, seen };
}

describe('link: primary broker process killed', function () {
  this.timeout(30_000);
  let primary: BrokerProcess;
  let standby: BrokerProcess;
  const clients: MqttClient[] = [];
  let link: FailoverLink | undefined;

  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    standby = await startBrokerProcess({ role: 'standby', primaryUrl: primary.url });
  });

  after(async () => {
    await link?.close();
    for (const c of clients) c.end(true);
    await Promise.all([primary?.stop(), standby?.stop()]);
  });

  it('fails over on SIGKILL, loses no acknowledged publish, and moves back after the restart', async () => {
    const topic = 'test/kill/seq';
    const onPrimary = await observe(primary.url, topic);
    const onStandby = await observe(standby.url, topic);
    clients.push(onPrimary.client, onStandby.client);
    link = new FailoverLink({ servers: [primary.url, standby.url], failoverMs: 300, probeIntervalMs: 200, probeHealthy: 2, backoff: { initialMs: 50, maxMs: 200 } });
    link.start();
    await link.waitConnected();
    const failover = next<[string, string, string, number]>(link, 'failover', { timeoutMs: 5000 });
    let killedAt = 0;
    const n = 200;
    for (let i = 1; i <= n; i++) {
      if (i === 80) {
        killedAt = Date.now();
        await primary.kill('SIGKILL');
      }
      void link.publish(topic, String(i));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const [from, to] = await failover;
    const measured = link.stats().lastFailover!.at - killedAt;
    console.log(`      SIGKILL of the primary: failover in ${measured} ms`);
    expect([from, to]).to.deep.equal([primary.url, standby.url]);
    expect(measured).to.be.below(1000);
    await link.flush(5000);
    await until(() => missing(n, [...onPrimary.seen, ...onStandby.seen]).length === 0, {
      timeoutMs: 5000,
      what: () => `missing ${missing(n, [...onPrimary.seen, ...onStandby.seen]).join(',')}`,
    });

    const back = next<[string, string, string]>(link, 'failover', { timeoutMs: 10_000, filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
    await primary.restart();
    const [, backTo] = await back;
    expect(backTo).to.equal(primary.url);
    const again = await observe(primary.url, topic);
    clients.push(again.client);
    await link.publish(topic, String(n + 1));
    await until(() => again.seen.includes(n + 1), { what: () => 'the publish after moving back' });
  });
});
