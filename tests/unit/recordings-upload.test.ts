import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingChunks, recordings } from '@/db/schema';
import { announceProgress } from '@/server/services/recordings-progress';
import { createTestDb } from '../helpers/db';
import { callerAs, chunkBytes, encodeMetadata, recordingScenario, serveHandler, sha256Hex, uploadWithTusClient } from '../helpers/tus';
import { timelineOf, trpcRefusal } from '../helpers/unit-support';

let db: ReturnType<typeof createTestDb>;
let s: Awaited<ReturnType<typeof recordingScenario>>;

beforeEach(async () => {
  db = createTestDb();
  s = await recordingScenario(db, { maxChunkBytes: 64 * 1024 });
});
afterEach(async () => {
  await s.cleanup();
  db.cleanup();
});

const recordingRow = (id: number) => db.select().from(recordings).where(eq(recordings.id, id)).get()!;
const chunkRows = (id: number) => db.select().from(recordingChunks).where(eq(recordingChunks.recordingId, id)).orderBy(recordingChunks.seq).all();
const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.join(d.parentPath, d.name))
    : [];
const recordingFiles = () => filesUnder(path.join(s.dataDir, 'recordings'));

async function body(res: Response) {
  return (await res.json()) as { error: string; message: string };
}

describe('chunk upload endpoint (tus)', () => {
  it('candidate: chunks uploaded out of order land byte-exactly at their paths and complete the recording once finished', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!, 'screen');
    const chunks = [0, 1, 2].map((seq) => chunkBytes(10_000 + seq, seq + 1));
    for (const seq of [2, 0, 1]) {
      const res = await s.upload(cookie, rec, seq, chunks[seq]!);
      expect(res.status).toBe(204);
      expect(res.headers.get('x-chunk')).toBe('stored');
    }
    expect(recordingRow(rec)).toMatchObject({ receivedChunks: 3, receivedBytes: 30_003, completedAt: null });
    const ledger = await callerAs(db, alice!).recordings.finish({ recordingId: rec, chunks: 3, endedAt: new Date() });
    expect(ledger).toMatchObject({ expected: 3, received: 3, gapCount: 0, gaps: [], complete: true });
    expect(recordingRow(rec).completedAt).not.toBeNull();
    const rows = chunkRows(rec);
    expect(rows.map((r) => [r.seq, r.size, r.sha256, r.offsetMs])).toEqual(chunks.map((c, seq) => [seq, c.length, sha256Hex(c), seq * 4000]));
    for (const r of rows) {
      expect(r.path).toBe(path.join('recordings', String(s.exam.id), String(alice!.id), String(rec), `${r.seq}.webm`));
      expect(fs.readFileSync(path.join(s.dataDir, r.path)).equals(chunks[r.seq]!)).toBe(true);
    }
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: the same chunk sent twice is accepted twice and stored once (idempotent)', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!, 'camera');
    const bytes = chunkBytes(5000, 7);
    expect((await s.upload(cookie, rec, 0, bytes)).headers.get('x-chunk')).toBe('stored');
    const again = await s.upload(cookie, rec, 0, bytes);
    expect(again.status).toBe(204);
    expect(again.headers.get('x-chunk')).toBe('duplicate');
    expect(recordingRow(rec)).toMatchObject({ receivedChunks: 1, receivedBytes: 5000 });
    expect(chunkRows(rec)).toHaveLength(1);
    expect(recordingFiles()).toHaveLength(1);
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: a different chunk under a seq already received is refused (409) at creation, and at completion when both raced', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const first = chunkBytes(4000, 1);
    const other = chunkBytes(4000, 2);
    // Two uploads of seq 0 created before either finished: the second to finish loses.
    const a = await s.raw.create({ cookie, length: first.length, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(first) } });
    const b = await s.raw.create({ cookie, length: other.length, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(other) } });
    expect((await s.raw.patch({ cookie, location: a.location!, offset: 0, body: first })).status).toBe(204);
    const lost = await s.raw.patch({ cookie, location: b.location!, offset: 0, body: other });
    expect(lost.status).toBe(409);
    expect(JSON.parse(await lost.text())).toMatchObject({ error: 'recordings.chunkConflict', message: '分片 0 已收到过不同的内容，未予替换。' });
    // Later attempts are refused before any byte is sent, in the caller's language.
    const late = await s.raw.create({
      cookie: `${cookie}; NEXT_LOCALE=en`,
      length: other.length,
      metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(other) },
    });
    expect(late.res.status).toBe(409);
    expect(await body(late.res)).toEqual({
      error: 'recordings.chunkConflict',
      message: 'Chunk 0 was already received with different content; it was not replaced.',
    });
    expect(fs.readFileSync(path.join(s.dataDir, chunkRows(rec)[0]!.path)).equals(first)).toBe(true);
    expect(recordingRow(rec)).toMatchObject({ receivedChunks: 1, receivedBytes: 4000 });
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: bytes that do not match the announced sha-256 are refused (460), deleted, and leave no trace in the recording', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const bytes = chunkBytes(3000, 3);
    const damaged = Buffer.from(bytes);
    damaged[1234] = damaged[1234]! ^ 0xff;
    const res = await s.upload(cookie, rec, 0, damaged, { sha256: sha256Hex(bytes) });
    expect(res.status).toBe(460);
    expect(JSON.parse(await res.text())).toMatchObject({ error: 'recordings.hashMismatch' });
    expect(s.tempFiles()).toEqual([]);
    expect(recordingFiles()).toEqual([]);
    expect(chunkRows(rec)).toEqual([]);
    // The device sends it again, intact.
    expect((await s.upload(cookie, rec, 0, bytes)).status).toBe(204);
    expect(recordingRow(rec)).toMatchObject({ receivedChunks: 1, receivedBytes: 3000 });
  });

  it('candidate: an Upload-Length over the limit is refused (413) before any byte is stored', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const { res, location } = await s.raw.create({ cookie, length: 64 * 1024 + 1, metadata: { recordingId: rec, seq: 0, sha256: 'a'.repeat(64) } });
    expect(res.status).toBe(413);
    expect(location).toBeNull();
    expect((await body(res)).message).toBe('该分片超过了允许的 65,536 字节。');
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: malformed metadata is refused (400) with a clear message and creates nothing', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const good = { recordingId: rec, seq: 0, sha256: 'b'.repeat(64), offsetMs: 0 };
    const bad = [
      encodeMetadata({ recordingId: rec, seq: 0 }),
      encodeMetadata({ ...good, seq: -1 }),
      encodeMetadata({ ...good, seq: '1e3' }),
      encodeMetadata({ ...good, sha256: 'xyz' }),
      encodeMetadata({ ...good, recordingId: 0 }),
      'recordingId !!!not-base64',
      '',
    ];
    for (const raw of bad) {
      const { res } = await s.raw.create({ cookie, length: 10, raw });
      expect(res.status, raw).toBe(400);
      expect(await body(res)).toMatchObject({ error: 'recordings.badMetadata' });
    }
    const deferred = await s.handler(
      new Request('http://localhost/api/uploads', {
        method: 'POST',
        headers: { cookie, 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': encodeMetadata(good) },
      }),
    );
    expect(deferred.status).toBe(400);
    expect(s.tempFiles()).toEqual([]);
  });

  it("another candidate, or nobody, cannot create, resume, query or delete uploads of a candidate's recording", async () => {
    const [alice, bob] = s.candidates;
    const aliceCookie = await s.candidateCookie(alice!);
    const bobCookie = await s.candidateCookie(bob!);
    const rec = await s.start(alice!);
    const bytes = chunkBytes(2000, 9);
    const meta = { recordingId: rec, seq: 0, sha256: sha256Hex(bytes) };

    const foreign = await s.raw.create({ cookie: bobCookie, length: bytes.length, metadata: meta });
    expect(foreign.res.status).toBe(404);
    expect((await body(foreign.res)).error).toBe('recordings.notFound');
    expect((await s.raw.create({ length: bytes.length, metadata: meta })).res.status).toBe(401);

    const { location } = await s.raw.create({ cookie: aliceCookie, length: bytes.length, metadata: meta });
    expect((await s.raw.patch({ cookie: bobCookie, location: location!, offset: 0, body: bytes })).status).toBe(404);
    expect((await s.raw.patch({ location: location!, offset: 0, body: bytes })).status).toBe(401);
    expect((await s.raw.head({ cookie: bobCookie, location: location! })).status).toBe(404);
    expect((await s.raw.remove({ cookie: bobCookie, location: location! })).status).toBe(404);
    expect(chunkRows(rec)).toEqual([]);
    // Staff have no business uploading either.
    const staff = await s.handler(new Request('http://localhost/api/uploads', { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' } }));
    expect(staff.status).toBe(401);
    // The owner's upload was untouched by all this.
    expect((await s.raw.head({ cookie: aliceCookie, location: location! })).headers.get('upload-offset')).toBe('0');
    expect((await s.raw.patch({ cookie: aliceCookie, location: location!, offset: 0, body: bytes })).status).toBe(204);
  });

  it('phone: may record and upload only the witness track of its own candidate and exam; the PC may not upload witness chunks', async () => {
    const [alice, bob] = s.candidates;
    const phone = await s.phoneCookie(alice!);
    const pcCookie = await s.candidateCookie(alice!);
    const witness = await s.start(alice!, 'witness', phone.session);
    const screen = await s.start(alice!, 'screen');
    const bobScreen = await s.start(bob!, 'screen');
    const bytes = chunkBytes(1500, 4);

    expect((await s.upload(phone.cookie, witness, 0, bytes)).status).toBe(204);
    expect((await s.upload(phone.cookie, screen, 0, bytes)).status).toBe(404);
    expect((await s.upload(phone.cookie, bobScreen, 0, bytes)).status).toBe(404);
    expect((await s.upload(pcCookie, witness, 1, bytes)).status).toBe(404);
    expect(recordingRow(witness)).toMatchObject({ receivedChunks: 1, track: 'witness' });

    const asPhone = callerAs(db, null, phone.session);
    const refused = await trpcRefusal(
      asPhone.recordings.start({ examId: s.exam.id, track: 'screen', clientKey: crypto.randomUUID(), mimeType: 'video/webm', startedAt: new Date() }),
    );
    expect(refused.code).toBe('FORBIDDEN');
    // A phone replaced by a newer one can upload nothing more.
    const newer = await s.phoneCookie(alice!);
    expect((await s.upload(phone.cookie, witness, 1, bytes)).status).toBe(401);
    expect((await s.upload(newer.cookie, witness, 1, bytes)).status).toBe(204);
  });

  it('candidate: a PATCH cut off mid-body is resumed from the offset the server reports, and the chunk completes intact', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const bytes = chunkBytes(40_000, 11);
    const { location } = await s.raw.create({ cookie, length: bytes.length, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(bytes) } });
    // The network drops after 15 000 bytes of the first PATCH.
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 15_000));
        setTimeout(() => controller.error(new Error('network cut')), 20);
      },
    });
    const first = await s.raw.patch({ cookie, location: location!, offset: 0, body: cut });
    expect(first.status).not.toBe(204);
    expect(chunkRows(rec)).toEqual([]);
    const offset = Number((await s.raw.head({ cookie, location: location! })).headers.get('upload-offset'));
    expect(offset).toBe(15_000);
    const rest = await s.raw.patch({ cookie, location: location!, offset, body: bytes.subarray(offset) });
    expect(rest.status).toBe(204);
    expect(fs.readFileSync(path.join(s.dataDir, chunkRows(rec)[0]!.path)).equals(bytes)).toBe(true);
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: an upload whose bytes all arrived but was never filed (server stopped) is filed on HEAD, never reported as done', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const bytes = chunkBytes(6000, 21);
    const { location } = await s.raw.create({ cookie, length: bytes.length, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(bytes) } });
    // The bytes reach the temp file, then the process dies before the ledger write.
    fs.writeFileSync(path.join(s.dataDir, 'uploads-tmp', location!.split('/').pop()!), bytes);
    const head = await s.raw.head({ cookie, location: location! });
    expect(head.status).toBe(404);
    expect(chunkRows(rec).map((r) => r.sha256)).toEqual([sha256Hex(bytes)]);
    // The client starts that chunk over: a duplicate, accepted.
    expect((await s.upload(cookie, rec, 0, bytes)).headers.get('x-chunk')).toBe('duplicate');
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: tus-js-client over real HTTP resumes an interrupted upload by its URL and completes it', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const bytes = chunkBytes(48_000, 12);
    const server = await serveHandler(s.handler);
    try {
      const metadata = { recordingId: String(rec), seq: '0', sha256: sha256Hex(bytes), offsetMs: '0' };
      let url = '';
      // First attempt: stopped after its first 16 KiB PATCH is acknowledged.
      await new Promise<void>((resolve, reject) => {
        uploadWithTusClient({
          endpoint: `${server.origin}/api/uploads`,
          bytes,
          metadata,
          cookie,
          chunkSize: 16 * 1024,
          onProgress: (sent, _total, upload) => {
            if (sent >= 16 * 1024 && !url) {
              url = upload.url!;
              void upload.abort().then(resolve, reject);
            }
          },
        }).then(() => reject(new Error('the first attempt should have been stopped')), reject);
      });
      expect(chunkRows(rec)).toEqual([]);
      const done = await uploadWithTusClient({ endpoint: `${server.origin}/api/uploads`, uploadUrl: url, bytes, metadata, cookie, chunkSize: 16 * 1024 });
      expect(done.url).toBe(url);
      expect(done.chunk).toBe('stored');
      expect(fs.readFileSync(path.join(s.dataDir, chunkRows(rec)[0]!.path)).equals(bytes)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('candidate: an empty chunk (complete at creation) is verified and filed like any other', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const empty = Buffer.alloc(0);
    const { res } = await s.raw.create({ cookie, length: 0, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(empty) } });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-chunk')).toBe('stored');
    expect(chunkRows(rec).map((r) => [r.seq, r.size])).toEqual([[0, 0]]);
    const wrong = await s.raw.create({ cookie, length: 0, metadata: { recordingId: rec, seq: 1, sha256: 'c'.repeat(64) } });
    expect(wrong.res.status).toBe(460);
    expect(chunkRows(rec)).toHaveLength(1);
  });

  it('candidate: a chunk past the announced end is refused', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    await callerAs(db, alice!).recordings.finish({ recordingId: rec, chunks: 2, endedAt: new Date() });
    const res = await s.upload(cookie, rec, 2, chunkBytes(100, 1));
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('recordings.seqOutOfRange');
  });

  it('staff: the room timeline gets recording_progress at once, then at most one more per window carrying the latest ledger', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!, 'camera');
    await s.upload(cookie, rec, 0, chunkBytes(1000, 1));
    const progress = () => timelineOf(db, alice!.id, 'recording_progress');
    await new Promise((r) => setTimeout(r, 0));
    expect(progress().map((e) => e.payload)).toEqual([
      { recordingId: rec, track: 'camera', receivedChunks: 1, expectedChunks: null, receivedBytes: 1000, complete: false },
    ]);
    // Within the 5 s window: nothing more yet.
    await s.upload(cookie, rec, 1, chunkBytes(1000, 2));
    await s.upload(cookie, rec, 2, chunkBytes(1000, 3));
    expect(progress()).toHaveLength(1);
    // A short window (same code path) shows the trailing announcement with the state at its end.
    const other = await s.start(alice!, 'screen');
    await s.upload(cookie, other, 0, chunkBytes(10, 1));
    const before = progress().length;
    announceProgress(db, other, 30);
    announceProgress(db, other, 30);
    await new Promise((r) => setTimeout(r, 80));
    const after = progress().slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]!.payload).toMatchObject({ recordingId: other, receivedChunks: 1 });
  });
});
