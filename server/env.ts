import path from 'node:path';
import { z } from 'zod';

/**
 * The one place that reads process.env. Defaults suit the embedded one-machine setup
 * (SFU on loopback, SQLite under .data/); production sets LIVEKIT_* and SESSION_SECRET-like
 * values explicitly.
 */
const ZEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_PATH: z.string().min(1).default(path.join(process.cwd(), '.data', 'app.db')),
  APP_PORT: z.coerce.number().int().positive().default(3000),
  /** Where LiveKit delivers webhooks; the launcher writes it into the SFU config. */
  APP_URL: z.string().url().optional(),
  /** Set to use an external LiveKit; when unset the project's own SFU is launched on loopback. */
  LIVEKIT_URL: z.string().url().optional(),
  LIVEKIT_API_KEY: z.string().min(3).default('devkey'),
  LIVEKIT_API_SECRET: z
    .string()
    .min(32, 'LIVEKIT_API_SECRET must be at least 32 characters')
    .default('dev-secret-change-me-0123456789abcdef'),
  SFU_PORT: z.coerce.number().int().positive().default(7880),
  SFU_TCP_PORT: z.coerce.number().int().positive().default(7881),
  SFU_UDP_PORT: z.coerce.number().int().positive().default(7882),
  /** Lifetime of minted LiveKit tokens. The SFU refreshes tokens of connected clients itself. */
  LIVEKIT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  SESSION_TTL_HOURS: z.coerce.number().int().positive().default(12),
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  LOGIN_LOCK_MINUTES: z.coerce.number().int().positive().default(15),
  /** A feed LiveKit sees lost (reload, short drop) is flagged only if still lost after this. */
  AUTO_FLAG_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(15),
  /**
   * Redis for the event bus (redis://host:port). Set it when several app processes share one
   * database, so each delivers the others' events; unset (or empty), events stay in the process.
   */
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** Data folder for files written at run time (recordings, unfinished uploads). */
  DATA_DIR: z.string().min(1).default(path.join(process.cwd(), '.data')),
  /** Largest recording chunk the upload endpoint accepts (a few seconds of video fit easily). */
  MAX_CHUNK_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  /**
   * Recording bytes one candidate may store per exam, all tracks together. The recorders' bit
   * rates (about 2.2 Mbit/s for screen, camera and phone) fill 4 GiB in about four hours.
   */
  RECORDING_QUOTA_BYTES: z.coerce.number().int().positive().default(4 * 1024 ** 3),
  /** Shown in the candidate's support centre. */
  SUPPORT_PHONE: z.string().min(1).default('400-800-1234'),
  SUPPORT_QQ: z.string().min(1).default('800012345'),
  SUPPORT_EMAIL: z.string().email().default('support@example.com'),
  SUPPORT_HOURS: z.string().min(1).default('07:30-21:00'),
});

export type Env = z.infer<typeof ZEnv>;

function loadEnv(): Env {
  const parsed = ZEnv.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export const env = loadEnv();

export const livekitUrl = () => env.LIVEKIT_URL ?? `ws://127.0.0.1:${env.SFU_PORT}`;
export const appUrl = () => env.APP_URL ?? `http://127.0.0.1:${env.APP_PORT}`;
