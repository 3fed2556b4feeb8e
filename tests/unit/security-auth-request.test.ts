import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loginAttempts } from '@/db/schema';
import { env, livekitSecretFile, PUBLIC_EXAMPLE_SECRETS, resolveLivekitSecret } from '@/server/env';
import { TRPC_BODY_MAX, WEBHOOK_BODY_MAX } from '@/server/auth/request-guards';
import { makeCandidate, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { signWebhook, webhookBody } from '../helpers/unit-support';

const route = vi.hoisted(() => ({ db: undefined as unknown }));
vi.mock('@/server/db', () => ({ getDb: () => route.db }));
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '192.0.2.40' }) }));

const trpc = await import('@/app/api/trpc/[trpc]/route');
const webhook = await import('@/app/api/livekit/webhook/route');

const fx = useTestDb();
beforeEach(() => {
  route.db = fx.db;
});

const APP = 'http://127.0.0.1:3000';
function trpcPost(paths: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(`${APP}/api/trpc/${paths}?batch=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: '127.0.0.1:3000', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('tRPC route: refused before authentication', () => {
  it('a batch carrying several logins gets a clear 400 and no password is tried', async () => {
    const cand = await makeCandidate(fx.db);
    const guess = { json: { idNumber: cand.idNumber, password: 'wrong' } };
    const res = await trpc.POST(
      trpcPost('auth.loginCandidate,auth.loginCandidate,auth.loginCandidate', { 0: guess, 1: guess, 2: guess }, { cookie: 'NEXT_LOCALE=en' }),
    );

    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.json.message).toBe('Login requests must be sent one at a time.');
    expect(fx.db.select().from(loginAttempts).all()).toHaveLength(0);
  });

  it('a single login still goes through (as the app sends it)', async () => {
    const cand = await makeCandidate(fx.db);
    const res = await trpc.POST(trpcPost('auth.loginCandidate', { 0: { json: { idNumber: cand.idNumber, password: PASSWORD } } }, { origin: APP }));
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^sid=/);
  });

  it('a body above the cap gets 413 without being parsed, whether declared or streamed', async () => {
    const big = 'x'.repeat(TRPC_BODY_MAX.auth + 1);
    const declared = await trpc.POST(trpcPost('auth.loginStaff', big));
    expect(declared.status).toBe(413);

    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const streamed = await trpc.POST(
      new Request(`${APP}/api/trpc/auth.loginStaff`, { method: 'POST', headers: { host: '127.0.0.1:3000' }, body: stream, duplex: 'half' } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).error.json.message).toBe('请求内容过大。');
  });

  it('a mutation from another site gets 403; same-origin, and a same-origin fetch without Origin, pass', async () => {
    const cand = await makeCandidate(fx.db);
    const input = { 0: { json: { idNumber: cand.idNumber, password: PASSWORD } } };

    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: 'https://evil.example' }))).status).toBe(403);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: 'http://127.0.0.1:4000' }))).status).toBe(403);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: 'null' }))).status).toBe(403);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { 'sec-fetch-site': 'cross-site' }))).status).toBe(403);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { 'sec-fetch-site': 'same-site' }))).status).toBe(403);

    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: APP }))).status).toBe(200);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { 'sec-fetch-site': 'same-origin' }))).status).toBe(200);
    // The dev server reached as localhost, and the --lan proxy (Host passed on), are same-origin too.
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: 'http://localhost:3000', host: 'localhost:3000' }))).status).toBe(200);
    expect((await trpc.POST(trpcPost('auth.loginCandidate', input, { origin: 'https://192.168.1.5:3443', host: '192.168.1.5:3443' }))).status).toBe(200);
  });
});

describe('LiveKit webhook route', () => {
  it('a webhook signed with the public example secret is refused', async () => {
    const body = webhookBody({ event: 'participant_joined', room: 'exam-1-room-1', identity: 'cand-1-pc' });
    const auth = await signWebhook(body, { secret: PUBLIC_EXAMPLE_SECRETS[0]! });
    const res = await webhook.POST(new Request(`${APP}/api/livekit/webhook`, { method: 'POST', headers: { authorization: auth }, body }));
    expect(res.status).toBe(401);
    expect(env.LIVEKIT_API_SECRET).not.toBe(PUBLIC_EXAMPLE_SECRETS[0]);
  });

  it('a body above the cap gets 413 before the signature is checked', async () => {
    const body = 'x'.repeat(WEBHOOK_BODY_MAX + 1);
    const res = await webhook.POST(new Request(`${APP}/api/livekit/webhook`, { method: 'POST', headers: { authorization: await signWebhook(body) }, body }));
    expect(res.status).toBe(413);
  });
});

describe('the LiveKit secret', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lk-secret-'));

  it('production without a secret of its own refuses to start', () => {
    expect(() => resolveLivekitSecret({ given: undefined, production: true, dataDir: dir() })).toThrow(/LIVEKIT_API_SECRET must be set/);
  });

  it('the public example secret is refused by the environment check, in any mode', async () => {
    const script = `process.env.LIVEKIT_API_SECRET=${JSON.stringify(PUBLIC_EXAMPLE_SECRETS[0])};process.env.NODE_ENV='development';await import('./server/env.ts')`;
    const { spawnSync } = await import('node:child_process');
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/public example value/);
  });

  it('dev/demo make a random secret once, keep it in the data folder and reuse it', () => {
    const d = dir();
    const first = resolveLivekitSecret({ given: undefined, production: false, dataDir: d });
    const again = resolveLivekitSecret({ given: undefined, production: false, dataDir: d });

    expect(first).toHaveLength(43);
    expect(again).toBe(first);
    expect(fs.readFileSync(livekitSecretFile(d), 'utf8')).toBe(first);
    expect(fs.statSync(livekitSecretFile(d)).mode & 0o077).toBe(0);
    expect(resolveLivekitSecret({ given: 'x'.repeat(40), production: true, dataDir: d })).toBe('x'.repeat(40));
  });
});

describe('security headers', () => {
  it('every page gets a CSP that forbids framing; every response nosniff and a same-origin referrer; HSTS only over TLS', async () => {
    // @ts-expect-error: next.config.mjs is plain JavaScript without type declarations.
    const config = (await import('@/next.config.mjs')).default as {
      headers: () => Promise<{ source: string; has?: unknown[]; headers: { key: string; value: string }[] }[]>;
    };
    const rules = await config.headers();
    const all = rules.find((r) => !r.has && r.source === '/:path*')!;
    const pages = rules.find((r) => !r.has && r.source !== '/:path*')!;
    const byKey = Object.fromEntries([...all.headers, ...pages.headers].map((h) => [h.key, h.value]));

    // The page policy is for pages; /api/* routes that serve bytes set their own sandbox policy.
    expect(all.headers.map((h) => h.key)).not.toContain('Content-Security-Policy');
    expect(pages.source).toBe('/:path((?!api/).*)');
    expect(byKey['Content-Security-Policy']).toMatch(/frame-ancestors 'none'/);
    expect(byKey['Content-Security-Policy']).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\*/);
    expect(byKey['Content-Security-Policy']).toMatch(/media-src 'self' blob: mediastream:/);
    expect(byKey['X-Content-Type-Options']).toBe('nosniff');
    expect(byKey['Referrer-Policy']).toBe('same-origin');
    expect(byKey['Strict-Transport-Security']).toBeUndefined();
    const tls = rules.find((r) => r.has)!;
    expect(tls.has).toEqual([{ type: 'header', key: 'x-forwarded-proto', value: 'https' }]);
    expect(tls.headers.map((h) => h.key)).toEqual(['Strict-Transport-Security']);
  });
});
