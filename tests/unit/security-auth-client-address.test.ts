import { describe, expect, it, vi } from 'vitest';
import { clientAddress } from '@/server/auth/client-address';
import { BIND_THROTTLE } from '@/server/services/phone-throttle';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, trpcRefusal } from '../helpers/unit-support';

const request = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({ headers: async () => request.headers, cookies: async () => ({ get: () => undefined }) }));

const fx = useTestDb();

const xff = (value?: string) => new Headers(value === undefined ? {} : { 'x-forwarded-for': value });

describe('client address for throttles', () => {
  it('without trusted proxies, a client cannot pick its address by sending its own X-Forwarded-For first', () => {
    // Next keeps a client's header as is; a proxy that appends puts the real peer last.
    expect(clientAddress(xff('1.2.3.4, 198.51.100.7'), [])).toBe('198.51.100.7');
    expect(clientAddress(xff('198.51.100.7'), [])).toBe('198.51.100.7');
  });

  it('skips trusted proxies from the right and takes the first address before them', () => {
    const proxies = ['127.0.0.1', '10.0.0.0/8'];
    expect(clientAddress(xff('6.6.6.6, 203.0.113.9, 10.1.2.3, 127.0.0.1'), proxies)).toBe('203.0.113.9');
    // A forged entry left of the real client is never reached.
    expect(clientAddress(xff('6.6.6.6, 203.0.113.9'), proxies)).toBe('203.0.113.9');
  });

  it('a request made on the proxy machine itself is that machine', () => {
    expect(clientAddress(xff('127.0.0.1'), ['127.0.0.1'])).toBe('127.0.0.1');
  });

  it('keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientAddress(xff('2001:db8:aa:bb::1'), [])).toBe('2001:db8:aa:bb::/64');
    expect(clientAddress(xff('2001:0db8:00aa:00bb:ffff:1:2:3'), [])).toBe('2001:db8:aa:bb::/64');
    expect(clientAddress(xff('::ffff:192.0.2.1'), [])).toBe('192.0.2.1');
    expect(clientAddress(xff('[2001:db8::1]:443'), [])).toBe('2001:db8:0:0::/64');
  });

  it('anything that is not an address, or no header, is one shared "unknown" client', () => {
    expect(clientAddress(xff('evil'), [])).toBe('unknown');
    expect(clientAddress(xff(), [])).toBe('unknown');
    expect(clientAddress(xff(''), [])).toBe('unknown');
  });
});

describe('bind code throttle behind Next', () => {
  it('a phone that forges a new X-Forwarded-For on every guess is still one client', async () => {
    for (let i = 0; i < BIND_THROTTLE.perClient; i++) {
      request.headers = new Headers({ 'x-forwarded-for': `10.9.8.${i}, 198.51.100.77` });
      const err = await trpcRefusal(
        callerFor(makeContext(fx.db, null, { client: clientAddress(request.headers) })).phone.bind({ code: String(1_000_000_000 + i) }),
      );
      expect(err.message).toBe('phone.codeUnknown');
    }
    request.headers = new Headers({ 'x-forwarded-for': '10.9.8.200, 198.51.100.77' });
    const locked = await trpcRefusal(callerFor(makeContext(fx.db, null, { client: clientAddress(request.headers) })).phone.bind({ code: '2000000000' }));
    expect(locked.code).toBe('TOO_MANY_REQUESTS');
  });
});
