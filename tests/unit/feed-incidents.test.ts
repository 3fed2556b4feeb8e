import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { events, flags, incidentCandidates, incidents, registrations, type TimelineEvent } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { candidateIdentity } from '@/server/livekit/tokens';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { incidentThreshold, sweepFeeds, type IncidentRules, type IncidentSummary } from '@/server/services/feed-incidents';
import { roomState } from '@/server/services/invigilate';
import { makeSittingScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import {
  asStaff,
  auditRows,
  callerFor,
  makeContext,
  registrationRow,
  signWebhook,
  trpcRefusal,
  webhookBody,
  type WebhookBodyOpts,
} from '../helpers/unit-support';

const fx = useTestDb();
const ROOT = path.join(import.meta.dirname, '..', '..');

const RULES: IncidentRules = { graceMs: 15_000, minCandidates: 5, minShare: 0.2, windowMs: 10_000, timeoutMs: 120_000 };
const SOURCES = ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE'];

/**
 * The scenarios run on a clock of their own, half an hour ahead (inside the exam, which the
 * factory starts 5 minutes ago for 90): what is due is decided by the `now` each call passes,
 * and the process's own timers, due half an hour from now, never fire during a test.
 */
const clock = () => {
  let sec = Math.floor(Date.now() / 1000) + 30 * 60;
  return {
    get sec() {
      return sec;
    },
    tick: (s = 1) => (sec += s),
    at: (offsetMs = 0) => new Date(sec * 1000 + offsetMs),
  };
};
type Clock = ReturnType<typeof clock>;

type Body = Omit<WebhookBodyOpts, 'createdAt'>;

/** Delivers one signed body to the webhook handler, as LiveKit would, on the given connection. */
async function deliverRaw(db: Db, rawBody: string, now: Date) {
  const res = await handleLivekitWebhook({ db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody), rules: RULES, now });
  expect(res.status).toBe(200);
  return res;
}

const deliver = (db: Db, t: Clock, o: Body) => deliverRaw(db, webhookBody({ ...o, createdAt: t.sec }), t.at(300));

async function roomOf(n: number) {
  const s = await makeSittingScenario(fx.db, { candidates: n });
  const pc = (id: number) => ({ room: s.room.livekitRoom, identity: candidateIdentity(id, 'pc') });
  /** The exam page's PC joins and publishes screen, camera and microphone. */
  const connect = async (db: Db, t: Clock, id: number) => {
    await deliver(db, t, { event: 'participant_joined', ...pc(id) });
    for (const source of SOURCES) await deliver(db, t, { event: 'track_published', ...pc(id), track: { source } });
  };
  /** What LiveKit reports when a PC is gone: each track unpublished, then the participant left. */
  const drop = async (db: Db, t: Clock, id: number) => {
    for (const source of SOURCES) await deliver(db, t, { event: 'track_unpublished', ...pc(id), track: { source } });
    await deliver(db, t, { event: 'participant_left', ...pc(id) });
  };
  const ids = s.candidates.map((c) => c.id);
  return { ...s, ids, pc, connect, drop };
}

const flagRows = () => fx.db.select().from(flags).all();
const incidentRows = () => fx.db.select().from(incidents).all();
const membersOf = (incidentId: number) => fx.db.select().from(incidentCandidates).where(eq(incidentCandidates.incidentId, incidentId)).all();

/** The incident announcements the room's channel carries from now on. */
function incidentNews(roomId: number) {
  const seen: { type: string; incident: IncidentSummary }[] = [];
  const it = getBus().listen(`room:${roomId}`, fx.stop.signal);
  void (async () => {
    for await (const e of it as AsyncIterable<TimelineEvent>) {
      if (e.type.startsWith('incident_')) seen.push({ type: e.type, incident: e.payload!.incident as IncidentSummary });
    }
  })();
  return seen;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Another app process on the same database file (tests/helpers/webhook-sender.ts): ready, then go, then its counts. */
function startSender(file: string, spec: { bodies: string[]; now: number; rules: IncidentRules }) {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'tests', 'helpers', 'webhook-sender.ts'), file, JSON.stringify(spec)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`webhook sender exited with ${code}`)));
    });
  const ready = next();
  return {
    ready,
    done: ready.then(next).then((line) => JSON.parse(line) as { stored: number; failed: number }),
    go: () => child.stdin!.write('go\n'),
  };
}

