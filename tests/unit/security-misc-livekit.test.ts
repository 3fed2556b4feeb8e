import { candidateIdentity } from '@/server/livekit/tokens';
import { asStaff } from '../helpers/unit-support';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events, flags } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { enterExam } from '@/server/services/exams';
import { EXAM_PAGE_CLIENT_PROTOCOL } from '@/server/services/flags';
import { candidateTimeline } from '@/server/services/invigilate';
import { bindPhone, createBinding, phoneLivekitToken, phoneSession } from '@/server/services/phone';
import { makeQuestionSheet, makeRoomScenario, makeSittingScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { claimsOf, signWebhook, webhookBody, type WebhookBodyOpts } from '../helpers/unit-support';

const fx = useTestDb();

/** A signed delivery, flagged at once (no grace), as LiveKit would send it. */
async function deliver(o: WebhookBodyOpts) {
  const rawBody = webhookBody(o);
  const res = await handleLivekitWebhook({
    db: fx.db,
    bus: getBus(),
    rawBody,
    authorization: await signWebhook(rawBody),
    autoFlagGraceMs: 0,
  });
  expect(res.status).toBe(200);
  return res.stored!;
}

/** What LiveKit v1.13 reports of a session: the exam page's livekit-client, or a native SDK that advertises an older client protocol. */
const BROWSER = {
  clientProtocol: EXAM_PAGE_CLIENT_PROTOCOL,
  capabilities: ['CAP_COMPRESSION_DEFLATE_RAW'],
};
const NATIVE_SDK = { clientProtocol: 0, capabilities: [] };

const flagsOf = (candidateId: number) => fx.db.select().from(flags).where(eq(flags.candidateId, candidateId)).all();
const raisedEvents = (candidateId: number) =>
  fx.db
    .select()
    .from(events)
    .where(eq(events.candidateId, candidateId))
    .all()
    .filter((e) => e.type === 'flag_raised');

describe('a candidate token used outside the exam page (LiveKit webhooks)', () => {
  it('the exam page joining and publishing raises nothing; the timeline says the exam page published', async () => {
    const { room, candidates, invigilator } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    const joined = await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: { sid: 'PA_page', ...BROWSER },
    });
    // livekit-server 1.13 sends track events without the client's protocol and capabilities.
    await deliver({
      event: 'track_published',
      room: room.livekitRoom,
      identity,
      track: { source: 'SCREEN_SHARE' },
      participant: { sid: 'PA_page', clientProtocol: 0, capabilities: [] },
    });
    // A reload: the page leaves, then joins again with the same client.
    await deliver({
      event: 'participant_left',
      room: room.livekitRoom,
      identity,
      participant: {
        sid: 'PA_page',
        ...BROWSER,
        disconnectReason: 'CLIENT_INITIATED',
      },
    });
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: { sid: 'PA_page2', ...BROWSER },
    });

    expect(joined.payload).toMatchObject({
      client: { protocol: EXAM_PAGE_CLIENT_PROTOCOL, examPage: true },
    });
    expect(flagsOf(cand.id).filter((f) => f.type === 'client_mismatch')).toEqual([]);
    const timeline = candidateTimeline({
      db: fx.db,
      caller: asStaff(invigilator),
      roomId: room.id,
      candidateId: cand.id,
    });
    expect(timeline.find((i) => i.type === 'participant_joined')?.detail).toMatchObject({ client: { examPage: true } });
  });

  it('a script pushing the page out under the same identity raises client_mismatch (not left_room), with the client on the timeline', async () => {
    const { room, candidates, invigilator } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: { sid: 'PA_page', ...BROWSER },
    });
    // LiveKit removes the page's session for the newer one of the same identity, then reports the newcomer.
    const pushedOut = await deliver({
      event: 'participant_left',
      room: room.livekitRoom,
      identity,
      participant: {
        sid: 'PA_page',
        ...BROWSER,
        disconnectReason: 'DUPLICATE_IDENTITY',
      },
    });
    const script = await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: { sid: 'PA_script', ...NATIVE_SDK },
    });
    await deliver({
      event: 'track_published',
      room: room.livekitRoom,
      identity,
      track: { source: 'SCREEN_SHARE' },
      participant: { sid: 'PA_script', ...NATIVE_SDK },
    });

    expect(pushedOut.payload).toMatchObject({
      disconnectReason: 'DUPLICATE_IDENTITY',
    });
    expect(script.payload).toMatchObject({
      client: { protocol: 0, examPage: false },
    });
    const raised = flagsOf(cand.id);
    expect(raised.map((f) => [f.type, f.source, f.status])).toEqual([['client_mismatch', 'auto', 'open']]);
    expect(raised[0]!.eventId).toBe(pushedOut.id);
    expect(raisedEvents(cand.id).map((e) => e.payload)).toEqual([{ flagId: raised[0]!.id, type: 'client_mismatch', reason: 'replaced' }]);

    const timeline = candidateTimeline({
      db: fx.db,
      caller: asStaff(invigilator),
      roomId: room.id,
      candidateId: cand.id,
    });
    expect(timeline.find((i) => i.type === 'participant_joined' && i.detail?.client)?.detail).toMatchObject({ client: { protocol: 0, examPage: false } });
    expect(timeline.find((i) => i.type === 'participant_left')?.detail).toMatchObject({ disconnectReason: 'DUPLICATE_IDENTITY' });
  });

  it('a native SDK publishing the PC or phone feed while no page was there raises client_mismatch with the client', async () => {
    const { room, candidates } = await makeSittingScenario(fx.db, {
      candidates: 2,
    });
    const [pc, phone] = candidates as [(typeof candidates)[0], (typeof candidates)[0]];
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity: candidateIdentity(pc.id, 'pc'),
      participant: NATIVE_SDK,
    });
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity: candidateIdentity(phone.id, 'phone'),
      participant: NATIVE_SDK,
    });
    await deliver({
      event: 'track_published',
      room: room.livekitRoom,
      identity: candidateIdentity(phone.id, 'phone'),
      track: { source: 'CAMERA' },
      participant: NATIVE_SDK,
    });

    for (const c of [pc, phone]) {
      expect(flagsOf(c.id).map((f) => f.type)).toEqual(['client_mismatch']);
      expect(raisedEvents(c.id)[0]!.payload).toMatchObject({
        type: 'client_mismatch',
        reason: 'not_exam_page',
        client: { protocol: 0, examPage: false },
      });
    }
  });

  it('a different client joining for the same device mid-exam raises client_mismatch with before and after', async () => {
    const { room, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: BROWSER,
    });
    await deliver({
      event: 'participant_left',
      room: room.livekitRoom,
      identity,
      participant: BROWSER,
    });
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity,
      participant: {
        clientProtocol: EXAM_PAGE_CLIENT_PROTOCOL,
        capabilities: ['CAP_PACKET_TRAILER'],
      },
    });

    expect(
      flagsOf(cand.id)
        .map((f) => f.type)
        .sort(),
    ).toEqual(['client_mismatch', 'left_room']);
    const mismatch = raisedEvents(cand.id).find((e) => e.payload?.type === 'client_mismatch')!;
    expect(mismatch.payload).toMatchObject({
      reason: 'switched',
      previous: { capabilities: [2] },
      client: { capabilities: [1] },
    });
  });

  it('before entry nothing is flagged, but the client is kept on the event', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const joined = await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity: candidateIdentity(cand.id, 'pc'),
      participant: NATIVE_SDK,
    });
    expect(joined.payload).toMatchObject({ client: { examPage: false } });
    expect(flagsOf(cand.id)).toEqual([]);
  });

  it('the exam page protocol the server expects is the one the shipped livekit-client sends', async () => {
    const { clientProtocol } = await import('livekit-client');
    expect(EXAM_PAGE_CLIENT_PROTOCOL).toBe(clientProtocol);
  });
});

