import path from 'node:path';
import { cookies } from 'next/headers';
import { getDb } from '@/server/db';
import { env } from '@/server/env';
import { LOCALE_COOKIE, toLocale } from '@/server/i18n/config';
import { SESSION_COOKIE, userFromSession } from '@/server/services/auth';
import { playbackResponse } from '@/server/services/recordings-playback';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A recording's chunks concatenated in order, for the staff of the candidate's room. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const jar = await cookies();
  return playbackResponse({
    db,
    dataDir: path.resolve(env.DATA_DIR),
    user: userFromSession({ db, token: jar.get(SESSION_COOKIE)?.value }),
    recordingId: (await params).id,
    range: req.headers.get('range'),
    locale: toLocale(jar.get(LOCALE_COOKIE)?.value),
  });
}