describe('feed losses: one candidate alone is flagged after the grace, as before', () => {
  it('a single candidate who leaves is flagged for leaving once the grace is over, and no incident opens', async () => {
    const r = await roomOf(10);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    await r.drop(fx.db, t, r.ids[0]!);

    expect(flagRows()).toEqual([]);
    sweepFeeds({ db: fx.db, now: t.at(RULES.graceMs - 1000), rules: RULES });
    expect(flagRows()).toEqual([]);
    sweepFeeds({ db: fx.db, now: t.at(RULES.graceMs + 1000), rules: RULES });
    expect(flagRows().map((f) => [f.candidateId, f.type])).toEqual([[r.ids[0], 'left_room']]);
    expect(incidentRows()).toEqual([]);
  });

  it('fewer candidates than the threshold lost together are flagged one by one', async () => {
    const r = await roomOf(32);
    expect(incidentThreshold(RULES, 32)).toBe(7);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    for (const id of r.ids.slice(0, 6)) await r.drop(fx.db, t, id);

    sweepFeeds({ db: fx.db, now: t.at(RULES.graceMs + 1000), rules: RULES });
    expect(incidentRows()).toEqual([]);
    expect(
      flagRows()
        .map((f) => f.candidateId)
        .sort((a, b) => a - b),
    ).toEqual(r.ids.slice(0, 6));
  });
});

