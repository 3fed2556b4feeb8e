import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { FACE_MODEL_NAMES, FACE_MODELS_DEFAULT, type FaceModels } from './face/human-config';

/** The secret once shipped in .env.example and as the default here: public, so never accepted. */
export const PUBLIC_EXAMPLE_SECRETS: readonly string[] = ['dev-secret-change-me-0123456789abcdef'];

/** An IPv4/IPv6 address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
const isAddressOrBlock = (s: string) => {
  const [ip, bits, ...rest] = s.split('/');
  const family = net.isIP(ip ?? '');
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
};

const blankToUndefined = (v: unknown) => (typeof v === 'string' && !v.trim() ? undefined : v);
/** Free text an operator may leave unset (or empty), trimmed and bounded. */
const optionalText = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max).optional());

/**
 * The candidates' hotline (server/hotline.ts), on the login page, the phone page, Help and every
 * message that says to call. Each is optional, with no default, so an installation never shows a
 * made-up number; where none is set, candidates are told to ask their exam office. `npm run dev`
 * and `npm run demo` fill in demo values when all four are unset.
 */
export const ZHotlineEnv = z.object({
  SUPPORT_PHONE: optionalText(32).refine((s) => s === undefined || /^\+?[0-9][0-9 ()-]{2,31}$/.test(s), 'SUPPORT_PHONE: digits, spaces, ( ) and -'),
  SUPPORT_HOURS: optionalText(64),
  SUPPORT_QQ: optionalText(12).refine((s) => s === undefined || /^[1-9][0-9]{4,11}$/.test(s), 'SUPPORT_QQ: a QQ number (5 to 12 digits)'),
  SUPPORT_EMAIL: z.preprocess(blankToUndefined, z.string().trim().max(254).email().optional()),
});

/**
 * The one place that reads process.env. Defaults suit the embedded one-machine setup
 * (SFU on loopback, SQLite under .data/); production sets LIVEKIT_* and SESSION_SECRET-like
 * values explicitly.
 */
const ZEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_PATH: z
    .string()
    .min(1)
    .default(path.join(process.cwd(), '.data', 'app.db')),
  APP_PORT: z.coerce.number().int().positive().default(3000),
  /** Where LiveKit delivers webhooks; the launcher writes it into the SFU config. */
  APP_URL: z.string().url().optional(),
  /** Set to use an external LiveKit; when unset the project's own SFU is launched on loopback. */
  LIVEKIT_URL: z.string().url().optional(),
  /**
   * Several LiveKit nodes of one deployment (LiveKit's distributed mode), comma-separated:
   * `ws(s)://...` or `name=ws(s)://...`. A node's name is its `region` in its livekit.yaml
   * (that is how the app recognises it in LiveKit's node list); unnamed entries are `sfu-1`,
   * `sfu-2`, ... in order. Clients get the list, the node hosting their room first. With one
   * entry it is the same as LIVEKIT_URL; LIVEKIT_URL, when set, wins.
   */
  LIVEKIT_URLS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .transform((s, ctx) => {
        try {
          return parseLivekitUrls(s);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
  ),
  /**
   * The Redis the LiveKit nodes share (their `redis:` block). The app reads LiveKit's node list
   * and room map from it to place each exam room on a live node, the least busy one, before it
   * hands out a token. Only used with two or more LIVEKIT_URLS; defaults to REDIS_URL, the
   * event bus's Redis (LiveKit's keys, `nodes` and `room_node_map`, do not collide with the bus's
   * `exam:` channels). Without either, clients still get every node's URL but rooms go where
   * LiveKit puts them.
   */
  LIVEKIT_REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  LIVEKIT_API_KEY: z.string().min(3).default('devkey'),
  /**
   * Unset on a one-machine dev/demo setup: a random secret is made once and kept in DATA_DIR.
   * Required in production and with an external LiveKit; the old public example is refused.
   */
  LIVEKIT_API_SECRET: z
    .string()
    .min(32, 'LIVEKIT_API_SECRET must be at least 32 characters')
    .refine((s) => !PUBLIC_EXAMPLE_SECRETS.includes(s), 'LIVEKIT_API_SECRET is the public example value; set a secret of your own')
    .optional(),
  SFU_PORT: z.coerce.number().int().positive().default(7880),
  SFU_TCP_PORT: z.coerce.number().int().positive().default(7881),
  SFU_UDP_PORT: z.coerce.number().int().positive().default(7882),
  /** livekit-server's own Prometheus endpoint in the launched SFU's config (loopback, `/metrics`). */
  SFU_PROMETHEUS_PORT: z.coerce.number().int().positive().default(6789),
  /**
   * UDP port on which each app process answers the exam pages' network probe
   * (server/network-probe.ts: how a page notices at once that a silent outage is over); 0, the
   * default, turns it off. Candidates must reach it, like the SFU's UDP port.
   */
  NETWORK_PROBE_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** The address the probe responder binds. */
  NETWORK_PROBE_BIND: z.string().min(1).default('0.0.0.0'),
  /** The host pages send probes to, when it is not the one they loaded the app from (a proxy that carries no UDP). */
  NETWORK_PROBE_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  /** Lifetime of minted LiveKit tokens. The SFU refreshes tokens of connected clients itself. */
  LIVEKIT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  SESSION_TTL_HOURS: z.coerce.number().int().positive().default(12),
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  LOGIN_LOCK_MINUTES: z.coerce.number().int().positive().default(15),
  /** Past LOGIN_MAX_FAILURES, an account waits 2 s, 4 s, 8 s… between tries, never longer than this. */
  LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().positive().max(3600).default(60),
  /** Failed logins (any accounts) one client address may make per LOGIN_LOCK_MINUTES before it is locked out. */
  LOGIN_CLIENT_MAX_FAILURES: z.coerce.number().int().positive().default(30),
  /**
   * Reverse proxies in front of the app whose X-Forwarded-For is believed (comma-separated IPs or
   * CIDR blocks). Empty: no proxy; see server/auth/client-address.ts.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isAddressOrBlock), 'TRUSTED_PROXIES: comma-separated IP addresses or CIDR blocks'),
  /** A feed LiveKit sees lost (reload, short drop) is flagged only if still lost after this. */
  AUTO_FLAG_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(15),
  /**
   * Many feeds of one room lost together are one incident, not a flag each (a school's network
   * down, the SFU gone): at least this many sitting candidates, and at least INCIDENT_MIN_SHARE of
   * the room's registered candidates, lost within INCIDENT_WINDOW_SECONDS of LiveKit's time.
   * See server/services/feed-incidents.ts for why these values.
   */
  INCIDENT_MIN_CANDIDATES: z.coerce.number().int().min(2).max(1000).default(5),
  INCIDENT_MIN_SHARE: z.coerce.number().min(0).max(1).default(0.2),
  INCIDENT_WINDOW_SECONDS: z.coerce.number().min(1).max(120).default(10),
  /** An incident clears when all its candidates are back, or this long after it started. */
  INCIDENT_TIMEOUT_SECONDS: z.coerce.number().min(5).max(3600).default(120),
  /**
   * Redis for the event bus (redis://host:port). Set it when several app processes share one
   * database, so each delivers the others' events; unset (or empty), events stay in the process.
   */
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /**
   * Bearer token for GET /api/metrics (Prometheus: `authorization: { credentials: … }`). Unset
   * (or empty): metrics are served only to clients on this machine (loopback), as the client
   * address is read in server/auth/client-address.ts. /api/health and /api/ready need none.
   */
  METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional()),
  /** Data folder for files written at run time (recordings, unfinished uploads). */
  DATA_DIR: z.string().min(1).default(path.join(process.cwd(), '.data')),
  /** Largest recording chunk the upload endpoint accepts (a few seconds of video fit easily). */
  MAX_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /**
   * Recording bytes one candidate may store per exam, all tracks together. The recorders' bit
   * rates (about 2.2 Mbit/s for screen, camera and phone) fill 4 GiB in about four hours.
   */
  RECORDING_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 ** 3),
  /**
   * Face models switched on (comma-separated, of detector, mesh, description, antispoof,
   * liveness, object; README "Face models" gives each one's source and licence). An empty list
   * switches face login and face signals off. Face login needs detector and description.
   */
  FACE_MODELS: z
    .string()
    .default(FACE_MODELS_DEFAULT)
    .transform((s, ctx) => {
      const names = s
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const bad = names.filter((n) => !(FACE_MODEL_NAMES as readonly string[]).includes(n));
      if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown face model(s): ${bad.join(', ')}; known: ${FACE_MODEL_NAMES.join(', ')}` });
      return Object.fromEntries(FACE_MODEL_NAMES.map((n) => [n, names.includes(n)])) as FaceModels;
    }),
  /**
   * The similarity (cosine of the descriptors, -1..1) at or above which a face login matches the
   * reference photo. Chosen from `npm run face:report` (README); below it the attempt waits for a
   * person in the identity check queue.
   */
  FACE_MATCH_THRESHOLD: z.coerce.number().min(-1).max(1).default(0.7),
  /**
   * In the exam, the identity signal's threshold: lower than FACE_MATCH_THRESHOLD, because a
   * two-hour exam sees the candidate from every angle and a false alarm costs an invigilator's
   * attention; three checks in a row below it raise the signal.
   */
  FACE_DRIFT_THRESHOLD: z.coerce.number().min(-1).max(1).default(0.45),
  /** The exam page's face check interval (ms); it stretches on its own when the machine is busy. */
  FACE_CHECK_INTERVAL_MS: z.coerce.number().int().min(500).max(60_000).default(2000),
  /** No face for this long raises "no face". */
  FACE_MISSING_SECONDS: z.coerce.number().int().min(2).max(600).default(10),
  /** Looking away (head turned or bowed) for this long raises "looking away". */
  FACE_AWAY_SECONDS: z.coerce.number().int().min(2).max(600).default(8),
  /**
   * Face analyses one app process queues before it answers "busy, try again": each takes ~0.2 s
   * of one core (a login sends three), so 60 is a wait of about 12 s at worst.
   */
  FACE_QUEUE_MAX: z.coerce.number().int().positive().max(1000).default(60),
  ...ZHotlineEnv.shape,
});

export type LivekitNode = { name: string; url: string };

/** `ws://a:7880,sfu-2=ws://b:7880` -> named nodes (see LIVEKIT_URLS). Throws on a bad entry. */
export function parseLivekitUrls(list: string): LivekitNode[] {
  const nodes = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const named = /^([A-Za-z0-9_.-]{1,64})=(.+)$/.exec(entry);
      const [name, url] = named ? [named[1]!, named[2]!] : [`sfu-${i + 1}`, entry];
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw new Error(`LIVEKIT_URLS: "${entry}" is not a URL`);
      }
      if (!['ws:', 'wss:', 'http:', 'https:'].includes(protocol)) throw new Error(`LIVEKIT_URLS: "${entry}" is not a ws(s):// URL`);
      return { name, url: url.replace(/^http/, 'ws') };
    });
  if (!nodes.length) throw new Error('LIVEKIT_URLS: no URL given');
  if (new Set(nodes.map((n) => n.name)).size !== nodes.length) throw new Error('LIVEKIT_URLS: two nodes have the same name');
  return nodes;
}

