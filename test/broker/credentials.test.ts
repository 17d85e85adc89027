// Device tokens next to scrypt passwords: the token and its fast hash, the
// entropy bar, the auth file (the fast format for role device only), the
// authentication hook with its throttle (injected clock), a broker that
// accepts tokens and throttles guessing, and `parking broker --hash-password
// [--role device]`.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { AuthenticateError, Client } from 'aedes';
import {
  AuthThrottle,
  deviceTokenProblem,
  estimateBits,
  hashDeviceToken,
  hashPassword,
  newDeviceToken,
  parseAccounts,
  parseHash,
  parseTokenHash,
  startBroker,
  verifyDeviceToken,
  verifyPassword,
  type RunningBroker,
} from '../../broker/index.ts';
import { createHooks } from '../../broker/auth/hooks.ts';
import { Topics } from '../../contract/index.ts';
import { runParking } from '../../proc/index.ts';
import { closeAll, connect } from './clients.ts';

const CHEAP = { N: 1024, r: 8, p: 1 };

/** `parking ARGS` to its end with `input` on stdin. */
const parking = (args: string[], input: string) => runParking(args, { input });

const device = (password: string, extra: Record<string, unknown> = {}) => ({ password, role: 'device', lot: 'L1', slots: ['B1/01'], ...extra });