describe('many candidates lost at once are one incident', () => {
  async function massDrop() {
    const r = await roomOf(32);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    const startedAt = t.at();
    const news = incidentNews(r.room.id);
    // LiveKit notices each departure on its own timers: spread over a few seconds.
    for (const [i, id] of r.ids.entries()) {
      if (i > 0 && i % 8 === 0) t.tick();
      await r.drop(fx.db, t, id);
    }
    await flush();
    return { r, t, startedAt, news };
  }

  it('32 candidates dropping within seconds open one incident covering all 32, with no per-candidate flag', async () => {
    const { r, t, startedAt, news } = await massDrop();

    const [incident, ...more] = incidentRows();
    expect(more).toEqual([]);
    expect(incident).toMatchObject({ roomId: r.room.id, state: 'open', startedAt, decision: null });
    expect(
      membersOf(incident!.id)
        .map((m) => m.candidateId)
        .sort((a, b) => a - b),
    ).toEqual(r.ids);
    // Past every candidate's own grace, still inside the incident: nothing flagged one by one.
    sweepFeeds({ db: fx.db, now: t.at(RULES.graceMs + 5000), rules: RULES });
    expect(flagRows()).toEqual([]);
    expect(news[0]).toMatchObject({ type: 'incident_opened', incident: { id: incident!.id, state: 'open', startedAt: startedAt.getTime() } });
    expect(news.at(-1)!.incident).toMatchObject({ candidateIds: r.ids, back: 0 });
    // The console's snapshot carries it.
    const view = roomState({ db: fx.db, caller: asStaff(r.invigilator), roomId: r.room.id, now: t.at(RULES.graceMs + 5000) });
    expect(view.incidents).toEqual([expect.objectContaining({ id: incident!.id, state: 'open', candidateIds: r.ids, back: 0 })]);
  });

  it('when all 32 come back (joined and publishing again) the incident clears with nobody flagged', async () => {
    const { r, t, news } = await massDrop();
    t.tick(40);
    for (const id of r.ids) await r.connect(fx.db, t, id);
    await flush();

    const [incident] = incidentRows();
    expect(incident).toMatchObject({ state: 'cleared', clearedAt: t.at(), proposedMinutes: 1 });
    expect(membersOf(incident!.id).every((m) => m.recoveredAt)).toBe(true);
    sweepFeeds({ db: fx.db, now: t.at(RULES.timeoutMs * 2), rules: RULES });
    expect(flagRows()).toEqual([]);
    expect(news.at(-1)).toMatchObject({ type: 'incident_cleared', incident: { state: 'cleared', candidateIds: r.ids, back: 32, proposedMinutes: 1 } });
  });

  it('a candidate back on the room but not yet publishing is not back', async () => {
    const { r, t } = await massDrop();
    t.tick(20);
    for (const id of r.ids.slice(1)) await r.connect(fx.db, t, id);
    await deliver(fx.db, t, { event: 'participant_joined', ...r.pc(r.ids[0]!) });
    await deliver(fx.db, t, { event: 'track_published', ...r.pc(r.ids[0]!), track: { source: 'CAMERA' } });

    const [incident] = incidentRows();
    expect(incident!.state).toBe('open');
    expect(
      membersOf(incident!.id)
        .filter((m) => !m.recoveredAt)
        .map((m) => m.candidateId),
    ).toEqual([r.ids[0]]);
  });

  it('when 2 stay missing the incident clears at its timeout and flags exactly those 2, for leaving', async () => {
    const { r, t, news } = await massDrop();
    const [missingA, missingB] = [r.ids[5]!, r.ids[20]!];
    t.tick(30);
    for (const id of r.ids) if (id !== missingA && id !== missingB) await r.connect(fx.db, t, id);
    expect(incidentRows()[0]!.state).toBe('open');
    expect(flagRows()).toEqual([]);

    const [incident] = incidentRows();
    sweepFeeds({ db: fx.db, now: new Date(incident!.startedAt.getTime() + RULES.timeoutMs - 1000), rules: RULES });
    expect(incidentRows()[0]!.state).toBe('open');
    const clearedAt = new Date(incident!.startedAt.getTime() + RULES.timeoutMs + 1000);
    sweepFeeds({ db: fx.db, now: clearedAt, rules: RULES });
    await flush();

    expect(incidentRows()[0]).toMatchObject({ state: 'cleared', clearedAt, proposedMinutes: 1 });
    expect(
      flagRows()
        .map((f) => [f.candidateId, f.type, f.source])
        .sort(),
    ).toEqual(
      [
        [missingA, 'left_room', 'auto'],
        [missingB, 'left_room', 'auto'],
      ].sort(),
    );
    expect(news.at(-1)).toMatchObject({ type: 'incident_cleared', incident: { candidateIds: r.ids, back: 30 } });
  });

  it('a member’s stale session pushed out by its own reconnect during the incident is not flagged as another client', async () => {
    const { r } = await massDrop();
    const t = clock();
    t.tick(90);
    await deliver(fx.db, t, { event: 'participant_joined', ...r.pc(r.ids[0]!) });
    await deliver(fx.db, t, { event: 'participant_left', ...r.pc(r.ids[0]!), participant: { disconnectReason: 'DUPLICATE_IDENTITY' } });
    expect(flagRows()).toEqual([]);
  });

  it('a console read after the deadline clears an incident whose timer was lost with its process', async () => {
    const { r } = await massDrop();
    const [incident] = incidentRows();
    const view = roomState({
      db: fx.db,
      caller: asStaff(r.invigilator),
      roomId: r.room.id,
      now: new Date(incident!.startedAt.getTime() + RULES.timeoutMs + 1000),
    });
    expect(view.incidents).toEqual([expect.objectContaining({ id: incident!.id, state: 'cleared', candidateIds: r.ids, back: 0 })]);
    expect(flagRows()).toHaveLength(32);
    expect(new Set(flagRows().map((f) => f.type))).toEqual(new Set(['left_room']));
  });

  it('every webhook delivered twice (LiveKit retries) changes nothing the second time', async () => {
    const r = await roomOf(32);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    const bodies: string[] = [];
    for (const id of r.ids) {
      for (const source of SOURCES) bodies.push(webhookBody({ event: 'track_unpublished', ...r.pc(id), track: { source }, createdAt: t.sec }));
      bodies.push(webhookBody({ event: 'participant_left', ...r.pc(id), createdAt: t.sec }));
    }
    for (const body of bodies) {
      await deliverRaw(fx.db, body, t.at(500));
      expect((await deliverRaw(fx.db, body, t.at(600))).stored).toBeUndefined();
    }
    const storedAfterDrop = fx.db.select().from(events).all().length;
    // Replayed once more, out of order, after everyone is back.
    t.tick(30);
    for (const id of r.ids) await r.connect(fx.db, t, id);
    for (const body of [...bodies].reverse()) expect((await deliverRaw(fx.db, body, t.at(500))).stored).toBeUndefined();

    const [incident, ...more] = incidentRows();
    expect(more).toEqual([]);
    expect(incident).toMatchObject({ state: 'cleared' });
    expect(membersOf(incident!.id)).toHaveLength(32);
    expect(membersOf(incident!.id).every((m) => m.recoveredAt)).toBe(true);
    expect(fx.db.select().from(events).where(eq(events.type, 'participant_left')).all()).toHaveLength(32);
    expect(storedAfterDrop).toBeGreaterThan(32 * 4);
    sweepFeeds({ db: fx.db, now: t.at(RULES.timeoutMs * 2), rules: RULES });
    expect(flagRows()).toEqual([]);
  });

  it('two app processes (two connections to one database file) taking the drop in turns open one incident', async () => {
    const r = await roomOf(32);
    const t = clock();
    const other = openDb(fx.db.$client.name);
    try {
      for (const id of r.ids) await r.connect(fx.db, t, id);
      t.tick(60);
      // Each "process" gets every other candidate; their deliveries interleave at every await.
      const half = (odd: number) => r.ids.filter((_, i) => i % 2 === odd);
      await Promise.all([
        (async () => {
          for (const id of half(0)) await r.drop(fx.db, t, id);
        })(),
        (async () => {
          for (const id of half(1)) await r.drop(other, t, id);
        })(),
      ]);
      const [incident, ...more] = incidentRows();
      expect(more).toEqual([]);
      expect(membersOf(incident!.id)).toHaveLength(32);

      t.tick(30);
      await Promise.all([
        (async () => {
          for (const id of half(1)) await r.connect(fx.db, t, id);
        })(),
        (async () => {
          for (const id of half(0)) await r.connect(other, t, id);
        })(),
      ]);
      expect(incidentRows()).toMatchObject([{ id: incident!.id, state: 'cleared' }]);
      sweepFeeds({ db: other, now: t.at(RULES.timeoutMs * 2), rules: RULES });
      expect(flagRows()).toEqual([]);
    } finally {
      other.$client.close();
    }
  });

  it('two app processes taking halves of the drop at the same moment open one incident with all 32', async () => {
    const r = await roomOf(32);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    const bodiesOf = (ids: number[]) =>
      ids.flatMap((id) => [
        ...SOURCES.map((source) => webhookBody({ event: 'track_unpublished', ...r.pc(id), track: { source }, createdAt: t.sec })),
        webhookBody({ event: 'participant_left', ...r.pc(id), createdAt: t.sec }),
      ]);
    const senders = [0, 1].map((odd) =>
      startSender(fx.db.$client.name, { bodies: bodiesOf(r.ids.filter((_, i) => i % 2 === odd)), now: t.at(300).getTime(), rules: RULES }),
    );
    await Promise.all(senders.map((s) => s.ready));
    for (const s of senders) s.go();
    const results = await Promise.all(senders.map((s) => s.done));

    expect(results).toEqual([
      { stored: 64, failed: 0 },
      { stored: 64, failed: 0 },
    ]);
    const [incident, ...more] = incidentRows();
    expect(more).toEqual([]);
    expect(membersOf(incident!.id)).toHaveLength(32);
    sweepFeeds({ db: fx.db, now: t.at(RULES.graceMs + 5000), rules: RULES });
    expect(flagRows()).toEqual([]);
  }, 60_000);

  it('a candidate who finished before the drop is not counted, flagged or given time', async () => {
    const r = await roomOf(6);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    fx.db
      .update(registrations)
      .set({ finishedAt: t.at(), finishReason: 'submitted' })
      .where(and(eq(registrations.roomId, r.room.id), eq(registrations.candidateId, r.ids[0]!)))
      .run();
    t.tick(60);
    for (const id of r.ids) await r.drop(fx.db, t, id);
    // Five sitting candidates lost: the threshold (5) is met without the finished one.
    const [incident] = incidentRows();
    expect(
      membersOf(incident!.id)
        .map((m) => m.candidateId)
        .sort((a, b) => a - b),
    ).toEqual(r.ids.slice(1));
  });
});

