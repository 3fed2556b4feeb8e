import { requestLocale } from '../http';
import { serverTranslator } from '../i18n/messages';

/**
 * Request-level defences that run before anything reads the session or parses input: a byte
 * cap on bodies, a same-origin check on state-changing calls, and no batching of auth calls.
 */

/** The most a tRPC request body may carry, by procedure path (the whole request takes the largest). */
export const TRPC_BODY_MAX = {
  /** Logins and /setup: small forms, sent before anyone is authenticated. */
  auth: 16 * 1024,
  /** Back-office uploads travel as base64 (candidate import: 10 MB of file). */
  admin: 16 * 1024 * 1024,
  /** The spoken instructions' audio: 20 MB of file as base64. */
  adminAudio: 28 * 1024 * 1024,
  /** Everything else (the largest is an invigilator's still, 2 MB of data URL). */
  other: 4 * 1024 * 1024,
} as const;

/** LiveKit webhooks are small JSON events. */
export const WEBHOOK_BODY_MAX = 256 * 1024;

/** The procedure paths of a tRPC request URL (`/api/trpc/a.b,c.d?batch=1`). */
export function trpcPaths(url: URL, endpoint = '/api/trpc') {
  const rest = decodeURIComponent(url.pathname.slice(endpoint.length + 1));
  return rest.split(',').filter(Boolean);
}

export function trpcBodyMax(paths: string[]) {
  return Math.max(...paths.map(bodyMaxOf));
}

function bodyMaxOf(path: string) {
  if (path.startsWith('auth.')) return TRPC_BODY_MAX.auth;
  if (path === 'admin.exams.instructions.upload') return TRPC_BODY_MAX.adminAudio;
  return path.startsWith('admin.') ? TRPC_BODY_MAX.admin : TRPC_BODY_MAX.other;
}

/**
 * Reads a body up to `max` bytes. A declared Content-Length above the cap is refused without
 * reading; otherwise reading stops (and the stream is cancelled) as soon as the cap is passed.
 */
export async function readBodyCapped(req: Request, max: number): Promise<{ ok: true; body: Uint8Array } | { ok: false }> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) return { ok: false };
  if (!req.body) return { ok: true, body: new Uint8Array() };
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { ok: false };
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.byteLength;
  }
  return { ok: true, body };
}

/**
 * Is a state-changing request from our own pages? Browsers send Origin on every POST from
 * fetch; it must name the host the request was sent to (the Host header, which a page cannot
 * forge for another site). That holds however the app is reached: 127.0.0.1 or localhost in
 * development, or the LAN address through the --lan proxy (which passes Host on). Without
 * Origin, Sec-Fetch-Site decides; a request with neither does not come from a browser page
 * (curl, scripts), so it carries no victim's cookies to abuse.
 */
export function isSameOrigin(headers: Headers) {
  const origin = headers.get('origin');
  if (origin) {
    if (origin === 'null') return false;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    return host === headers.get('host');
  }
  const site = headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}

/** A refusal in the shape tRPC clients read (`error.json.message`), translated for the caller. */
export function refusal(req: Request, status: 400 | 403 | 413, key: 'auth.batchRefused' | 'request.crossSite' | 'request.tooLarge') {
  const t = serverTranslator(requestLocale(req));
  const code = status === 400 ? 'BAD_REQUEST' : status === 403 ? 'FORBIDDEN' : 'PAYLOAD_TOO_LARGE';
  const error = { json: { message: t(`errors.${key}`), code: -32600, data: { code, httpStatus: status, appCode: key, fieldErrors: null } } };
  return Response.json({ error }, { status });
}
