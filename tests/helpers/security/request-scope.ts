import { AsyncLocalStorage } from 'node:async_hooks';
import { readCookie } from '@/server/http';

/**
 * A stand-in for Next's request scope, for route handlers and procedures that read `cookies()`
 * or `headers()` from `next/headers`. Next keeps the scope in its own AsyncLocalStorage, which it
 * fills only inside its server (its `cookies()` needs a work store and a work-unit store that
 * only Next's request pipeline creates: outside it, it throws "called outside a request scope").
 * Test files mock `next/headers` with this module; `inRequestScope(req, fn)` then plays the part
 * of Next: while `fn` runs, `cookies()` and `headers()` answer from `req`'s own headers (the
 * Cookie header the test put on the Request), and outside a scope they throw, as Next's do.
 */
const scope = new AsyncLocalStorage<Request>();

export function inRequestScope<T>(req: Request, fn: () => T): T {
  return scope.run(req, fn);
}

function current(api: string): Request {
  const req = scope.getStore();
  if (!req) throw new Error(`\`${api}\` was called outside a request scope`);
  return req;
}

type Cookie = { name: string; value: string };

function parseCookies(header: string | null): Cookie[] {
  if (!header) return [];
  const out: Cookie[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = readCookie(header, name);
    if (value !== undefined && !out.some((c) => c.name === name)) out.push({ name, value });
  }
  return out;
}

/** `next/headers`' cookies(): read-only, from the Cookie header of the request in scope. */
export async function cookies() {
  const all = parseCookies(current('cookies').headers.get('cookie'));
  return {
    get: (name: string) => all.find((c) => c.name === name),
    getAll: (name?: string) => (name ? all.filter((c) => c.name === name) : all),
    has: (name: string) => all.some((c) => c.name === name),
    get size() {
      return all.length;
    },
    toString: () => all.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; '),
  };
}

/** `next/headers`' headers(): a read-only copy of the request's headers. */
export async function headers() {
  return new Headers(current('headers').headers);
}

export async function draftMode() {
  return { isEnabled: false, enable() {}, disable() {} };
}