describe('the invigilator decides the extra time of an incident', () => {
  async function clearedIncident() {
    const r = await roomOf(8);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    t.tick(60);
    for (const id of r.ids) await r.drop(fx.db, t, id);
    t.tick(100);
    for (const id of r.ids) await r.connect(fx.db, t, id);
    const [incident] = incidentRows();
    expect(incident).toMatchObject({ state: 'cleared', proposedMinutes: 2 });
    return { r, incident: incident! };
  }

  it('nothing is granted by itself; the room’s invigilator grants the proposed minutes to every candidate of the incident, once', async () => {
    const { r, incident } = await clearedIncident();
    expect(r.ids.map((id) => registrationRow(fx.db, id, r.exam.id).extraMinutes)).toEqual(r.ids.map(() => 0));

    const api = callerFor(makeContext(fx.db, r.invigilator));
    expect(await api.invigilate.grantIncidentTime({ incidentId: incident.id, minutes: 2 })).toEqual({ extended: 8, minutes: 2 });

    expect(r.ids.map((id) => registrationRow(fx.db, id, r.exam.id).extraMinutes)).toEqual(r.ids.map(() => 2));
    expect(fx.db.select().from(events).where(eq(events.type, 'extra_time')).all()).toHaveLength(8);
    expect(incidentRows()[0]).toMatchObject({ decision: 'granted', grantedMinutes: 2, decidedBy: r.invigilator.id });
    expect(auditRows(fx.db).map((a) => a.action)).toEqual([...r.ids.map(() => 'time.added'), 'incident.time_granted']);
    // Decided: off the console's list, and a second click changes nothing.
    expect((await api.invigilate.roomState({ roomId: r.room.id })).incidents).toEqual([]);
    expect((await trpcRefusal(api.invigilate.grantIncidentTime({ incidentId: incident.id, minutes: 2 }))).code).toBe('CONFLICT');
    expect((await trpcRefusal(api.invigilate.declineIncidentTime({ incidentId: incident.id }))).code).toBe('CONFLICT');
    expect(r.ids.map((id) => registrationRow(fx.db, id, r.exam.id).extraMinutes)).toEqual(r.ids.map(() => 2));
  });

  it('an invigilator of another room may not decide it; an open incident cannot be decided yet', async () => {
    const { incident } = await clearedIncident();
    const stranger = await makeStaff(fx.db, 'invigilator');
    const refused = await trpcRefusal(callerFor(makeContext(fx.db, stranger)).invigilate.grantIncidentTime({ incidentId: incident.id, minutes: 5 }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(incidentRows()[0]!.decision).toBeNull();

    const r = await roomOf(8);
    const t = clock();
    for (const id of r.ids) await r.connect(fx.db, t, id);
    for (const id of r.ids) await r.drop(fx.db, t, id);
    const open = incidentRows().find((i) => i.roomId === r.room.id)!;
    const early = await trpcRefusal(callerFor(makeContext(fx.db, r.invigilator)).invigilate.grantIncidentTime({ incidentId: open.id, minutes: 5 }));
    expect(early.code).toBe('PRECONDITION_FAILED');
  });

  it('declining leaves every end time as it was', async () => {
    const { r, incident } = await clearedIncident();
    await callerFor(makeContext(fx.db, r.invigilator)).invigilate.declineIncidentTime({ incidentId: incident.id });
    expect(incidentRows()[0]).toMatchObject({ decision: 'declined', grantedMinutes: null });
    expect(r.ids.map((id) => registrationRow(fx.db, id, r.exam.id).extraMinutes)).toEqual(r.ids.map(() => 0));
  });
});
