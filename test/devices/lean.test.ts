// The lean device build (devices/lean/): built, then the artifact itself run, not the sources.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { buildDevice } from '../../devices/lean/build.ts';
import { NODE_FLAGS } from '../../devices/lean/flags.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { runNode } from '../helpers/node.ts';

/** The node flags of deploy/parking-device.service's ExecStart. */
const UNIT_FLAGS = /ExecStart=\S+node((?: --\S+)*) \S+parking-device\.mjs/.exec(readFileSync(new URL('../../deploy/parking-device.service', import.meta.url), 'utf8'))![1].trim().split(' ');

describe('devices: the lean device build', function () {
  this.timeout(60_000);
  let file: string;
  let bytes: number;
  let packages: string[];
  let eager: string[];
  let broker: TestBroker;

  before(async function () {
    ({ file, bytes, packages, eager } = await buildDevice());
    broker = await startTestBroker();
  });
  after(async () => broker?.close());

  it('is under 10 MB with none of the platform\'s server parts, and says its version and commands', async function () {
    expect(bytes).to.be.below(10 * 1024 * 1024).and.at.least(statSync(file).size);
    for (const absent of ['node-red', 'mongodb', 'aedes', 'tsx', 'ioredis', 'rxjs', 'express']) expect(packages, `bundled: ${packages.join(', ')}`).to.not.include(absent);
    expect(packages).to.include('mqtt');
    // A start (`--help`, `--version`, a bad flag) reads the command line only: MQTT, the link and
    // the logger are in chunks an action loads.
    expect(eager).to.deep.equal(['commander']);
    const version = await runNode([file, '--version']);
    expect(version.stdout.trim()).to.equal(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    const help = await runNode([file, '--help']);
    expect(help.stdout).to.match(/device \[options\]/).and.match(/gate \[options\]/).and.not.match(/\n\s+(start|ingest|flows|broker) /);
    const bad = await runNode([file, 'device', '--lot', 'x y']);
    expect(bad.code, bad.stderr).to.equal(2);
  });

  it('publishes a slot state read from stdin, retained, as `parking device` does', async function () {
    // With the node flags of the systemd unit, as a Pi runs it.
    const child = spawn(process.execPath, [...UNIT_FLAGS, file, 'device', '--lot', 'lean', '--level', 'B1', '--slot', '7', '--sensor', 'stdin', '--servers', broker.url], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PARKING_LOG_LEVEL: 'warn', PARKING_DEBOUNCE_MS: '0' } });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const client = await mqtt.connectAsync(broker.url, { clientId: `lean-test-${process.pid}` });
      const seen = new Promise<{ status: string; device?: string }>((resolve) => {
        client.on('message', (topic, payload) => {
          if (topic === 'parking/lean/slot/B1/7' && payload.length) resolve(JSON.parse(payload.toString()) as { status: string });
        });
      });
      await client.subscribeAsync('parking/lean/slot/B1/7', { qos: 1 });
      child.stdin!.write('1\n');
      const state = await seen;
      expect(state.status).to.equal('occupied');
      await client.endAsync();
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code, 'SIGTERM: a clean stop').to.equal(0);
    }
    expect(stderr, 'nothing said on stderr (node warns of conflicting flags there)').to.equal('');
  });

  it('runs with the flags the measurements were made with (devices/lean/measure.ts)', function () {
    expect(UNIT_FLAGS).to.deep.equal(NODE_FLAGS);
  });

  it('says what is missing when asked for what the build leaves out: MQTT over WebSocket', async function () {
    const ws = await runNode([file, 'device', '--lot', 'lean', '--level', 'B1', '--slot', '8', '--sensor', 'sim', '--servers', 'ws://127.0.0.1:9']);
    expect(ws.stderr).to.include('MQTT over WebSocket is not in the lean device build: use mqtt:// or mqtts://');
    expect(ws.code).to.not.equal(0);
  });
});
