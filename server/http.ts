import type { AppErrorCode } from './errors';
import { LOCALE_COOKIE, toLocale, type Locale } from './i18n/config';

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function sessionCookie(name: string, value: string, expires: Date | null, secure: boolean) {
  const attrs = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  attrs.push(expires ? `Expires=${expires.toUTCString()}` : 'Max-Age=0');
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

/**
 * Bytes we serve back (files, stills, recordings): exactly the type we stored, never sniffed,
 * never run as a page on our origin (`sandbox` gives it an opaque origin even if a browser
 * renders it), and downloaded under a name rather than opened where a download is meant.
 */
export function fileHeaders({ contentType, fileName, inline = false }: { contentType: string; fileName?: string; inline?: boolean }): Headers {
  const h = new Headers({
    'content-type': contentType,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
    'cache-control': 'private, no-store',
  });
  if (fileName) h.set('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(fileName)}`);
  return h;
}

/** A positive integer id from a path segment, or null. */
export function idParam(raw: string | undefined): number | null {
  return raw && /^\d{1,10}$/.test(raw) && Number(raw) > 0 ? Number(raw) : null;
}

/** The interface language a request asks for (its language cookie), zh-CN by default. */
export const requestLocale = (req: Request): Locale => toLocale(readCookie(req.headers.get('cookie'), LOCALE_COOKIE));

/** The HTTP status of a service's refusal, for route handlers that answer outside tRPC. */
export const HTTP_STATUS_OF: Record<AppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  PRECONDITION_FAILED: 412,
};
