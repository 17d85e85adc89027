import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { liveAccounts } from '../../accounts/index.ts';
import { loadAccounts, verifyDeviceToken, verifyPassword, type Account } from '../../broker/index.ts';
import { run } from '../../cli/index.ts';
import { sayRefusals } from '../../cli/command.ts';
import { freePort } from '../../testbed/services/index.ts';
import { testContext } from './context.ts';

/** `parking accounts …` in process against `file`: exit code, stdout, stderr. */
async function accounts(file: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = testContext({ PARKING_MQTT_AUTH_FILE: file });
  const code = await run(['accounts', ...args], ctx);
  return { code, out: ctx.out.join(''), err: ctx.err.join('') };
}

async function matches(account: Account | undefined, secret: string): Promise<boolean> {
  if (!account) return false;
  return 'scheme' in account.password ? verifyDeviceToken(secret, account.password) : verifyPassword(secret, account.password);
}

/** Whether the broker at `url` accepts `username`/`password` (CONNACK 0), or the refusal's message. */
function tryConnect(url: string, username: string, password: string): Promise<true | string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    client.once('connect', () => {
      client.end(true);
      resolve(true);
    });
    client.once('error', (error) => {
      client.end(true);
      resolve(error.message);
    });
  });
}

describe('parking accounts add|list|remove|rotate', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parking-accounts-'));
    file = join(dir, 'etc', 'mqtt-accounts.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('add makes the file (owner-only), prints the secret alone on stdout once, and the file holds only its hash', async () => {
    const device = await accounts(file, 'add', 'pi-b1-07', '--role', 'device', '--lot', 'mall-1', '--slots', 'B1/07,B1/08');
    expect(device.code, device.err).to.equal(0);
    const token = device.out.trim();
    expect(token).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(device.err).to.match(/added device account pi-b1-07 to .*; .*SIGHUP.*shown this once/);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8')).to.not.include(token);
    const gate = await accounts(file, 'add', 'gate-north', '--role', 'gate', '--lot', 'mall-1', '--gate', 'north');
    const reader = await accounts(file, 'add', 'lobby', '--role', 'reader', '--lot', 'mall-1');
    const read = loadAccounts(file);
    expect(read.get('pi-b1-07')).to.deep.include({ role: 'device', lot: 'mall-1', device: 'pi-b1-07' });
    const pi = read.get('pi-b1-07');
    expect(pi?.role === 'device' && [...pi.slots]).to.deep.equal(['B1/07', 'B1/08']);
    expect(read.get('pi-b1-07')!.password, 'a device keeps a token hash').to.have.property('scheme', 'hmac-sha256');
    expect(read.get('gate-north')!.password, 'the others keep scrypt').to.have.property('N');
    expect(await matches(read.get('pi-b1-07'), token)).to.equal(true);
    expect(await matches(read.get('gate-north'), gate.out.trim())).to.equal(true);
    expect(await matches(read.get('lobby'), reader.out.trim())).to.equal(true);
    expect(await matches(read.get('lobby'), gate.out.trim())).to.equal(false);
  });

  it('list shows name, role, secret kind and scope, never a hash; --json one object a line', async () => {
    await accounts(file, 'add', 'pi-b1-07', '--role', 'device', '--lot', 'mall-1', '--slots', 'B1/07');
    await accounts(file, 'add', 'ops', '--role', 'admin');
    const listed = await accounts(file, 'list');
    expect(listed.code).to.equal(0);
    expect(listed.out.split('\n')[0]).to.match(/^username\s+role\s+secret\s+scope$/);
    expect(listed.out).to.match(/ops\s+admin\s+scrypt\s+every lot/);
    expect(listed.out).to.match(/pi-b1-07\s+device\s+token\s+lot mall-1, device pi-b1-07, slots B1\/07/);
    expect(listed.out).to.not.match(/scrypt\$|hmac-sha256\$/);
    const json = (await accounts(file, 'list', '--json')).out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(json).to.deep.equal([
      { username: 'ops', role: 'admin', secret: 'scrypt' },
      { username: 'pi-b1-07', role: 'device', lot: 'mall-1', device: 'pi-b1-07', slots: ['B1/07'], secret: 'token' },
    ]);
  });

  it('rotate gives a new secret (the old one no longer matches); remove takes the account out', async () => {
    const first = (await accounts(file, 'add', 'lobby', '--role', 'reader')).out.trim();
    const rotated = await accounts(file, 'rotate', 'lobby');
    expect(rotated.code, rotated.err).to.equal(0);
    const second = rotated.out.trim();
    expect(second).to.not.equal(first);
    expect(await matches(loadAccounts(file).get('lobby'), second)).to.equal(true);
    expect(await matches(loadAccounts(file).get('lobby'), first)).to.equal(false);
    const removed = await accounts(file, 'remove', 'lobby');
    expect(removed.code).to.equal(0);
    expect(loadAccounts(file).has('lobby')).to.equal(false);
  });

  it('refuses what would be wrong, naming it, and leaves the file as it was', async () => {
    await accounts(file, 'add', 'pi-1', '--role', 'device', '--lot', 'mall-1', '--slots', 'B1/1');
    const before = readFileSync(file, 'utf8');
    const cases: Array<[string[], number, RegExp]> = [
      [['add', 'pi-1', '--role', 'device', '--lot', 'mall-1', '--slots', 'B1/2'], 1, /account pi-1 exists .*rotate/],
      [['add', 'pi-2', '--role', 'device', '--lot', 'mall-1'], 2, /needs --slots/],
      [['add', 'pi-2', '--role', 'device', '--lot', 'mall 1', '--slots', 'B1/2'], 2, /--lot: /],
      [['add', 'pi-2', '--role', 'device', '--lot', 'mall-1', '--slots', 'B1'], 2, /"B1" must be level\/slot/],
      [['add', 'g', '--role', 'gate', '--lot', 'mall-1'], 2, /needs --gate/],
      [['add', 'a', '--role', 'admin', '--lot', 'mall-1'], 2, /--lot is not for an account of role admin/],
      [['add', 'a', '--role', 'king'], 2, /--role/],
      [['add', 'a'], 2, /--role/],
      [['remove', 'nobody'], 1, /no account nobody/],
      [['rotate', 'nobody'], 1, /no account nobody/],
    ];
    for (const [args, code, message] of cases) {
      const result = await accounts(file, ...args);
      expect(result.code, args.join(' ')).to.equal(code);
      expect(result.err, args.join(' ')).to.match(message);
      expect(result.out, args.join(' ')).to.equal('');
    }
    expect(readFileSync(file, 'utf8')).to.equal(before);
    expect(existsSync(`${file}.lock`)).to.equal(false);
    // A changed file keeps its mode (an operator's 0640 for the brokers' group).
    chmodSync(file, 0o640);
    await accounts(file, 'add', 'ops', '--role', 'admin');
    expect(statSync(file).mode & 0o777).to.equal(0o640);
  });

  it('a file the brokers would refuse is not touched; a held lock refuses a second writer; no file given is a usage error', async () => {
    writeFileSync(file.replace('etc/mqtt-accounts.json', 'bad.json'), '{"accounts": {"x": {"role": "admin", "password": "plain"}}}');
    const bad = await accounts(file.replace('etc/mqtt-accounts.json', 'bad.json'), 'add', 'y', '--role', 'admin');
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/bad\.json: account "x": password must be a hash/);
    await accounts(file, 'add', 'ops', '--role', 'admin');
    writeFileSync(`${file}.lock`, '');
    const locked = await accounts(file, 'remove', 'ops');
    expect(locked.code).to.equal(1);
    expect(locked.err).to.match(/being changed by another parking accounts/);
    expect(loadAccounts(file).has('ops')).to.equal(true);
    const ctx = testContext();
    expect(await run(['accounts', 'list'], ctx)).to.equal(2);
    expect(ctx.err.join('')).to.match(/needs the auth file: --auth-file FILE or PARKING_MQTT_AUTH_FILE/);
  });

  it('a live account set reads the file again: added, changed (rotated) and removed accounts, the same map object', async () => {
    await accounts(file, 'add', 'keep', '--role', 'reader');
    await accounts(file, 'add', 'gone', '--role', 'reader');
    const live = liveAccounts(file);
    const map = live.accounts;
    await accounts(file, 'add', 'new', '--role', 'reader');
    await accounts(file, 'rotate', 'keep');
    await accounts(file, 'remove', 'gone');
    expect(live.reload()).to.deep.equal({ added: ['new'], removed: ['gone'], changed: ['keep'] });
    expect(live.accounts).to.equal(map);
    expect([...map.keys()].sort()).to.deep.equal(['keep', 'new']);
    writeFileSync(file, 'not json');
    expect(() => live.reload()).to.throw(/not JSON/);
    expect([...map.keys()].sort(), 'a broken file changes nothing').to.deep.equal(['keep', 'new']);
  });

  it('parking broker reads the file again on SIGHUP: an added account gets in, a removed one is refused', async function () {
    this.timeout(20_000);
    const first = (await accounts(file, 'add', 'first', '--role', 'reader')).out.trim();
    const port = await freePort();
    const ctx = testContext({ PARKING_MQTT_AUTH_FILE: file });
    const running = run(['broker', '--role', 'primary', '--port', String(port), '--ws-port', String(await freePort()), '--bind', '127.0.0.1'], ctx);
    try {
      await ctx.printed(/^broker primary listening/);
      const url = `mqtt://127.0.0.1:${port}`;
      expect(await tryConnect(url, 'first', first)).to.equal(true);
      const second = (await accounts(file, 'add', 'second', '--role', 'reader')).out.trim();
      await accounts(file, 'remove', 'first');
      expect(await tryConnect(url, 'second', second), 'not before the reload').to.match(/Not authorized|Bad username or password/);
      ctx.signalSource.emit('SIGHUP');
      expect(await tryConnect(url, 'second', second)).to.equal(true);
      expect(await tryConnect(url, 'first', first)).to.match(/Not authorized|Bad username or password/);
      const rotated = (await accounts(file, 'rotate', 'second')).out.trim();
      ctx.signalSource.emit('SIGHUP');
      expect(await tryConnect(url, 'second', rotated)).to.equal(true);
      expect(await tryConnect(url, 'second', second), 'the secret before the rotation').to.match(/Not authorized|Bad username or password/);
    } finally {
      ctx.signalSource.emit('SIGTERM');
      expect(await running).to.equal(0);
    }
  });

  it('a client of ours refused by the broker says "not authorised" on stderr, without the secret, and keeps trying', async function () {
    this.timeout(20_000);
    await accounts(file, 'add', 'lobby', '--role', 'reader');
    const port = await freePort();
    const brokerCtx = testContext({ PARKING_MQTT_AUTH_FILE: file });
    const broker = run(['broker', '--role', 'primary', '--port', String(port), '--ws-port', String(await freePort()), '--bind', '127.0.0.1'], brokerCtx);
    const signageCtx = testContext();
    let signage: Promise<number> | undefined;
    try {
      await brokerCtx.printed(/^broker primary listening/);
      signage = run(['signage', '--lot', 'mall-1', '--lines', '--servers', `mqtt://lobby:wrong-secret@127.0.0.1:${port}`], signageCtx);
      const deadline = Date.now() + 10_000;
      while (!signageCtx.err.join('').includes('not authorised') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const said = signageCtx.err.join('');
      expect(said).to.match(new RegExp(`^not authorised: mqtt://127\\.0\\.0\\.1:${port} refused the account 'lobby' \\(Connection refused: (Not authorized|Bad username or password)\\); still trying`, 'm'));
      expect(said, 'the secret is never printed').to.not.include('wrong-secret');
    } finally {
      signageCtx.signalSource.emit('SIGTERM');
      if (signage) expect(await signage).to.equal(0);
      brokerCtx.signalSource.emit('SIGTERM');
      await broker;
    }
  });

  it('sayRefusals says it once per broker until that broker accepts, without the secret', () => {
    const link = new EventEmitter();
    const err: string[] = [];
    sayRefusals({ stderr: { write: (text: string) => err.push(text) } }, [link as never]);
    link.emit('refused', 'mqtt://pi-1:s3cret@10.0.0.5:1883', 'Connection refused: Not authorized');
    link.emit('refused', 'mqtt://pi-1:s3cret@10.0.0.5:1883', 'Connection refused: Not authorized');
    link.emit('refused', 'mqtt://pi-1:s3cret@10.0.0.6:1883', 'Connection refused: Not authorized');
    expect(err).to.have.length(2);
    expect(err[0]).to.equal("not authorised: mqtt://10.0.0.5:1883 refused the account 'pi-1' (Connection refused: Not authorized); still trying. Give an account in the broker URLs (mqtt://user:secret@host:1883) and check it with parking accounts list\n");
    link.emit('connected', 'mqtt://pi-1:s3cret@10.0.0.5:1883');
    link.emit('refused', 'mqtt://pi-1:s3cret@10.0.0.5:1883', 'Connection refused: Not authorized');
    expect(err).to.have.length(3);
    expect(err.join('')).to.not.include('s3cret');
  });
});
