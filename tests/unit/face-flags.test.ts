import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events, flags } from '@/db/schema';
import { INTEGRITY_REPORTS_PER_MINUTE, reportIntegrity } from '@/server/services/exams';
import { flagStill, listFlags } from '@/server/services/invigilate';
import { lastRoomEventId } from '@/server/services/rooms';
import { STILL_MAX_BYTES } from '@/server/services/stills';
import { makeJpeg, makeSittingScenario } from '../fixtures/factories';
import { follow } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { asStaff, callerFor, httpCall, makeContext, timelineOf, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

const flagRows = (candidateId: number) => fx.db.select().from(flags).where(eq(flags.candidateId, candidateId)).all();

async function sitting() {
  const s = await makeSittingScenario(fx.db, { candidates: 2 });
  const cand = s.candidates[0]!;
  const page = callerFor(makeContext(fx.db, cand));
  return { ...s, cand, page };
}

describe('face signals from the candidate’s page', () => {
  it('a second person reported with a still raises one open second_person flag holding that still, and the face detail on the timeline', async () => {
    const { exam, room, invigilator, cand, page } = await sitting();
    const still = makeJpeg(2048);
    const at = new Date(Date.now() - 3_000);

    const { id } = await page.exam.reportIntegrity({ examId: exam.id, signal: 'second_person', at, face: { faces: 2 }, still: still.dataUrl });

    const rows = flagRows(cand.id);
    expect(rows).toEqual([expect.objectContaining({ roomId: room.id, type: 'second_person', source: 'auto', status: 'open', eventId: id })]);
    expect(Buffer.from(rows[0]!.still!)).toEqual(still.buf);
    expect(timelineOf(fx.db, cand.id, 'integrity.second_person')).toEqual([expect.objectContaining({ id, occurredAt: at, payload: { face: { faces: 2 } } })]);
    // The flags panel lists it with its still, served to the room's invigilator.
    const staff = { db: fx.db, caller: asStaff(invigilator) };
    expect(listFlags({ ...staff, roomId: room.id })).toEqual([expect.objectContaining({ id: rows[0]!.id, type: 'second_person', hasStill: true })]);
    expect(Buffer.from(flagStill({ ...staff, flagId: rows[0]!.id })!)).toEqual(still.buf);
    // And the timeline says what was seen.
    const items = await callerFor(makeContext(fx.db, invigilator)).invigilate.timeline({ roomId: room.id, candidateId: cand.id });
    expect(items.find((i) => i.id === `e${id}`)).toMatchObject({ kind: 'event', type: 'integrity.second_person', detail: { face: { faces: 2 } } });
  });

  it.each([
    ['face_missing', { faces: 0, seconds: 12 }],
    ['second_person', { faces: 3 }],
    ['identity_mismatch', { faces: 1, similarity: 0.21 }],
    ['looking_away', { yaw: -48, pitch: 3, seconds: 9 }],
    ['phone_visible', {}],
  ] as const)('a %s start raises the flag of the same name', async (signal, face) => {
    const { exam, cand, page } = await sitting();
    await page.exam.reportIntegrity({ examId: exam.id, signal, at: new Date(), face });
    expect(flagRows(cand.id).map((f) => [f.type, f.status, f.still])).toEqual([[signal, 'open', null]]);
  });

  it('the ends of the face conditions raise nothing', async () => {
    const { exam, cand, page } = await sitting();
    for (const signal of ['face_back', 'single_face', 'identity_restored', 'looking_back', 'phone_gone'] as const) {
      await page.exam.reportIntegrity({ examId: exam.id, signal, at: new Date(), face: { seconds: 4 } });
    }
    expect(flagRows(cand.id)).toEqual([]);
    expect(timelineOf(fx.db, cand.id).filter((e) => e.type.startsWith('integrity.'))).toHaveLength(5);
  });

  it('a second start while its flag is open raises nothing and its still is not kept; after a dismissal the next start raises a new flag', async () => {
    const { exam, invigilator, cand, page } = await sitting();
    const first = makeJpeg(100);
    const second = makeJpeg(200);
    const report = (still: string) => page.exam.reportIntegrity({ examId: exam.id, signal: 'second_person', at: new Date(), face: { faces: 2 }, still });

    await report(first.dataUrl);
    await page.exam.reportIntegrity({ examId: exam.id, signal: 'single_face', at: new Date() });
    await report(second.dataUrl);

    const rows = flagRows(cand.id);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.still!)).toEqual(first.buf);
    expect(timelineOf(fx.db, cand.id, 'flag_raised')).toHaveLength(1);

    await callerFor(makeContext(fx.db, invigilator)).invigilate.resolveFlag({ flagId: rows[0]!.id, resolution: 'dismissed' });
    await report(second.dataUrl);
    const after = flagRows(cand.id);
    expect(after.map((f) => f.status)).toEqual(['dismissed', 'open']);
    expect(Buffer.from(after[1]!.still!)).toEqual(second.buf);
  });

  it('a still that is not a JPEG is refused with the translated message, and nothing is recorded', async () => {
    const { exam, cand } = await sitting();
    const png = `data:image/jpeg;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]).toString('base64')}`;

    const en = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'en' }),
      path: 'exam.reportIntegrity',
      input: { examId: exam.id, signal: 'face_missing', at: new Date().toISOString(), face: { faces: 0 }, still: png },
    });
    const zh = await httpCall({
      ctx: makeContext(fx.db, cand),
      path: 'exam.reportIntegrity',
      input: { examId: exam.id, signal: 'face_missing', at: new Date().toISOString(), still: png },
    });

    expect(en.status).toBe(400);
    expect(en.body.error.json.data.appCode).toBe('flags.stillInvalid');
    expect(en.body.error.json.message).toBe('The snapshot is not a valid JPEG image.');
    expect(zh.body.error.json.message).toBe('截图不是有效的 JPEG 图片。');
    expect(timelineOf(fx.db, cand.id).filter((e) => e.type.startsWith('integrity.'))).toEqual([]);
    expect(flagRows(cand.id)).toEqual([]);
  });

  it('a still above the size bound is refused before it is decoded, with the bound in the message', async () => {
    const { exam, cand, page } = await sitting();
    const err = await trpcRefusal(
      page.exam.reportIntegrity({ examId: exam.id, signal: 'phone_visible', at: new Date(), still: makeJpeg(STILL_MAX_BYTES + 1).dataUrl }),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.cause).toMatchObject({ key: 'flags.stillTooLarge', params: { maxKb: 400 } });
    expect(flagRows(cand.id)).toEqual([]);
  });

  it('a still with an end signal or any other signal, a face detail out of bounds or with unknown fields, is invalid input', async () => {
    const { exam, cand } = await sitting();
    const call = (input: Record<string, unknown>) =>
      httpCall({
        ctx: makeContext(fx.db, cand, { locale: 'en' }),
        path: 'exam.reportIntegrity',
        input: { examId: exam.id, at: new Date().toISOString(), ...input },
      });

    for (const [input, field] of [
      [{ signal: 'face_back', still: makeJpeg().dataUrl }, 'still'],
      [{ signal: 'page_hidden', still: makeJpeg().dataUrl }, 'still'],
      [{ signal: 'page_hidden', face: { faces: 1 } }, 'face'],
      [{ signal: 'second_person', face: { faces: 99 } }, 'face.faces'],
      [{ signal: 'identity_mismatch', face: { similarity: 1.5 } }, 'face.similarity'],
      [{ signal: 'looking_away', face: { yaw: 900 } }, 'face.yaw'],
      [{ signal: 'face_missing', face: { seconds: -1 } }, 'face.seconds'],
      [{ signal: 'second_person', face: { faces: 2, note: 'x'.repeat(1000) } }, 'face'],
    ] as const) {
      const { status, body } = await call(input);
      expect([input, status, body.error.json.data.appCode]).toEqual([input, 400, 'invalidInput']);
      expect(body.error.json.data.fieldErrors[field]).toEqual(expect.any(String));
    }
    expect(timelineOf(fx.db, cand.id).filter((e) => e.type.startsWith('integrity.'))).toEqual([]);
  });
});

