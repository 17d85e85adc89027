// The Aedes hooks of the broker: authentication against the accounts (a
// device token costs one HMAC, a scrypt password tens of milliseconds the
// first time; failures are throttled per address and per user name and
// address, see throttle.ts), and
// the access rules and payload checks on every publish and subscribe. A
// refused publish is marked and dropped quietly by the publish pipeline (an
// error from authorizePublish would close the publisher's connection); a
// refused subscription gets SUBACK 0x80. Each refusal is logged once per
// client and topic.
import { createHash } from 'node:crypto';
import type { AedesOptions, AuthenticateError, Client, PublishPacket } from 'aedes';
import type { Topics } from '../../contract/index.ts';
import type { Logger } from '../../log/index.ts';
import type { WarnOnce } from '../log-once.ts';
import { checkPayload } from '../validate.ts';
import type { Accounts } from './accounts.ts';
import { ANONYMOUS, mayPublish, maySubscribe, type Principal } from './acl.ts';
import { verifyPassword } from './password.ts';
import { AuthThrottle, addressKey, type ThrottleScope } from './throttle.ts';
import { isTokenHash, verifyDeviceToken } from './token.ts';

export interface RefusalCounters {
  denied: number;
  invalid: number;
  stale: number;
  duplicate: number;
}

export interface HookDeps {
  topics: Topics;
  accounts: Accounts;
  allowAnonymous: boolean;
  /** Publishes to drop: filled here, emptied by the publish pipeline. */
  refused: WeakSet<object>;
  counters: RefusalCounters;
  warn: WarnOnce;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  now?: () => number;
  /** Limits on failed authentications; default AuthThrottle's defaults. */
  throttle?: AuthThrottle;
}

export type Hooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>> & {
  /** The identity of a connected client. */
  principalOf(client: Client): Principal | undefined;
};

const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Remembers scrypt passwords that checked out (as digests), so reconnects cost no scrypt. */
class VerifiedCache {
  readonly #entries = new Set<string>();
  constructor(readonly limit = 10_000) {}
  key(username: string, password: Buffer, hash: Buffer): string {
    return createHash('sha256').update(username).update('\0').update(password).update('\0').update(hash).digest('base64');
  }
  has(key: string): boolean {
    return this.#entries.has(key);
  }
  add(key: string): void {
    this.#entries.add(key);
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.values().next().value as string);
  }
}

/** The client's address: the TCP or TLS socket's, or for MQTT over WebSocket the HTTP request's. */
function remote(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress;
}

const THROTTLED: Record<ThrottleScope, string> = {
  address: 'authentication throttled: too many failed attempts from this address; refusing its scrypt and unknown accounts without a check for a while',
  user: 'authentication throttled: too many failed attempts for this user name from this address; refusing it without a check for a while',
};

export function createHooks(deps: HookDeps): Hooks {
  const principals = new WeakMap<Client, Principal>();
  const verified = new VerifiedCache();
  const now = deps.now ?? Date.now;
  const throttle = deps.throttle ?? new AuthThrottle();

  function refuse(packet: PublishPacket, client: Client, kind: 'denied' | 'invalid', reason: string, cause = ''): void {
    deps.refused.add(packet);
    deps.counters[kind] += 1;
    deps.warn(`${kind}\0${client.id}\0${packet.topic}\0${cause}`, { clientId: client.id, username: (principals.get(client) as { username?: string })?.username, topic: packet.topic, reason }, kind === 'denied' ? 'publish denied' : 'publish refused: invalid payload');
  }

  return {
    principalOf: (client) => principals.get(client),

    authenticate(client, username, password, done) {
      if (username === undefined || username === '') {
        if (deps.allowAnonymous) {
          principals.set(client, ANONYMOUS);
          return done(null, true);
        }
        deps.warn(`anon\0${remote(client)}`, { clientId: client.id, remote: remote(client) }, 'connection refused: no credentials and anonymous access is off');
        return done(authError('not authorized', NOT_AUTHORIZED), false);
      }
      const address = remote(client);
      const account = deps.accounts.get(username);
      const token = account !== undefined && isTokenHash(account.password);
      // While throttled, refused without a check (CONNACK 5). A device token is still checked when only
      // its address is throttled: one HMAC, and 128 bits cannot be guessed, so whoever shares an
      // address (a NAT) with the fleet cannot lock the fleet out by failing; its own bucket still holds.
      const waitMs = Math.max(throttle.waitMs('user', username, address), token ? 0 : throttle.waitMs('address', username, address));
      if (waitMs > 0) {
        deps.logger?.debug({ clientId: client.id, username, remote: address, waitMs }, 'connection refused: throttled');
        return done(authError('not authorized: too many failed attempts, try again later', NOT_AUTHORIZED), false);
      }
      const reject = () => {
        deps.warn(`auth\0${username}\0${address}`, { clientId: client.id, username, remote: address }, 'connection refused: bad user name or password');
        for (const scope of throttle.failed(username, address)) {
          const key = scope === 'address' ? addressKey(address) : `${addressKey(address)}\0${username}`;
          deps.warn(`throttle\0${scope}\0${key}`, { remote: address, ...(scope === 'user' ? { username } : {}) }, THROTTLED[scope]);
        }
        done(authError('bad user name or password', BAD_CREDENTIALS), false);
      };
      if (!account || !password) return reject();
      const accept = () => {
        principals.set(client, account);
        deps.logger?.debug({ clientId: client.id, username, role: account.role }, 'authenticated');
        done(null, true);
      };
      if (isTokenHash(account.password)) return verifyDeviceToken(password, account.password) ? accept() : reject();
      const stored = account.password;
      const key = verified.key(username, password, stored.hash);
      if (verified.has(key)) return accept();
      verifyPassword(password, stored).then(
        (ok) => {
          if (!ok) return reject();
          verified.add(key);
          accept();
        },
        () => reject(),
      );
    },

    authorizePublish(client, packet, done) {
      // A will left by a client of a broker that is gone: it was checked when that client connected.
      if (!client) return done(null);
      const who = principals.get(client);
      if (!who || !mayPublish(who, packet.topic, deps.topics)) {
        refuse(packet, client, 'denied', who ? `role ${who.role} may not publish here` : 'not authenticated');
        return done(null);
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const clearing = payload.length === 0 && packet.retain && (who.role === 'admin' || who.role === 'bridge' || who.role === 'anonymous');
      if (!clearing) {
        const verdict = checkPayload(deps.topics, packet.topic, payload, now());
        if (!verdict.ok) {
          refuse(packet, client, 'invalid', `${verdict.cause}: ${verdict.reason}`, verdict.cause);
          return done(null);
        }
      }
      done(null);
    },

    authorizeSubscribe(client, subscription, done) {
      const who = principals.get(client);
      if (who && maySubscribe(who, subscription.topic, deps.topics)) return done(null, subscription);
      deps.counters.denied += 1;
      deps.warn(`sub\0${client.id}\0${subscription.topic}`, { clientId: client.id, username: (who as { username?: string })?.username, topic: subscription.topic }, 'subscription denied');
      done(null, null);
    },
  };
}