export type Env = Omit<z.infer<typeof ZEnv>, 'LIVEKIT_API_SECRET'> & { LIVEKIT_API_SECRET: string };

/** Where a dev/demo installation keeps the LiveKit secret it made itself. */
export const livekitSecretFile = (dataDir: string) => path.join(dataDir, 'livekit-secret');

/**
 * The LiveKit API secret: the one given, or for a one-machine dev/demo setup a random one made
 * on first run and kept in the data folder, so the SFU (configured by the launcher) and the app
 * agree across restarts. Production (and an external LiveKit, whose secret we cannot make up)
 * must give one.
 */
export function resolveLivekitSecret(o: { given: string | undefined; production: boolean; dataDir: string }): string {
  if (o.given) return o.given;
  if (o.production) throw new Error('LIVEKIT_API_SECRET must be set in production and with an external LIVEKIT_URL (at least 32 random characters)');
  const file = livekitSecretFile(o.dataDir);
  fs.mkdirSync(o.dataDir, { recursive: true });
  try {
    // 'wx': of two processes starting together, one writes and both read the same secret.
    fs.writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < 32 || PUBLIC_EXAMPLE_SECRETS.includes(secret))
    throw new Error(`${file} does not hold a usable LiveKit secret; delete it to make a new one`);
  return secret;
}

function loadEnv(): Env {
  const parsed = ZEnv.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production' || !!e.LIVEKIT_URL || !!e.LIVEKIT_URLS;
  return { ...e, LIVEKIT_API_SECRET: resolveLivekitSecret({ given: e.LIVEKIT_API_SECRET, production, dataDir: e.DATA_DIR }) };
}

export const env = loadEnv();

export const livekitUrl = () => env.LIVEKIT_URL ?? env.LIVEKIT_URLS?.[0]?.url ?? `ws://127.0.0.1:${env.SFU_PORT}`;

/** Every LiveKit node the app may send clients to, by name; one unless LIVEKIT_URLS lists several. */
export const livekitNodes = (): LivekitNode[] =>
  env.LIVEKIT_URL ? [{ name: 'sfu-1', url: env.LIVEKIT_URL }] : (env.LIVEKIT_URLS ?? [{ name: 'sfu-1', url: livekitUrl() }]);

/** Where the app reads LiveKit's node list and room map (distributed mode only). */
export const livekitRedisUrl = () => env.LIVEKIT_REDIS_URL ?? env.REDIS_URL;
export const appUrl = () => env.APP_URL ?? `http://127.0.0.1:${env.APP_PORT}`;