describe('what the candidate’s page may claim', () => {
  it('a report’s time is kept between the opening of entry and now: a time ahead is brought back, a time before entry brought forward', async () => {
    const { exam, cand, page } = await sitting();
    const before = Date.now();
    await page.exam.reportIntegrity({ examId: exam.id, signal: 'looking_away', at: new Date(before + 3_600_000) });
    await page.exam.reportIntegrity({ examId: exam.id, signal: 'looking_back', at: new Date(before - 86_400_000) });
    const after = Date.now();

    const [ahead, behind] = timelineOf(fx.db, cand.id).filter((e) => e.type.startsWith('integrity.'));
    expect(ahead!.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(ahead!.occurredAt.getTime()).toBeLessThanOrEqual(after + 5_000);
    expect(behind!.occurredAt).toEqual(exam.entryOpensAt);
  });

  it(`a page sending more than ${INTEGRITY_REPORTS_PER_MINUTE} reports a minute is refused the rest of that minute; others in the room are not`, async () => {
    const { exam, candidates, cand, page } = await sitting();
    for (let i = 0; i < INTEGRITY_REPORTS_PER_MINUTE; i++) {
      await page.exam.reportIntegrity({ examId: exam.id, signal: i % 2 ? 'face_back' : 'face_missing', at: new Date() });
    }

    const err = await trpcRefusal(page.exam.reportIntegrity({ examId: exam.id, signal: 'second_person', at: new Date(), still: makeJpeg().dataUrl }));
    expect(err.code).toBe('TOO_MANY_REQUESTS');
    expect(err.cause).toMatchObject({ key: 'exam.integrityThrottled', params: { perMinute: INTEGRITY_REPORTS_PER_MINUTE } });
    expect(timelineOf(fx.db, cand.id, 'integrity.second_person')).toEqual([]);
    await callerFor(makeContext(fx.db, candidates[1]!)).exam.reportIntegrity({ examId: exam.id, signal: 'second_person', at: new Date() });

    // A minute on (by the database's clock, which stamps the reports), the page may report again.
    fx.db
      .update(events)
      .set({ createdAt: new Date(Date.now() - 61_000) })
      .where(eq(events.candidateId, cand.id))
      .run();
    expect(reportIntegrity({ db: fx.db, candidateId: cand.id, examId: exam.id, signal: 'second_person', at: new Date() })).toEqual({ id: expect.any(Number) });
  });
});

describe('the face state on the invigilator’s tile', () => {
  it('is null before any face signal, then the most telling condition in force since it started, back to ok when all have ended', async () => {
    const { exam, room, invigilator, cand, candidates, page } = await sitting();
    const grid = callerFor(makeContext(fx.db, invigilator)).invigilate;
    const faceOf = async (id = cand.id) => (await grid.roomState({ roomId: room.id })).tiles.find((t) => t.candidateId === id)!.face;
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000);
    const report = (signal: Parameters<typeof page.exam.reportIntegrity>[0]['signal'], s: number) =>
      page.exam.reportIntegrity({ examId: exam.id, signal, at: at(s) });

    expect(await faceOf()).toBeNull();

    await report('looking_away', 0);
    expect(await faceOf()).toEqual({ state: 'away', since: at(0).getTime(), active: { looking_away: at(0).getTime() } });
    await report('second_person', 5);
    expect(await faceOf()).toMatchObject({ state: 'several', since: at(5).getTime() });
    await report('second_person', 6);
    expect(await faceOf()).toMatchObject({ state: 'several', since: at(5).getTime() });
    await report('single_face', 10);
    // Looking away never stopped: shown again, since it began.
    expect(await faceOf()).toMatchObject({ state: 'away', since: at(0).getTime(), active: { looking_away: at(0).getTime() } });
    await report('looking_back', 12);
    expect(await faceOf()).toEqual({ state: 'ok', since: at(12).getTime(), active: {} });
    // Other signals of the page do not touch it; another candidate's tile has none.
    await report('page_hidden', 13);
    expect(await faceOf()).toMatchObject({ state: 'ok', since: at(12).getTime() });
    expect(await faceOf(candidates[1]!.id)).toBeNull();
  });

  it('reaches the grid live: the face signal’s event carries the candidate’s tile with its face state', async () => {
    const { exam, room, invigilator, cand, page } = await sitting();
    const topic = `room:${room.id}` as const;
    const live = await follow(fx.db, invigilator, [topic], { cursors: [[topic, lastRoomEventId({ db: fx.db, roomId: room.id })]], signal: fx.stop.signal });
    const at = new Date();

    await page.exam.reportIntegrity({ examId: exam.id, signal: 'identity_mismatch', at, face: { faces: 1, similarity: 0.12 }, still: makeJpeg().dataUrl });

    const update = await live.next(topic);
    expect(update.data.event).toMatchObject({ type: 'integrity.identity_mismatch', candidateId: cand.id });
    expect(update.data.tile).toMatchObject({ candidateId: cand.id, face: { state: 'mismatch', since: at.getTime() } });
    // Then the flag it raised, with the same tile and the flag open on it.
    const flagged = await live.next(topic);
    expect(flagged.data.event).toMatchObject({ type: 'flag_raised', payload: { type: 'identity_mismatch' } });
    expect(flagged.data.tile).toMatchObject({ face: { state: 'mismatch' }, openFlags: [{ type: 'identity_mismatch' }] });
  });
});
