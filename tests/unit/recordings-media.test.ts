import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordings, type User } from '@/db/schema';
import { MIME_TYPES } from '@/components/recording/chunk-recorder';
import { playbackResponse } from '@/server/http/recordings-playback';
import { toCaller } from '@/server/services/auth';
import { RECORDING_MEDIA_TYPES, recordingMediaType, servedMediaType } from '@/server/services/recordings-media';
import { createTestDb } from '../helpers/db';
import { callerAs, chunkBytes, recordingScenario } from '../helpers/tus';
import { trpcRefusal } from '../helpers/unit-support';

/** Issue 12, hole 1: the playback Content-Type was whatever the candidate's device named. */

const HOSTILE = 'video/webm;x=,text/html';

describe('recording media types', () => {
  it('folds what browsers report to one canonical type on the list', () => {
    expect(recordingMediaType('video/webm;codecs=vp8,opus')).toBe('video/webm;codecs=vp8,opus');
    expect(recordingMediaType('video/webm; codecs="vp8, opus"')).toBe('video/webm;codecs=vp8,opus');
    expect(recordingMediaType('VIDEO/WebM;Codecs=VP9')).toBe('video/webm;codecs=vp9');
    expect(recordingMediaType('video/webm;codecs=h264')).toBe('video/webm;codecs=avc1');
    expect(recordingMediaType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"')).toBe('video/mp4;codecs=avc1,mp4a');
    expect(recordingMediaType('video/mp4')).toBe('video/mp4');
    expect(recordingMediaType('audio/webm;codecs=opus')).toBe('audio/webm;codecs=opus');
  });

  it('refuses anything else, the crafted type from the report included', () => {
    for (const t of [
      HOSTILE,
      'text/html',
      'video/webm;codecs=vp8,text/html',
      'video/webm;x=1',
      'video/webm,text/html',
      'image/svg+xml',
      'video/x-matroska;codecs=avc1',
      'application/octet-stream',
      '',
      'video/webm;codecs=',
    ]) {
      expect(recordingMediaType(t), t).toBeNull();
    }
  });

  it('whatever the input, the answer is null or one of the listed types (fuzzed)', () => {
    const listed = new Set<string>(RECORDING_MEDIA_TYPES);
    const pieces = fc.constantFrom(
      'video/webm',
      'video/mp4',
      'text/html',
      ';',
      ',',
      ' ',
      '"',
      'codecs=',
      'vp8',
      'opus',
      'avc1.42e01e',
      'x=',
      '\r\n',
      '<script>',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces).map((p) => p.join('')),
        ),
        (raw) => {
          const t = recordingMediaType(raw);
          expect(t === null || listed.has(t)).toBe(true);
          expect(listed.has(servedMediaType(raw))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("every type the device's recorder asks for is on the server's list", () => {
    for (const t of Object.values(MIME_TYPES).flat()) expect(recordingMediaType(t), t).toBe(t);
  });
});

describe('recordings.start and playback with hostile media types', () => {
  let db: ReturnType<typeof createTestDb>;
  let s: Awaited<ReturnType<typeof recordingScenario>>;
  beforeEach(async () => {
    db = createTestDb();
    s = await recordingScenario(db);
  });
  afterEach(async () => {
    await s.cleanup();
    db.cleanup();
  });

  const start = (user: User, mimeType: string) =>
    callerAs(db, user).recordings.start({ examId: s.exam.id, track: 'camera', clientKey: randomUUID(), mimeType, startedAt: new Date() });
  const play = (recordingId: number) =>
    playbackResponse({ db, dataDir: s.dataDir, caller: toCaller(s.invigilator), recordingId: String(recordingId), range: null });

  it('candidate: a start naming a type off the list is refused with a clear message; a known one is stored canonical', async () => {
    const [alice] = s.candidates;
    const refused = await trpcRefusal(start(alice!, HOSTILE));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toBe('recordings.unsupportedMediaType');
    expect(db.select().from(recordings).all()).toEqual([]);

    const { recordingId } = await start(alice!, 'video/webm; codecs="vp8, opus"');
    expect(db.select().from(recordings).where(eq(recordings.id, recordingId)).get()!.mimeType).toBe('video/webm;codecs=vp8,opus');
  });

  it('invigilator: playback serves the listed type, never sniffed, sandboxed, under a file name', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    expect((await s.upload(cookie, rec, 0, chunkBytes(500, 1))).status).toBe(204);
    const res = play(rec);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/webm;codecs=vp8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(res.headers.get('content-disposition')).toBe(`inline; filename*=UTF-8''recording-${rec}-screen.webm`);
  });

  it('invigilator: a row stored before the list (hostile type, HTML bytes) is still served only as a media type', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const html = Buffer.from('<!doctype html><script>document.title="pwned"</script>');
    expect((await s.upload(cookie, rec, 0, html)).status).toBe(204);
    for (const stored of [HOSTILE, 'text/html', 'video/webm;codecs=vp8\r\nx-evil: 1']) {
      db.update(recordings).set({ mimeType: stored }).where(eq(recordings.id, rec)).run();
      const res = play(rec);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type'), stored).toBe('video/webm');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/);
      expect(res.headers.get('x-evil')).toBeNull();
    }
  });
});
