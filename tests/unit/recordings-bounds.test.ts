import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingChunks, recordings } from '@/db/schema';
import { TIMESLICE_MS } from '@/components/recording/chunk-recorder';
import { gapRanges } from '@/server/services/admin/exports';
import { LISTED_GAP_RANGES } from '@/server/services/recordings';
import { CHUNK_MS, MAX_RECORDINGS_PER_TRACK, maxChunks, sittingOf, UPLOAD_GRACE_MS } from '@/server/services/recordings-limits';
import { createTestDb } from '../helpers/db';
import { callerAs, chunkBytes, recordingScenario, sha256Hex } from '../helpers/tus';
import { trpcRefusal } from '../helpers/unit-support';

/**
 * Issue 12, hole 2: one candidate could stall the server (a finish with millions of chunks made
 * every ledger read expand them all) and fill the disk (no quota, no deadline, no cap on recordings).
 */

let db: ReturnType<typeof createTestDb>;
let s: Awaited<ReturnType<typeof recordingScenario>>;
let clock: () => Date = () => new Date();
const QUOTA = 20_000;

beforeEach(async () => {
  db = createTestDb();
  clock = () => new Date();
  s = await recordingScenario(db, { quotaBytes: QUOTA, now: () => clock() });
});
afterEach(async () => {
  await s.cleanup();
  db.cleanup();
});

const recordingRow = (id: number) => db.select().from(recordings).where(eq(recordings.id, id)).get()!;
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const body = async (res: Response) => (await res.json()) as { error: string; message: string };
const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
    : [];

describe('chunk count', () => {
  it("the server's chunk length is the recorder's", () => {
    expect(CHUNK_MS).toBe(TIMESLICE_MS);
  });

  it('candidate: a finish announcing more chunks than the exam can hold is refused and changes nothing; the bound itself is accepted', async () => {
    const [alice] = s.candidates;
    const caller = callerAs(db, alice!);
    const rec = await s.start(alice!);
    const max = maxChunks(sittingOf(db, alice!.id, s.exam.id));
    // A 90-minute sitting: a few thousand chunks, far below what was accepted before.
    expect(max).toBeGreaterThan((90 * 60_000) / CHUNK_MS);
    expect(max).toBeLessThan(10_000);
    for (const chunks of [10_000_000, 1_000_000, max + 1]) {
      const err = await trpcRefusal(caller.recordings.finish({ recordingId: rec, chunks, endedAt: new Date() }));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.message).toBe('recordings.tooManyChunks');
    }
    expect(recordingRow(rec).expectedChunks).toBeNull();
    const ledger = await caller.recordings.finish({ recordingId: rec, chunks: max, endedAt: new Date() });
    expect(ledger).toMatchObject({ expected: max, gapCount: max, gaps: [{ from: 0, to: max - 1 }] });
  });

  it('candidate: a chunk with a seq past what the exam can hold is refused before upload (the open ledger counts up to the highest seq)', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const max = maxChunks(sittingOf(db, alice!.id, s.exam.id));
    const bytes = chunkBytes(100, 1);
    const { res, location } = await s.raw.create({ cookie, length: bytes.length, metadata: { recordingId: rec, seq: 9_999_999, sha256: sha256Hex(bytes) } });
    expect(res.status).toBe(400);
    expect(location).toBeNull();
    expect((await body(res)).error).toBe('recordings.tooManyChunks');
    expect((await s.upload(cookie, rec, max, bytes)).status).toBe(400);
    expect((await s.upload(cookie, rec, max - 1, bytes)).status).toBe(204);
    expect(s.tempFiles()).toEqual([]);
  });
});

describe('ledger size', () => {
  it('candidate and invigilator: a recording announced with 1,000,000 chunks (stored before the bound) answers a few gap ranges, not the list', async () => {
    const [alice] = s.candidates;
    const rec = await s.start(alice!, 'camera');
    // Every other seq of the first 100 received: 50 holes, then the rest of the million.
    const seqs = Array.from({ length: 50 }, (_, i) => i * 2);
    for (const seq of seqs) {
      db.insert(recordingChunks)
        .values({ recordingId: rec, seq, size: 10, sha256: 'a'.repeat(64), offsetMs: null, path: `x/${seq}.webm`, receivedAt: new Date() })
        .run();
    }
    db.update(recordings).set({ expectedChunks: 1_000_000, receivedChunks: seqs.length, receivedBytes: 500 }).where(eq(recordings.id, rec)).run();

    const [mine] = await callerAs(db, alice!).recordings.mine();
    const [staffView] = await callerAs(db, s.invigilator).recordings.ledger({ examId: s.exam.id, candidateId: alice!.id });
    for (const entry of [mine!, staffView!]) {
      expect(entry.gapCount).toBe(1_000_000 - 50);
      expect(entry.gaps).toHaveLength(LISTED_GAP_RANGES);
      expect(entry.gaps.slice(0, 3)).toEqual([
        { from: 1, to: 1 },
        { from: 3, to: 3 },
        { from: 5, to: 5 },
      ]);
      // Was 6.9 MB per answer (every missing seq listed).
      expect(jsonBytes(entry)).toBeLessThan(2_000);
    }
    // The tail-only case reads no holes: one range.
    const other = await s.start(alice!, 'screen');
    db.update(recordings).set({ expectedChunks: 1_000_000 }).where(eq(recordings.id, other)).run();
    const [, tail] = await callerAs(db, alice!).recordings.mine();
    expect(tail).toMatchObject({ recordingId: other, gapCount: 1_000_000, gaps: [{ from: 0, to: 999_999 }] });
  });

  it('admin export: gaps of a huge recording are counted in full but listed in a short line', () => {
    const { count, text } = gapRanges([0, 2, 4], 1_000_000);
    expect(count).toBe(1_000_000 - 3);
    expect(text).toBe('1 3 5-999999');
    const many = gapRanges(
      Array.from({ length: 2000 }, (_, i) => i * 2),
      1_000_000,
    );
    expect(many.count).toBe(1_000_000 - 2000);
    expect(many.text.length).toBeLessThan(2_000);
    expect(many.text.endsWith(' …')).toBe(true);
  });
});

