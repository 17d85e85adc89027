// The limits on failed authentications (broker/auth/throttle.ts), on an
// injected clock: per address and per (user name, address) token buckets,
// only failures count, entries expire, memory stays bounded.
import { expect } from 'chai';
import { AuthThrottle, addressKey } from '../../broker/auth/throttle.ts';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('auth throttle (injected clock)', () => {
  const perAddress = { burst: 10, refillMs: 1_000 };
  const perUser = { burst: 3, refillMs: 10_000 };

  it('lets a burst of failures per (user, address) be checked, then refuses that pair until a token is back', () => {
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, now: c.now });
    expect(t.failed('pi-1', '10.0.0.9')).to.deep.equal([]);
    expect(t.failed('pi-1', '10.0.0.9')).to.deep.equal([]);
    expect(t.waitMs('user', 'pi-1', '10.0.0.9')).to.equal(0);
    expect(t.failed('pi-1', '10.0.0.9')).to.deep.equal(['user']);
    expect(t.waitMs('user', 'pi-1', '10.0.0.9')).to.equal(10_000);
    c.t += 4_000;
    expect(t.waitMs('user', 'pi-1', '10.0.0.9')).to.equal(6_000);
    c.t += 6_000;
    expect(t.waitMs('user', 'pi-1', '10.0.0.9')).to.equal(0);
    // One failure now takes the token that came back: throttled again at once.
    expect(t.failed('pi-1', '10.0.0.9')).to.deep.equal(['user']);
  });

  it('failing a user name from one address never throttles it from another (no lockout from elsewhere)', () => {
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, now: c.now });
    for (let i = 0; i < 50; i += 1) t.failed('pi-1', '203.0.113.66');
    expect(t.waitMs('user', 'pi-1', '203.0.113.66')).to.be.greaterThan(0);
    expect(t.waitMs('address', 'pi-1', '203.0.113.66')).to.be.greaterThan(0);
    expect(t.waitMs('user', 'pi-1', '10.0.0.9')).to.equal(0);
    expect(t.waitMs('address', 'pi-1', '10.0.0.9')).to.equal(0);
  });

  it('throttles an address that fails many user names, each only a few times', () => {
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, now: c.now });
    const scopes = Array.from({ length: 10 }, (_, i) => t.failed(`user-${i}`, '198.51.100.7'));
    expect(scopes.slice(0, 9).every((s) => s.length === 0)).to.equal(true);
    expect(scopes[9]).to.deep.equal(['address']);
    expect(t.waitMs('address', 'someone-else', '198.51.100.7')).to.equal(1_000);
    expect(t.waitMs('user', 'someone-else', '198.51.100.7')).to.equal(0);
    c.t += 1_000;
    expect(t.waitMs('address', 'someone-else', '198.51.100.7')).to.equal(0);
  });

  it('successes cost nothing: a thousand devices from one address are never throttled', () => {
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, now: c.now });
    for (let i = 0; i < 1000; i += 1) expect(t.waitMs('address', `pi-${i}`, '127.0.0.1') + t.waitMs('user', `pi-${i}`, '127.0.0.1')).to.equal(0);
    expect(t.size).to.equal(0);
  });

  it('forgets an entry once its bucket is full again, and never holds more than maxEntries', () => {
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, maxEntries: 100, now: c.now });
    t.failed('pi-1', '10.0.0.1');
    expect(t.size).to.equal(2);
    c.t += 30_000; // perUser: 1 token back every 10 s, 1 taken: full after 10 s; perAddress after 1 s
    t.failed('pi-2', '10.0.0.2');
    expect(t.size).to.equal(2);
    for (let i = 0; i < 5_000; i += 1) t.failed(`u${i}`, `10.1.${i >> 8}.${i & 255}`);
    expect(t.size).to.be.at.most(100);
  });

  it('an IPv6 address counts by its /64; IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('::ffff:10.0.0.9')).to.equal('10.0.0.9');
    expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    expect(addressKey(undefined)).to.equal('unknown');
    const c = clock();
    const t = new AuthThrottle({ perAddress, perUser, now: c.now });
    for (let i = 0; i < 10; i += 1) t.failed(`u${i}`, `2001:db8:1:2::${i + 1}`);
    expect(t.waitMs('address', 'x', '2001:db8:1:2:ffff::9')).to.be.greaterThan(0);
    expect(t.waitMs('address', 'x', '2001:db8:1:3::9')).to.equal(0);
  });
});