describe('device tokens and credentials', function () {
  this.timeout(30_000);

  describe('tokens and their fast hash', () => {
    it('newDeviceToken: 192 random bits, base64url, always above the bar', () => {
      const tokens = new Set(Array.from({ length: 500 }, () => newDeviceToken()));
      expect(tokens.size).to.equal(500);
      for (const token of tokens) {
        expect(token).to.match(/^[A-Za-z0-9_-]{32}$/);
        expect(deviceTokenProblem(token), token).to.equal(undefined);
      }
    });

    it('hashDeviceToken: hmac-sha256$salt$mac, salted (two hashes of one token differ), verified in constant time', () => {
      const token = newDeviceToken();
      const stored = hashDeviceToken(token);
      expect(stored).to.match(/^hmac-sha256\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      expect(hashDeviceToken(token)).to.not.equal(stored);
      const parsed = parseTokenHash(stored);
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(verifyDeviceToken(token, parsed)).to.equal(true);
      expect(verifyDeviceToken(Buffer.from(token), parsed)).to.equal(true);
      expect(verifyDeviceToken(`${token}x`, parsed)).to.equal(false);
      expect(verifyDeviceToken(newDeviceToken(), parsed)).to.equal(false);
      expect(() => hashDeviceToken('password123')).to.throw(/at least 128 bits/);
      expect(parseTokenHash('hmac-sha256$AAAA$AAAA')).to.match(/salt too short/);
      expect(parseTokenHash(`hmac-sha256$${randomBytes(16).toString('base64')}$${randomBytes(20).toString('base64')}`)).to.match(/mac must be 32 bytes/);
      expect(parseTokenHash('hmac-sha256$not base64$x')).to.match(/made by `parking broker --hash-password --role device`/);
    });

    it('the entropy bar: generated tokens pass; human, short, patterned secrets, phrases and UUIDs do not', () => {
      for (let i = 0; i < 300; i += 1) {
        expect(deviceTokenProblem(randomBytes(24).toString('base64')), 'openssl rand -base64 24').to.equal(undefined);
        expect(deviceTokenProblem(randomBytes(24).toString('hex')), 'openssl rand -hex 24').to.equal(undefined);
        expect(deviceTokenProblem(randomBytes(32).toString('base64url'))).to.equal(undefined);
      }
      const weak = [
        'password123',
        'Tr0ub4dor&3',
        'x'.repeat(64),
        'abcdefghijklmnopqrstuvwxyzabcdefghij',
        'pi-b1-07-secretpi-b1-07-secretpi-b1-07-secret',
        'mydevicesecret2024mallone',
        '0123456789abcdef0123456789abcdef',
      ];
      for (const secret of weak) expect(deviceTokenProblem(secret), secret).to.match(/needs at least 128 bits of entropy, this one shows about \d+: generate one, e\.g\. `openssl rand -base64 24`/);
      expect(estimateBits('password123')).to.be.below(30);
      expect(deviceTokenProblem('correct horse battery staple correct horse battery staple')).to.match(/no spaces/);
      expect(deviceTokenProblem('3b241101-e2bb-4255-8caf-4136c566a962')).to.match(/UUID holds at most 122 random bits/);
      expect(deviceTokenProblem('')).to.match(/must not be empty/);
      expect(deviceTokenProblem(randomBytes(300).toString('base64'))).to.match(/at most 256 characters/);
    });
  });

  describe('the auth file', () => {
    let scrypt: string;
    before(async () => {
      scrypt = await hashPassword('pw', CHEAP);
    });

    it('a device account may hold a device token hash or a scrypt hash', () => {
      const accounts = parseAccounts(JSON.stringify({ accounts: { 'pi-1': device(hashDeviceToken(newDeviceToken())), 'pi-2': device(scrypt) } }));
      expect((accounts.get('pi-1')?.password as { scheme?: string }).scheme).to.equal('hmac-sha256');
      expect((accounts.get('pi-2')?.password as { N?: number }).N).to.equal(1024);
    });

    it('refuses a device token hash for any other role, naming the account and why', () => {
      const stored = hashDeviceToken(newDeviceToken());
      for (const [role, extra] of [['gate', { lot: 'L1', gate: 'north' }], ['reader', {}], ['service', {}], ['bridge', {}], ['admin', {}]] as const) {
        expect(() => parseAccounts(JSON.stringify({ accounts: { ops: { password: stored, role, ...extra } } })), role).to.throw(
          new RegExp(`^account "ops": password is a device token hash \\(hmac-sha256\\$…\\), which only accounts of role device may hold: a fast hash is safe only for a random token; role ${role} needs a scrypt hash \\(\`parking broker --hash-password\`\\)$`),
        );
      }
    });

    it('refuses a broken device token hash', () => {
      expect(() => parseAccounts(JSON.stringify({ accounts: { 'pi-1': device('hmac-sha256$AAAA$AAAA') } }))).to.throw(/account "pi-1": password hmac-sha256 salt too short/);
      expect(() => parseAccounts(JSON.stringify({ accounts: { 'pi-1': device('md5$abc') } }))).to.throw(/account "pi-1": password must be a hash made by `parking broker --hash-password`/);
    });
  });

  describe('the authentication hook', () => {
    const token = newDeviceToken();
    let accounts: ReturnType<typeof parseAccounts>;
    before(async () => {
      accounts = parseAccounts(JSON.stringify({ accounts: { 'pi-1': device(hashDeviceToken(token)), 'pi-2': device(hashDeviceToken(newDeviceToken())), ops: { password: await hashPassword('ops-pw', CHEAP), role: 'admin' } } }));
    });

    function hooksWith(throttle: AuthThrottle) {
      const warnings: string[] = [];
      const hooks = createHooks({ topics: new Topics('parking'), accounts, allowAnonymous: false, refused: new WeakSet(), counters: { denied: 0, invalid: 0, stale: 0, duplicate: 0 }, warn: (_key, _fields, message) => warnings.push(message), throttle });
      const attempt = (username: string, password: string, address: string) =>
        new Promise<number>((resolve) => {
          const client = { id: `c-${username}`, conn: { remoteAddress: address } } as unknown as Client;
          hooks.authenticate(client, username, Buffer.from(password), (error: AuthenticateError | null, ok: boolean | null) => resolve(ok ? 0 : (error?.returnCode ?? -1)));
        });
      return { attempt, warnings };
    }

    it('accepts the token, refuses a wrong one (4); a throttled pair is refused without a check (5), from elsewhere the device still gets in', async () => {
      const c = { t: 0 };
      const { attempt, warnings } = hooksWith(new AuthThrottle({ perUser: { burst: 3, refillMs: 10_000 }, perAddress: { burst: 100, refillMs: 1_000 }, now: () => c.t }));
      expect(await attempt('pi-1', token, '10.0.0.7')).to.equal(0);
      for (let i = 0; i < 3; i += 1) expect(await attempt('pi-1', 'guess', '203.0.113.66')).to.equal(4);
      expect(await attempt('pi-1', token, '203.0.113.66')).to.equal(5);
      expect(await attempt('pi-1', token, '10.0.0.7'), 'the device at its own address').to.equal(0);
      c.t += 10_000;
      expect(await attempt('pi-1', token, '203.0.113.66')).to.equal(0);
      expect(warnings.filter((w) => w.startsWith('authentication throttled'))).to.have.length(1);
    });

    it('a throttled address: scrypt and unknown accounts refused without a check (5); device tokens still checked, so the fleet behind it gets in', async () => {
      const c = { t: 0 };
      const { attempt } = hooksWith(new AuthThrottle({ perUser: { burst: 5, refillMs: 10_000 }, perAddress: { burst: 4, refillMs: 1_000 }, now: () => c.t }));
      for (let i = 0; i < 4; i += 1) expect(await attempt(`nobody-${i}`, 'x', '192.0.2.1')).to.equal(4);
      expect(await attempt('ops', 'ops-pw', '192.0.2.1')).to.equal(5);
      expect(await attempt('nobody-9', 'x', '192.0.2.1')).to.equal(5);
      expect(await attempt('pi-1', token, '192.0.2.1')).to.equal(0);
      expect(await attempt('pi-2', 'wrong', '192.0.2.1')).to.equal(4);
      expect(await attempt('ops', 'ops-pw', '192.0.2.2')).to.equal(0);
      c.t += 1_000;
      expect(await attempt('ops', 'ops-pw', '192.0.2.1')).to.equal(0);
    });
  });

  describe('a broker with device tokens (in process, MQTT.js clients)', () => {
    let broker: RunningBroker;
    const token = newDeviceToken();
    before(async () => {
      const accounts = parseAccounts(JSON.stringify({ accounts: { 'pi-1': device(hashDeviceToken(token)), ops: { password: await hashPassword('ops-pw', CHEAP), role: 'admin' } } }));
      broker = await startBroker({ role: 'primary', accounts, wsPort: false, authThrottle: { perUser: { burst: 3, refillMs: 60_000 } } });
    });
    after(async () => {
      await closeAll();
      await broker?.close();
    });
    const code = (username: string, password: string) =>
      connect(broker.url, { username, password, clientId: `t-${Math.random()}` }).then(
        () => 0,
        (e: Error & { code?: number }) => e.code,
      );

    it('accepts the token and a scrypt password; a wrong token gets CONNACK 4, and after the burst CONNACK 5 even for the right one', async () => {
      expect(await code('pi-1', token)).to.equal(0);
      expect(await code('ops', 'ops-pw')).to.equal(0);
      for (let i = 0; i < 3; i += 1) expect(await code('pi-1', 'guess')).to.equal(4);
      expect(await code('pi-1', token)).to.equal(5);
      expect(await code('ops', 'ops-pw'), 'another user name from the same address').to.equal(0);
    });
  });

  describe('parking broker --hash-password', () => {
    it('--role device prints a device token hash that verifies the token', async () => {
      const token = randomBytes(24).toString('base64');
      const result = await parking(['broker', '--hash-password', '--role', 'device'], `${token}\n`);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      const parsed = parseTokenHash(result.stdout.trim());
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(verifyDeviceToken(token, parsed)).to.equal(true);
      expect(() => parseAccounts(JSON.stringify({ accounts: { 'pi-1': device(result.stdout.trim()) } }))).to.not.throw();
    });

    it('--role device refuses a low-entropy secret: exit 2, one line saying how to make a token', async () => {
      const result = await parking(['broker', '--role', 'device', '--hash-password'], 'password123');
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/^parking: --hash-password --role device: a device token needs at least 128 bits of entropy, this one shows about \d+: generate one, e\.g\. `openssl rand -base64 24` \(192 random bits\)\n$/);
    });

    it('without --role, with another account role or with a broker role: scrypt, as before', async () => {
      for (const args of [[], ['--role', 'admin'], ['--role', 'gate'], ['--role', 'primary']]) {
        const result = await parking(['broker', '--hash-password', ...args], 'short but human');
        expect(result.code, args.join(' ')).to.equal(0);
        const parsed = parseHash(result.stdout.trim());
        if (typeof parsed === 'string') throw new Error(parsed);
        expect(await verifyPassword('short but human', parsed)).to.equal(true);
      }
    });

    it('an unknown --role with --hash-password: exit 2 naming the account roles', async () => {
      const result = await parking(['broker', '--hash-password', '--role', 'devcie'], 'x');
      expect(result.code).to.equal(2);
      expect(result.stderr.trim()).to.equal("parking: bad setting --role=devcie: with --hash-password, --role names the account's role: one of device, gate, reader, service, bridge, admin");
    });
  });
});