describe('byte quota per candidate and exam', () => {
  it('candidate: an upload that would pass the quota is refused at creation (413) with a translated message; a duplicate still passes', async () => {
    const [alice, bob] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const screen = await s.start(alice!, 'screen');
    const camera = await s.start(alice!, 'camera');
    const first = chunkBytes(12_000, 1);
    expect((await s.upload(cookie, screen, 0, first)).status).toBe(204);
    // The quota spans the candidate's tracks.
    const next = chunkBytes(9_000, 2);
    const { res, location } = await s.raw.create({
      cookie: `${cookie}; NEXT_LOCALE=en`,
      length: next.length,
      metadata: { recordingId: camera, seq: 0, sha256: sha256Hex(next) },
    });
    expect(res.status).toBe(413);
    expect(location).toBeNull();
    expect(await body(res)).toEqual({
      error: 'recordings.quotaExceeded',
      message: `Your recordings for this exam have reached the ${Math.floor(QUOTA / 1048576)} MB storage limit; nothing more can be uploaded. Please contact support.`,
    });
    expect((await s.upload(cookie, screen, 0, first)).headers.get('x-chunk')).toBe('duplicate');
    expect((await s.upload(cookie, camera, 0, chunkBytes(8_000, 3))).status).toBe(204);
    // Another candidate has their own quota.
    expect((await s.upload(await s.candidateCookie(bob!), await s.start(bob!), 0, chunkBytes(12_000, 4))).status).toBe(204);
    expect(s.tempFiles()).toEqual([]);
  });

  it('candidate: uploads created side by side are held to the quota when they complete; the loser leaves no bytes', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const a = chunkBytes(12_000, 1);
    const b = chunkBytes(12_000, 2);
    const ca = await s.raw.create({ cookie, length: a.length, metadata: { recordingId: rec, seq: 0, sha256: sha256Hex(a) } });
    const cb = await s.raw.create({ cookie, length: b.length, metadata: { recordingId: rec, seq: 1, sha256: sha256Hex(b) } });
    expect([ca.res.status, cb.res.status]).toEqual([201, 201]);
    expect((await s.raw.patch({ cookie, location: ca.location!, offset: 0, body: a })).status).toBe(204);
    const lost = await s.raw.patch({ cookie, location: cb.location!, offset: 0, body: b });
    expect(lost.status).toBe(413);
    expect((await body(lost)).error).toBe('recordings.quotaExceeded');
    expect(recordingRow(rec)).toMatchObject({ receivedChunks: 1, receivedBytes: 12_000 });
    expect(filesUnder(path.join(s.dataDir, 'recordings'))).toEqual(['0.webm']);
    expect(s.tempFiles()).toEqual([]);
  });
});

describe('upload deadline', () => {
  it("candidate: new uploads are accepted until a day after the candidate's end, then refused (412)", async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const end = sittingOf(db, alice!.id, s.exam.id).end.getTime();
    clock = () => new Date(end + UPLOAD_GRACE_MS - 60_000);
    expect((await s.upload(cookie, rec, 0, chunkBytes(100, 1))).status).toBe(204);
    clock = () => new Date(end + UPLOAD_GRACE_MS + 1);
    const res = await s.upload(cookie, rec, 1, chunkBytes(100, 2));
    expect(res.status).toBe(412);
    expect(await body(res)).toEqual({ error: 'recordings.uploadClosed', message: '本场考试的录像上传已截止。' });
    expect(recordingRow(rec).receivedChunks).toBe(1);
  });
});

describe('recordings per candidate and track', () => {
  it('candidate: at most MAX_RECORDINGS_PER_TRACK recordings per track and exam; retries of one still answer; other tracks are unaffected', async () => {
    const [alice] = s.candidates;
    const caller = callerAs(db, alice!);
    const input = (clientKey = randomUUID(), track: 'screen' | 'camera' = 'screen') => ({
      examId: s.exam.id,
      track,
      clientKey,
      mimeType: 'video/webm',
      startedAt: new Date(),
    });
    const firstKey = randomUUID();
    const first = await caller.recordings.start(input(firstKey));
    for (let i = 1; i < MAX_RECORDINGS_PER_TRACK; i++) await caller.recordings.start(input());
    const err = await trpcRefusal(caller.recordings.start(input()));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toBe('recordings.tooManyRecordings');
    expect(await caller.recordings.start(input(firstKey))).toEqual(first);
    await caller.recordings.start(input(undefined, 'camera'));
    expect(db.select().from(recordings).where(eq(recordings.track, 'screen')).all()).toHaveLength(MAX_RECORDINGS_PER_TRACK);
  });
});
