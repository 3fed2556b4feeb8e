import { z } from 'zod';
import type { Db } from '@/db/client';
import { authFromRequest } from '../auth/caller';
import { AppError } from '../errors';
import type { EventBus } from '../events/bus';
import { SSE_HEADERS } from '../events/sse';
import { HTTP_STATUS_OF, requestLocale } from '../http';
import { serverTranslator } from '../i18n/messages';
import { openLiveConnection, type TopicRequest } from '../live/connection';
import { parseTopic } from '../live/topics';
import { CURSORS_HEADER, MAX_TOPICS, type LiveTopic } from '../live/types';
import { userFromSession } from '../services/auth';

const ZTopics = z
  .string()
  .max(400)
  .transform((raw, ctx) => {
    const names = [...new Set(raw.split(',').filter(Boolean))];
    const parsed = names.map(parseTopic);
    if (!names.length || names.length > MAX_TOPICS || parsed.some((p) => p == null)) {
      ctx.addIssue({ code: 'custom', message: 'live.badTopics' });
      return z.NEVER;
    }
    return parsed as NonNullable<ReturnType<typeof parseTopic>>[];
  });

/** `topic=id,topic=id`: each a topic's last id seen. Bounded in size; ids are safe integers. */
const ZCursors = z
  .string()
  .max(1000)
  .transform((raw, ctx) => {
    const out = new Map<string, number>();
    for (const pair of raw.split(',').filter(Boolean)) {
      const m = /^([a-z]+(?::\d{1,10})?)=(\d{1,15})$/.exec(pair.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'live.badCursor' });
        return z.NEVER;
      }
      out.set(m[1]!, Number(m[2]));
    }
    return out;
  });

/**
 * `GET /api/live?topics=a,b,c` with the cursors in `Last-Event-ID`: the tab's one live
 * connection (server/live/connection.ts). Refusals a user can cause come back as JSON with a
 * translated message: 401 without a session, 400 for topics or cursors that do not parse. A
 * topic the caller may not open is refused inside the stream, so the page's other topics run.
 */
export function liveResponse({ req, db, bus }: { req: Request; db: Db; bus: EventBus }): Response {
  const locale = requestLocale(req);
  const t = serverTranslator(locale);
  const refuse = (err: AppError) =>
    Response.json(
      { error: err.key, message: t(`errors.${err.key}` as 'errors.internal', err.params) },
      { status: HTTP_STATUS_OF[err.code], headers: { 'cache-control': 'no-store' } },
    );

  const auth = authFromRequest(req, db);
  const caller = auth.user;
  if (!caller) return refuse(new AppError('UNAUTHORIZED', 'auth.required'));

  const topics = ZTopics.safeParse(new URL(req.url).searchParams.get('topics') ?? '');
  if (!topics.success) return refuse(new AppError('BAD_REQUEST', 'live.badTopics'));
  const cursors = ZCursors.safeParse(req.headers.get(CURSORS_HEADER) ?? '');
  if (!cursors.success) return refuse(new AppError('BAD_REQUEST', 'live.badCursor'));

  const requests: TopicRequest[] = topics.data.map((p) => ({ ...p, after: cursors.data.get(p.topic) ?? null }));
  const stream = openLiveConnection({
    ctx: { db, bus, caller },
    topics: requests,
    signal: req.signal,
    // The session must stay the same account, in the same role, for as long as the stream runs.
    stillSignedIn: () => {
      const now = userFromSession({ db, token: auth.sessionToken });
      return !!now && now.id === caller.id && now.role === caller.role;
    },
    describe: (topic: LiveTopic, err: AppError) => ({
      topic,
      code: err.code,
      key: err.key,
      message: t(`errors.${err.key}` as 'errors.internal', err.params),
    }),
  });
  return new Response(stream, { headers: SSE_HEADERS });
}
