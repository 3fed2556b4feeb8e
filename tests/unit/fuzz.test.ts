import { removeDataDir } from '../helpers/security/data-dir';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appRouter } from '@/server/routers/_app';
import { createTestDb } from '../helpers/db';
import { useAppDb } from '../helpers/security/app-db';
import { sseFrames } from '../helpers/live';
import { anyNumber, anyString, fixturePool, inputsFor, plainJson, rawRequests, type RawRequest } from '../helpers/security/fuzz-inputs';
import {
  callRoute,
  dbDigest,
  ORIGIN,
  rolledBack,
  routerProcedures,
  rowCounts,
  sendTrpc,
  totalChanges,
  trpcRequest,
  type ProcType,
  type RouteHandler,
} from '../helpers/security/http';
import * as liveRoute from '@/app/api/live/route';
import { buildWorld, ROLES, type RoleName, type World } from '../helpers/security/world';

// As in access-matrix.test.ts: Next's request scope from the Request being handled, the test
// database for the app, and no calls out to an SFU (a phone rebind would ask one to drop the old phone).
vi.mock('next/headers', () => import('../helpers/security/request-scope'));
vi.mock('@/server/db', () => import('../helpers/security/app-db'));
vi.mock('@/server/livekit/room-service', () => ({ removeFromRoom: async () => {}, removeStaffFromRooms: async () => {}, dropLostRooms: () => [] }));

/**
 * Every query and mutation, through the tRPC route's exported GET/POST with real
 * Requests and the real context, as every kind of caller, with generated inputs: well-formed
 * tRPC requests (superjson) carrying schema-shaped, mutated and garbage inputs, and a share of
 * raw malformed requests. Every call runs in a transaction that is rolled back, so each starts
 * from the same fixture. Asserted: no status >= 500, no INTERNAL_SERVER_ERROR logged by the
 * route's onError, no unhandled rejection or uncaught exception, and no write by a refused call.
 */
const SEED = 20261204;
const RUNS = 500;
/** The live connection (`GET /api/live`): its topics and cursors, read up to the `open` frame. */
const LIVE_RUNS = 300;

/**
 * Refused calls that write on purpose: a failed sign-in counts against the throttle
 * (login_attempts), and so does a failed phone bind; a candidate refused entry for an extended
 * display leaves an integrity event (evidence of the attempt).
 */
const WRITES_WHEN_REFUSED = new Set(['auth.loginCandidate', 'auth.loginStaff', 'phone.bind', 'exam.enter']);

type Finding = { path: string; role: RoleName; status: number; what: string; input: string };

const procedures = [...routerProcedures()];
const findings: Finding[] = [];
const statusCounts: Record<string, number> = {};
const perProcedure: Record<string, number> = {};
const uncaught: unknown[] = [];
const failedLogs: string[] = [];

let testDb: ReturnType<typeof createTestDb>;
let world: World;
let fixtureDigest: string;
let pool: ReturnType<typeof fixturePool>;

const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  testDb = createTestDb();
  useAppDb(testDb);
  world = await buildWorld(testDb);
  pool = fixturePool(world);
  fixtureDigest = dbDigest(testDb);
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
  // The route logs "tRPC <path> failed" for INTERNAL_SERVER_ERROR: each one is a finding.
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    const first = String(args[0]);
    if (/failed/.test(first)) failedLogs.push(`${first} ${args[1] instanceof Error ? ((args[1].cause as Error)?.stack ?? args[1].stack) : ''}`.slice(0, 600));
  });
}, 60_000);

afterAll(() => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
  vi.restoreAllMocks();
  useAppDb(undefined);
  testDb?.cleanup();
  removeDataDir();
});

const show = (v: unknown) => {
  try {
    const s = typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    return (s ?? String(v)).slice(0, 300);
  } catch {
    return String(v).slice(0, 300);
  }
};

