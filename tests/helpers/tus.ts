import { toCaller } from '@/server/services/auth';
import { phoneSession as phoneSessionOf } from '@/server/services/phone';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import * as tus from 'tus-js-client';
import type { Db } from '@/db/client';
import { users, type RecordingTrack, type User } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { appRouter } from '@/server/routers/_app';
import { login, SESSION_COOKIE } from '@/server/services/auth';
import { bindPhone, createBinding, PHONE_SESSION_COOKIE } from '@/server/services/phone';
import { createUploadHandler } from '@/server/http/recordings-upload';
import { makeSittingScenario, PASSWORD } from '../fixtures/factories';

/** Shared helpers for tests and benchmarks that upload recording chunks (not a test file itself). */

export type WebHandler = (req: Request) => Promise<Response> | Response;

export const sha256Hex = (buf: Uint8Array) => createHash('sha256').update(buf).digest('hex');

/** Deterministic pseudo-random bytes (xorshift), so a chunk's content differs from its neighbours'. */
export function chunkBytes(size: number, seed: number) {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** tus Upload-Metadata: `key base64(value)` pairs. */
export const encodeMetadata = (meta: Record<string, string | number>) =>
  Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(String(v)).toString('base64')}`)
    .join(',');

/**
 * Serves a fetch-style handler (an App Router route handler) over real HTTP on loopback, so a
 * real client (tus-js-client) talks to it as it would to `next start`.
 */
export async function serveHandler(handler: WebHandler) {
  const server = http.createServer(async (req, res) => {
    try {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const withBody = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        body: withBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
        duplex: 'half',
      } as RequestInit);
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body && req.method !== 'HEAD') await pipeline(Readable.fromWeb(response.body as never), res);
      else res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One chunk uploaded by tus-js-client (Node build): resolves with the final response, rejects with tus' error. */
export function uploadWithTusClient(opts: {
  endpoint: string;
  bytes: Buffer;
  metadata: Record<string, string>;
  cookie: string;
  /** PATCH size; smaller than the chunk makes several PATCHes. */
  chunkSize?: number;
  /** Resume this upload instead of creating one. */
  uploadUrl?: string;
  onProgress?: (sent: number, total: number, upload: tus.Upload) => void;
}) {
  return new Promise<{ url: string; status: number; chunk: string | undefined }>((resolve, reject) => {
    const upload: tus.Upload = new tus.Upload(opts.bytes, {
      endpoint: opts.endpoint,
      uploadUrl: opts.uploadUrl ?? null,
      metadata: opts.metadata,
      headers: { cookie: opts.cookie },
      // An explicit undefined would replace the default (Infinity) and send empty PATCHes forever.
      chunkSize: opts.chunkSize ?? Number.POSITIVE_INFINITY,
      retryDelays: [],
      // Nothing remembered between uploads: each test says what to resume.
      storeFingerprintForResuming: false,
      onProgress: (sent, total) => opts.onProgress?.(sent, total, upload),
      onSuccess: (payload) => {
        const res = payload.lastResponse;
        resolve({ url: upload.url!, status: res.getStatus(), chunk: res.getHeader('x-chunk') ?? undefined });
      },
      onError: reject,
    });
    upload.start();
  });
}

/** Raw tus requests against a handler, for tests that control every step. */
export function tusRequests(handler: WebHandler, opts: { origin?: string; base?: string } = {}) {
  const origin = opts.origin ?? 'http://localhost';
  const base = opts.base ?? '/api/uploads';
  const common = (cookie: string | undefined, more: Record<string, string> = {}) => ({
    'tus-resumable': '1.0.0',
    ...(cookie ? { cookie } : {}),
    ...more,
  });
  return {
    async create({ cookie, length, metadata, raw }: { cookie?: string; length: number; metadata?: Record<string, string | number>; raw?: string }) {
      const res = await handler(
        new Request(`${origin}${base}`, {
          method: 'POST',
          headers: common(cookie, {
            'upload-length': String(length),
            ...(raw !== undefined ? { 'upload-metadata': raw } : metadata ? { 'upload-metadata': encodeMetadata(metadata) } : {}),
          }),
        }),
      );
      return { res, location: res.headers.get('location') };
    },
    patch({ cookie, location, offset, body }: { cookie?: string; location: string; offset: number; body: Uint8Array | ReadableStream<Uint8Array> }) {
      const init: RequestInit & { duplex?: 'half' } = {
        method: 'PATCH',
        headers: common(cookie, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }),
        body: body as BodyInit,
        duplex: 'half',
      };
      return handler(new Request(`${origin}${location}`, init));
    },
    head({ cookie, location }: { cookie?: string; location: string }) {
      return handler(new Request(`${origin}${location}`, { method: 'HEAD', headers: common(cookie) }));
    },
    remove({ cookie, location }: { cookie?: string; location: string }) {
      return handler(new Request(`${origin}${location}`, { method: 'DELETE', headers: common(cookie) }));
    },
  };
}

/* ------------------------------------------------------------------ recording scenarios */

/** A tRPC caller as a user and/or a bound phone (its device cookie value). */
export function callerAs(db: Db, user: User | null, phoneSession?: string) {
  return appRouter.createCaller({
    db,
    bus: getBus(),
    caller: user && toCaller(user),
    phone: phoneSessionOf(db, phoneSession),
    sessionToken: undefined,
    client: '127.0.0.1',
    userAgent: undefined,
    locale: 'zh-CN',
    resHeaders: new Headers(),
    secureCookies: false,
  });
}

/**
 * A sitting exam room (candidates entered) with the real upload handler over a throwaway data
 * folder, and helpers to log in, start recordings and upload whole chunks.
 */
export async function recordingScenario(db: Db, opts: { candidates?: number; maxChunkBytes?: number; quotaBytes?: number; now?: () => Date } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exam-rec-'));
  const s = await makeSittingScenario(db, { candidates: opts.candidates ?? 2 });
  const handler = createUploadHandler({ db, dataDir, maxChunkBytes: opts.maxChunkBytes ?? 256 * 1024, quotaBytes: opts.quotaBytes, now: opts.now });
  const raw = tusRequests(handler);
  const userById = (id: number) => db.select().from(users).where(eq(users.id, id)).get()!;

  async function candidateCookie(candidate: User) {
    const { token } = await login({ db, kind: 'candidate', identifier: candidate.idNumber!, password: PASSWORD });
    return `${SESSION_COOKIE}=${token}`;
  }

  /** Binds a phone for the candidate the real way (QR token) and returns its device cookie. */
  async function phoneCookie(candidate: User, examId = s.exam.id) {
    const { token } = createBinding({ db, candidateId: candidate.id, examId });
    const bound = await bindPhone({ db, proof: { token }, client: 'test', removeParticipant: async () => {} });
    return { cookie: `${PHONE_SESSION_COOKIE}=${bound.session}`, session: bound.session };
  }

  async function start(candidate: User, track: RecordingTrack = 'screen', phoneSession?: string) {
    const { recordingId } = await callerAs(db, phoneSession ? null : userById(candidate.id), phoneSession).recordings.start({
      examId: s.exam.id,
      track,
      clientKey: randomUUID(),
      mimeType: 'video/webm;codecs=vp8',
      startedAt: new Date(),
    });
    return recordingId;
  }

  /** Creates and completes one upload in a single PATCH; returns the final response. */
  async function upload(cookie: string, recordingId: number, seq: number, bytes: Buffer, over: { sha256?: string; offsetMs?: number } = {}) {
    const created = await raw.create({
      cookie,
      length: bytes.length,
      metadata: { recordingId, seq, sha256: over.sha256 ?? sha256Hex(bytes), offsetMs: over.offsetMs ?? seq * 4000 },
    });
    if (created.res.status !== 201) return created.res;
    return raw.patch({ cookie, location: created.location!, offset: 0, body: bytes });
  }

  return {
    ...s,
    dataDir,
    handler,
    raw,
    candidateCookie,
    phoneCookie,
    start,
    upload,
    tempFiles: () => fs.readdirSync(path.join(dataDir, 'uploads-tmp')),
    /** Async: the upload store creates its folder on the fs thread pool; that must land first. */
    cleanup: async () => {
      await fs.promises.mkdir(path.join(dataDir, 'uploads-tmp'), { recursive: true });
      await fs.promises.rm(dataDir, { recursive: true, force: true });
    },
  };
}
