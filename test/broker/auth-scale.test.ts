// A standby meeting a whole fleet it has never seen: 2,000 device accounts
// with device tokens connecting at once (from one process, one address) to a
// broker that has not checked any of them before. All must be accepted; the
// time it took is printed (not asserted: machines are noisy). With scrypt
// (about 34 ms of CPU each) this took over a minute.
import { expect } from 'chai';
import mqtt, { type MqttClient } from 'mqtt';
import { hashDeviceToken, newDeviceToken, parseAccounts, startBroker, type RunningBroker } from '../../broker/index.ts';

const FLEET = 2_000;

describe('device tokens at fleet scale (in process)', function () {
  this.timeout(60_000);
  let broker: RunningBroker;
  const clients: MqttClient[] = [];
  const tokens = new Map<string, string>();

  before(async () => {
    const accounts: Record<string, unknown> = {};
    const hashing = performance.now();
    for (let i = 0; i < FLEET; i += 1) {
      const username = `pi-${String(i).padStart(5, '0')}`;
      const token = newDeviceToken();
      tokens.set(username, token);
      accounts[username] = { password: hashDeviceToken(token), role: 'device', lot: 'L1', slots: [`B${i % 10}/${String(i).padStart(5, '0')}`] };
    }
    process.stdout.write(`      ${FLEET} device tokens generated and hashed in ${(performance.now() - hashing).toFixed(0)} ms\n`);
    broker = await startBroker({ role: 'primary', accounts: parseAccounts(JSON.stringify({ accounts })), wsPort: false });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => {})));
    await broker?.close();
  });

  it(`accepts ${FLEET} device accounts connecting at once`, async () => {
    const start = performance.now();
    const accepted: number[] = [];
    const outcomes = await Promise.all(
      [...tokens].map(
        ([username, token]) =>
          new Promise<string>((resolve) => {
            const client = mqtt.connect(broker.url, { username, password: token, clientId: username, reconnectPeriod: 0, connectTimeout: 30_000, keepalive: 60 });
            clients.push(client);
            client.once('connect', () => {
              accepted.push(performance.now() - start);
              resolve('ok');
            });
            client.once('error', (error) => resolve(`${username}: ${error.message}`));
            client.once('close', () => resolve(`${username}: closed`));
          }),
      ),
    );
    const allMs = performance.now() - start;
    const failures = outcomes.filter((outcome) => outcome !== 'ok');
    expect(failures.slice(0, 5), `${failures.length} refused or failed`).to.deep.equal([]);
    accepted.sort((a, b) => a - b);
    const p = (q: number) => accepted[Math.min(accepted.length - 1, Math.floor(q * accepted.length))].toFixed(0);
    process.stdout.write(`      ${FLEET} device accounts accepted in ${allMs.toFixed(0)} ms (p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; clients and broker in one process)\n`);
    expect((await broker.health()).clients).to.equal(FLEET);
  });
});
