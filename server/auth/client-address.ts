import net from 'node:net';
import { env } from '../env';

/**
 * The address of the client behind a request, for per-client throttles (logins, bind codes).
 *
 * A route handler never sees the socket: the only source is X-Forwarded-For. `next start` fills
 * that header from the socket only when the request has none (`??=` in next/dist/server/
 * base-server.js); a header the client sent itself is passed through untouched, and nothing is
 * appended. So every entry may be the client's own invention, except those written by a proxy we
 * know. We read the list from the right (the hop nearest to us), skip the addresses of trusted
 * proxies (TRUSTED_PROXIES), and take the first address left. Without trusted proxies that is the
 * last entry: the socket address when the client sent no header, as Next wrote it. The app must
 * then be reachable only directly or through those proxies (the launcher binds it to loopback).
 *
 * IPv6 clients are keyed by their /64: one host usually holds a whole /64 and could otherwise
 * take a fresh address, and a fresh allowance, per try.
 */
export function clientAddress(headers: Headers, trustedProxies: readonly string[] = env.TRUSTED_PROXIES): string {
  const hops = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => normalise(h.trim()))
    .filter((h) => h !== '');
  const trusted = blockList(trustedProxies);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    const family = net.isIP(hop);
    if (!family) return 'unknown';
    if (!trusted.check(hop, family === 4 ? 'ipv4' : 'ipv6')) return key(hop, family);
  }
  // Only proxies in the chain (a request made on the proxy's own machine): the first one is the client.
  const first = hops[0];
  return first && net.isIP(first) ? key(first, net.isIP(first)) : 'unknown';
}

/** Whether an address from `clientAddress` is this machine: 127.0.0.0/8, or ::1 (keyed as its /64). */
export const isLoopbackClient = (address: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === key('::1', 6);

/** `::ffff:1.2.3.4` is the IPv4 client 1.2.3.4; `[::1]:port` and `1.2.3.4:port` lose the port. */
function normalise(hop: string) {
  let h = hop;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (bracketed) h = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(h);
  return mapped ? mapped[1]! : h;
}

function key(ip: string, family: number) {
  if (family === 4) return ip;
  return `${expand(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address. */
function expand(ip: string) {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const a = head ? head.split(':') : [];
  const b = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - a.length - b.length).fill('0');
  return [...a, ...zeros, ...b].map((h) => h.toLowerCase().replace(/^0+(?=.)/, ''));
}

const lists = new Map<string, net.BlockList>();
function blockList(entries: readonly string[]) {
  const id = entries.join(',');
  let list = lists.get(id);
  if (!list) {
    list = new net.BlockList();
    for (const e of entries) {
      const [ip, bits] = e.split('/');
      const type = net.isIP(ip!) === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(ip!, type);
      else list.addSubnet(ip!, Number(bits), type);
    }
    lists.set(id, list);
  }
  return list;
}