describe('what other participants of a LiveKit room learn about a candidate', () => {
  it('the PC token from entering the exam and the phone token carry no name; the identity holds neither name nor ID number', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db, {
      exam: { opensIn: -20, closesIn: 60, startsIn: -5, durationMinutes: 90 },
    });
    const cand = candidates[0]!;
    makeQuestionSheet(fx.db, exam.id);
    const entered = await enterExam({
      db: fx.db,
      candidateId: cand.id,
      examId: exam.id,
    });
    const bound = await bindPhone({
      db: fx.db,
      proof: {
        token: createBinding({
          db: fx.db,
          candidateId: cand.id,
          examId: exam.id,
        }).token,
      },
      client: '192.0.2.10',
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7)',
      removeParticipant: async () => {},
    });
    const session = phoneSession(fx.db, bound.session);
    if (session.kind !== 'active') throw new Error('expected an active phone session');
    const phone = await phoneLivekitToken({
      db: fx.db,
      device: session.device,
    });

    for (const { token } of [entered.livekit, phone]) {
      const claims = claimsOf(token);
      expect(claims.name).toBeFalsy();
      const shown = JSON.stringify({
        sub: claims.sub,
        name: claims.name,
        attributes: claims.attributes,
        metadata: (claims as { metadata?: string }).metadata,
      });
      expect(shown).not.toContain(cand.name);
      expect(shown).not.toContain(cand.idNumber!);
    }
    expect(claimsOf(entered.livekit.token).sub).toBe(candidateIdentity(cand.id, 'pc'));
    expect(room.livekitRoom).toBe(entered.livekit.room);
  });
});
