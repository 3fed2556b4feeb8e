import path from 'node:path';
import { authFromRequest } from '@/server/auth/caller';
import { getDb } from '@/server/db';
import { requestLocale } from '@/server/http';
import { env } from '@/server/env';
import { playbackResponse } from '@/server/http/recordings-playback';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A recording's chunks concatenated in order, for the staff of the candidate's room. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  return playbackResponse({
    db,
    dataDir: path.resolve(env.DATA_DIR),
    caller: authFromRequest(req, db).user,
    recordingId: (await params).id,
    range: req.headers.get('range'),
    locale: requestLocale(req),
  });
}