function rawRequest(path: string, raw: RawRequest, cookie: string | undefined): Request {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (raw.contentType) headers['content-type'] = raw.contentType;
  const url = `${ORIGIN}/api/trpc/${path}${raw.query ? `?${raw.query}` : ''}${raw.batch ? `${raw.query ? '&' : '?'}batch=1` : ''}`;
  const hasBody = raw.method !== 'GET' && raw.method !== 'HEAD';
  return new Request(url, { method: raw.method, headers, body: hasBody ? raw.body : undefined });
}

/**
 * The client's encoding (superjson). superjson refuses to encode some values (keys such as
 * __proto__ or prototype): those go as plain `{ json }`, as a hand-written client would send them.
 */
function wellFormed(path: string, type: ProcType, input: unknown, cookie: string | undefined): Request {
  try {
    return trpcRequest({ path, type, input, cookie });
  } catch {
    const json = plainJson({ json: input })!;
    return type === 'mutation'
      ? rawRequest(path, { method: 'POST', body: json, contentType: 'application/json' }, cookie)
      : rawRequest(path, { method: 'GET', query: `input=${encodeURIComponent(json)}` }, cookie);
  }
}

/** One call: sends, reads the whole answer, checks what a refused call left in the database. */
async function probe(path: string, type: ProcType, as: RoleName, req: Request, shown: string) {
  const before = totalChanges(testDb);
  await rolledBack(
    testDb,
    async () => {
      const res = await sendTrpc(req);
      await res.arrayBuffer();
      return res.status;
    },
    (status) => {
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      perProcedure[path] = (perProcedure[path] ?? 0) + 1;
      if (status >= 500) findings.push({ path, role: as, status, what: 'status >= 500', input: shown });
      const refused = status >= 400;
      if (refused && totalChanges(testDb) !== before && !WRITES_WHEN_REFUSED.has(path) && dbDigest(testDb) !== fixtureDigest) {
        findings.push({ path, role: as, status, what: `refused call wrote to the database (row counts now ${show(rowCounts(testDb))})`, input: shown });
      }
    },
  );
}

const fuzzed = procedures.filter(([, type]) => type !== 'subscription');

