import fc from 'fast-check';
import type { World } from './world';

/**
 * Inputs for the fuzzer: schema-guided ones (the procedure's own zod input, read from the
 * router, filled with the fixture's ids and plausible values, so a good share passes
 * validation and reaches the services), the same with fields swapped for garbage, dropped or
 * added, and pure garbage (wrong types, huge strings, unicode edge cases, odd numbers, nesting).
 */

/** Strings that have broken parsers, encoders and databases before. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'a\uD83D', // cut emoji
  '😀👩‍👩‍👧‍👦',
  '\u202Eevil\u202C', // right-to-left override
  'مرحبا بالعالم',
  'שלום',
  '\u200B\u200C\u200D\uFEFF',
  '%',
  '%%_\\',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'C:\\fakepath\\x.pdf',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  'data:image/jpeg;base64,',
  'data:image/jpeg;base64,/9j/',
  '2026-13-45T99:99:99Z',
  '\r\n\r\nSet-Cookie: x=1',
];

const hugeString = fc
  .tuple(fc.constantFrom('a', 'é', '😀', '\uD800', '中', 'ﷺ', '\u202E', '0'), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

export const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: hugeString },
);

export const anyNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 53),
    1e308,
    -1e308,
    5e-324,
    NaN,
    Infinity,
    -Infinity,
  ),
  fc.integer(),
  fc.double(),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 4, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: false }) },
  { weight: 1, arbitrary: fc.bigInt() },
);

/** Nested garbage: objects (with prototype-pollution keys), arrays, superjson's special types. */
export const garbage: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: leaf },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 5 }) },
    {
      weight: 2,
      arbitrary: fc.dictionary(
        fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'json', 'meta')),
        tie('value'),
        { maxKeys: 5 },
      ),
    },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((a) => new Set(a)) },
    { weight: 1, arbitrary: fc.array(fc.tuple(leaf, tie('value')), { maxLength: 3 }).map((a) => new Map(a)) },
  ),
})).value;

type ZodDef = { type: string; [k: string]: unknown };
type ZodLike = { _zod?: { def: ZodDef } };

/** The fixture's ids and texts that make a schema-shaped input reach the services. */
export function fixturePool(w: World) {
  const ids = [
    w.exam.id,
    w.laterExam.id,
    w.roomA.id,
    w.roomB.id,
    ...Object.values(w.users).map((u) => u.id),
    w.sheetId,
    w.attachmentId,
    w.threadId,
    w.helpMessageId,
    w.cannedId,
    w.flagId,
    w.presetId,
    w.messageId,
    w.screenRecordingId,
    w.witnessRecordingId,
    w.importId,
  ];
  const texts = [w.users.candidate.idNumber!, w.users.support.username!, w.passwords.any, w.spareBindToken, 'video/webm', 'Hello'];
  return { ids, texts };
}

/** A value of roughly the schema's shape: right keys, plausible values, sometimes missing ones. */
export function shaped(schema: unknown, pool: ReturnType<typeof fixturePool>, depth = 0): fc.Arbitrary<unknown> {
  const def = (schema as ZodLike)?._zod?.def;
  if (!def || depth > 6) return garbage;
  const inner = (s: unknown) => shaped(s, pool, depth + 1);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return fc.oneof({ weight: 4, arbitrary: inner(def.innerType) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null) });
    case 'pipe':
      return inner(def.in);
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      return fc.record(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, inner(v)]))).chain((full) =>
        // Mostly whole; sometimes a key or two left out.
        fc
          .subarray(Object.keys(full), { minLength: Math.max(0, Object.keys(full).length - 2) })
          .map((keep) => Object.fromEntries(keep.map((k) => [k, (full as Record<string, unknown>)[k]]))),
      );
    }
    case 'enum':
      return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...Object.values(def.entries as Record<string, string>)) }, { weight: 1, arbitrary: anyString });
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'string':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...pool.texts) },
        { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
        { weight: 1, arbitrary: fc.uuid() },
        { weight: 2, arbitrary: anyString },
      );
    case 'number':
    case 'int':
      return fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...pool.ids) },
        { weight: 2, arbitrary: fc.integer({ min: -3, max: 200 }) },
        { weight: 2, arbitrary: anyNumber },
      );
    case 'boolean':
      return fc.boolean();
    case 'date':
      return fc.oneof(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01') }), fc.date({ noInvalidDate: false }));
    case 'array':
      return fc.array(inner(def.element), { maxLength: 4 });
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map(inner));
    default:
      return garbage;
  }
}

/** The schema's values, some of them with a field swapped for garbage, a key added or the whole thing replaced. */
export function inputsFor(schema: unknown, pool: ReturnType<typeof fixturePool>): fc.Arbitrary<unknown> {
  const base = schema ? shaped(schema, pool) : fc.constant(undefined);
  const mutated = fc
    .tuple(
      base,
      fc.array(
        fc.tuple(
          fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('examId', 'roomId', 'candidateId', 'threadId', 'id', '__proto__', 'constructor')),
          garbage,
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([value, edits]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return edits[0]![1];
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [k, v] of edits) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
      return out;
    });
  return fc.oneof(
    { weight: 5, arbitrary: base },
    { weight: 3, arbitrary: mutated },
    { weight: 2, arbitrary: garbage },
    { weight: 1, arbitrary: fc.array(base, { maxLength: 2 }) },
  );
}

/** JSON as a hand-written client would send it (no superjson): bigints as strings, sets and maps as arrays. */
export const plainJson = (v: unknown): string | undefined =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x instanceof Set || x instanceof Map ? [...x] : x));

/** A request body or query string that no tRPC client would send. */
export type RawRequest = { method: string; body?: string; query?: string; contentType?: string; batch?: boolean };

const deepJson = fc.integer({ min: 50, max: 5_000 }).map((n) => '['.repeat(n) + ']'.repeat(n));

export const rawRequests: fc.Arbitrary<RawRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  body: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '',
      '{',
      '{"json":',
      '{"json":1,"meta":{"values":["Date"]}}',
      '{"json":{"a":1},"meta":{"values":{"a":["bigint"]}}}',
      '{"json":"x","meta":{"values":[["custom","nope"]]}}',
      '{"json":{},"meta":{"referentialEqualities":{"a":["b"]}}}',
      '{"0":{"json":null}}',
      'null',
      '[]',
      '"\\uD800"',
      '{"json":{"__proto__":{"polluted":1}}}',
      '{"json":{"constructor":{"prototype":{"polluted":1}}}}',
    ),
    deepJson,
    deepJson.map((d) => `{"json":${d}}`),
    garbage.map((g) => plainJson({ json: g })),
    garbage.map((g) => plainJson(g) ?? ''),
  ),
  query: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 60 }).map((s) => `input=${s}`),
    fc.constantFrom(
      'input=%E0%A4%A',
      'input=%',
      'input={"json":',
      'input=%7B%22json%22%3A1%2C%22meta%22%3A%7B%22values%22%3A%5B%22Date%22%5D%7D%7D',
      'batch=1&input={"0":1}',
      'batch=1&input=[]',
      'batch=abc',
    ),
    deepJson.map((d) => `input=${encodeURIComponent(`{"json":${d}}`)}`),
  ),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
  ),
  batch: fc.boolean(),
});