/** Topic names: mostly well-formed ones naming the fixture's rows, some near misses and garbage. */
function liveTopics(p: ReturnType<typeof fixturePool>) {
  const keyed = ['commands', 'room', 'typing', 'stats', 'holder'];
  const topic = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('messages', 'help', 'desk') },
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...keyed), fc.constantFrom(...p.ids)).map(([k, n]) => `${k}:${n}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...keyed, 'messages', 'desk'), fc.option(anyNumber)).map(([k, n]) => (n == null ? k : `${k}:${n}`)) },
    { weight: 1, arbitrary: anyString },
  );
  return fc.array(topic, { minLength: 1, maxLength: 9 }).map((t) => t.join(','));
}

/** Cursor headers: none, `topic=id` pairs (mostly well-formed), or garbage. */
const liveCursors = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom('desk', 'messages', 'help', 'room:1', 'commands:1', 'stats:1', 'typing:1'), fc.oneof(fc.nat(), anyNumber)), {
        maxLength: 8,
      })
      .map((pairs) => pairs.map(([t, n]) => `${t}=${n}`).join(',')),
  },
  { weight: 1, arbitrary: anyString },
);

/** One live connection: answered in JSON (refused), or read up to its `open` frame and closed. */
async function probeLive(as: RoleName, topics: string, cursors: string | undefined, shown: string) {
  const headers: Record<string, string> = {};
  if (world.cookies[as]) headers.cookie = world.cookies[as];
  if (cursors !== undefined) headers['last-event-id'] = cursors;
  const stop = new AbortController();
  let req: Request;
  try {
    req = new Request(`${ORIGIN}/api/live?${new URLSearchParams({ topics })}`, { headers, signal: stop.signal });
  } catch {
    return; // A header value no client could send (a line break, say).
  }
  const before = totalChanges(testDb);
  try {
    await rolledBack(
      testDb,
      async () => {
        const res = await callRoute(liveRoute.GET as RouteHandler, req);
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
          // Every topic has been opened or refused once the `open` frame is out.
          for await (const f of sseFrames(res.body!)) if (f.event === 'open') break;
        } else {
          await res.arrayBuffer();
        }
        return res.status;
      },
      (status) => {
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        perProcedure['GET /api/live'] = (perProcedure['GET /api/live'] ?? 0) + 1;
        if (status >= 500) findings.push({ path: 'GET /api/live', role: as, status, what: 'status >= 500', input: shown });
        if (status >= 400 && totalChanges(testDb) !== before && dbDigest(testDb) !== fixtureDigest) {
          findings.push({
            path: 'GET /api/live',
            role: as,
            status,
            what: `refused connection wrote to the database (row counts now ${show(rowCounts(testDb))})`,
            input: shown,
          });
        }
      },
    );
  } finally {
    stop.abort();
  }
}

describe('fuzzing every procedure through the HTTP handler', () => {
  it('notices a server error and a write, so that silence below means something', async () => {
    // A database that fails every query: the context cannot read the session, the route answers 500 and logs.
    const broken = createTestDb();
    broken.$client.close();
    useAppDb(broken);
    try {
      const res = await sendTrpc(trpcRequest({ path: 'system.time', type: 'query', cookie: world.cookies.admin }));
      expect(res.status).toBe(500);
      expect(failedLogs.splice(0)).toHaveLength(1);
    } finally {
      useAppDb(testDb);
      broken.cleanup();
    }
    const before = totalChanges(testDb);
    await rolledBack(
      testDb,
      async () =>
        (
          await sendTrpc(
            trpcRequest({ path: 'admin.exams.presets.add', type: 'mutation', input: { examId: world.exam.id, text: 'x' }, cookie: world.cookies.admin }),
          )
        ).status,
      (status) => {
        expect(status).toBe(200);
        expect(totalChanges(testDb)).toBeGreaterThan(before);
        expect(dbDigest(testDb)).not.toBe(fixtureDigest);
      },
    );
    expect(dbDigest(testDb)).toBe(fixtureDigest);
  });

  it.each(fuzzed)(
    '%s (%s)',
    async (path, type) => {
      const schema = (appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>)[path]!._def.inputs[0];
      const call = fc.oneof(
        { weight: 17, arbitrary: fc.record({ kind: fc.constant('trpc' as const), input: inputsFor(schema, pool) }) },
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('raw' as const), raw: rawRequests }) },
      );
      const logsBefore = failedLogs.length;
      const findingsBefore = findings.length;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ROLES), call, async (as, c) => {
          const cookie = world.cookies[as];
          if (c.kind === 'trpc') await probe(path, type, as, wellFormed(path, type, c.input, cookie), show(c.input));
          else await probe(path, type, as, rawRequest(path, c.raw, cookie), `raw ${c.raw.method} ?${show(c.raw.query)} ${show(c.raw.body)}`);
          // Stop at the first problem: fast-check then prints the seed and the counterexample.
          return findings.length === findingsBefore && failedLogs.length === logsBefore && uncaught.length === 0;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    120_000,
  );

  it('GET /api/live (topics and cursors)', async () => {
    const findingsBefore = findings.length;
    const logsBefore = failedLogs.length;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROLES), liveTopics(pool), liveCursors, async (as, topics, cursors) => {
        await probeLive(as, topics, cursors, `topics=${show(topics)} cursors=${show(cursors)}`);
        return findings.length === findingsBefore && failedLogs.length === logsBefore && uncaught.length === 0;
      }),
      { numRuns: LIVE_RUNS, seed: SEED, endOnFailure: true },
    );
  }, 120_000);

  it('prints a summary', () => {
    const inputs = Object.values(perProcedure).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({
        seed: SEED,
        procedures: { fuzzed: fuzzed.length, live: LIVE_RUNS },
        inputs,
        perProcedureMin: Math.min(...Object.values(perProcedure)),
        statuses: statusCounts,
        findings: findings.length,
        failedLogs: failedLogs.length,
        uncaught: uncaught.length,
      }),
    );
    expect(findings).toEqual([]);
    expect(failedLogs).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});
