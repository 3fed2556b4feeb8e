'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { useTimelineLabel } from '@/components/grid/timeline-label';
import { ReferencePhoto } from '@/components/photos/reference-photo';
import { CONTEXT_REFRESH_MS } from '../constants';

type HelpContext = inferRouterOutputs<AppRouter>['help']['context'];
const FEEDS = ['screen_share', 'camera', 'microphone'] as const;

const LIVE_STYLE: Record<string, string> = {
  live: 'bg-green-600 text-white',
  reconnecting: 'bg-amber-500 text-white',
  left: 'bg-red-600 text-white',
  not_joined: 'bg-slate-500 text-white',
};

/** A clock this far off the server's is worth a word with the candidate (the exam runs on server time). */
const CLOCK_WARN_MS = 5_000;

/**
 * The right column: what the agent needs to know about the candidate without asking — exam,
 * room and seat, whether their feeds are live right now, the device and system checks (with the
 * clock offset), and what just happened in the room. Re-read on every event of the thread (the
 * desk invalidates it) and every few seconds besides, as feeds change without a help event.
 */
export function DeskContext({ threadId, canOpenRoom }: { threadId: number; canOpenRoom: boolean }) {
  const t = useTranslations('desk.context');
  const tg = useTranslations('grid');
  const tPhoto = useTranslations('adminPhotos.reference');
  const format = useFormatter();
  const errorText = useErrorText();
  const ctx = trpc.help.context.useQuery({ threadId }, { refetchInterval: CONTEXT_REFRESH_MS, refetchIntervalInBackground: false });
  const d = ctx.data;
  const time = (x: Date) => format.dateTime(x, 'timeSeconds');
  const when = (x: Date) => format.dateTime(x, 'dayTime');
  const trackLabel = (source: string) => (tg.has(`tracks.${source}`) ? tg(`tracks.${source}`) : source === 'witness' ? tg('witness') : source);
  // The grid's wording for the same items, so agents and invigilators read the same words.
  // Event types without wording (bookkeeping such as upload progress) are left out, not shown raw.
  const itemLabel = useTimelineLabel();

  const timeline = (d?.timeline ?? []).flatMap((i) => {
    const label = itemLabel(i);
    return label ? [{ id: i.id, at: i.at, label }] : [];
  });
  const offsetS = d?.systemCheck ? Math.round(d.systemCheck.clockOffsetMs / 100) / 10 : 0;

  return (
    <aside className="flex min-h-0 flex-col overflow-y-auto border-l border-slate-200 bg-white text-sm" aria-label={t('title')} data-testid="desk-context">
      <h2 className="sticky top-0 z-10 border-b border-slate-200 bg-white px-4 py-2 font-semibold text-slate-800">{t('title')}</h2>
      {ctx.error && <p className="px-4 py-3 text-red-600">{errorText(ctx.error)}</p>}
      {!d && !ctx.error && <p className="px-4 py-3 text-slate-400">{t('loading')}</p>}
      {d && (
        <div className="divide-y divide-slate-100">
          <Block title={t('candidate')}>
            <Row label={t('name')}>{d.candidate.name}</Row>
            <Row label={t('idNumber')}>
              <span className="font-mono">{d.candidate.idNumberMasked}</span>
            </Row>
            <Row label={t('phone')}>
              {d.candidate.phone ? (
                <a href={`tel:${d.candidate.phone}`} className="text-blue-700 hover:underline">
                  {d.candidate.phone}
                </a>
              ) : (
                '—'
              )}
            </Row>
            {/* The office's photo: is the person on the line (and on camera) the candidate? */}
            <Row label={tPhoto('label')}>
              <span className="block h-24 w-[4.5rem] overflow-hidden rounded border border-slate-200 bg-slate-50" data-testid="context-photo">
                <ReferencePhoto candidateId={d.candidate.id} name={d.candidate.name} />
              </span>
            </Row>
          </Block>

          <Block title={t('exam')}>
            {d.exam ? (
              <>
                <Row label={t('examName')}>{d.exam.name}</Row>
                <Row label={t('examTime')}>
                  {when(d.exam.startsAt)}–{format.dateTime(d.exam.endsAt, 'time')}
                </Row>
                <Row label={t('room')}>
                  {d.room ? (
                    canOpenRoom ? (
                      <Link href={`/rooms/${d.room.id}`} className="text-blue-700 hover:underline" target="_blank">
                        {d.room.name}
                      </Link>
                    ) : (
                      d.room.name
                    )
                  ) : (
                    '—'
                  )}
                  {d.seat != null && ` · ${t('seat', { seat: d.seat })}`}
                  {d.lotNumber != null && ` · ${t('lot', { lot: d.lotNumber })}`}
                </Row>
                <Row label={t('entry')}>
                  {d.registration?.finishedAt
                    ? t('finishedAt', { time: time(d.registration.finishedAt) })
                    : d.registration?.enteredAt
                      ? t('enteredAt', { time: time(d.registration.enteredAt) })
                      : t('notEntered')}
                </Row>
              </>
            ) : (
              <p className="text-slate-400">{t('noExam')}</p>
            )}
          </Block>

          <Block title={t('live')}>
            {d.live ? (
              <>
                <Device label={t('pc')} status={d.live.pc.status} since={d.live.pc.since} testId="context-live" />
                <ul className="flex flex-wrap gap-1.5 pl-[5.5rem]">
                  {FEEDS.map((source) => {
                    const on = d.live!.pc.tracks.includes(source);
                    // A missing feed alarms only while the computer is connected; otherwise it is expected.
                    const tone = on ? 'bg-green-50 text-green-700' : d.live!.pc.status === 'live' ? 'bg-red-50 text-red-700' : 'bg-slate-100 text-slate-500';
                    return (
                      <li key={source} data-testid={`context-feed-${source}`} data-on={on} className={`rounded px-1.5 py-0.5 text-xs ${tone}`}>
                        {trackLabel(source)} {on ? '✓' : '✗'}
                      </li>
                    );
                  })}
                </ul>
                <Device label={tg('witness')} status={d.live.phone.status} since={d.live.phone.since} testId="context-phone" />
                {d.live.openFlags.length > 0 && <Row label={t('flags')}>{t('openFlags', { count: d.live.openFlags.length })}</Row>}
              </>
            ) : (
              <p className="text-slate-400">{t('noLive')}</p>
            )}
          </Block>

          <Block title={t('checks')}>
            {d.deviceCheck ? (
              <Row label={t('deviceCheck')}>
                <span className={d.deviceCheck.passed ? 'text-green-700' : 'font-medium text-red-700'} data-testid="context-device-check">
                  {d.deviceCheck.passed ? t('passed') : t('failed')}
                </span>
                <span className="block text-xs text-slate-500">
                  {d.deviceCheck.camera} · {d.deviceCheck.microphone} · {when(d.deviceCheck.createdAt)}
                </span>
              </Row>
            ) : (
              <Row label={t('deviceCheck')}>
                <span className="text-slate-400">{t('none')}</span>
              </Row>
            )}
            {d.systemCheck ? (
              <>
                <Row label={t('clockOffset')}>
                  <span data-testid="context-clock" className={Math.abs(d.systemCheck.clockOffsetMs) >= CLOCK_WARN_MS ? 'font-medium text-amber-700' : ''}>
                    {t('seconds', { s: (offsetS > 0 ? '+' : '') + (offsetS === 0 ? 0 : offsetS).toFixed(1) })}
                  </span>
                  <span className="text-xs text-slate-500"> · RTT {d.systemCheck.roundTripMs} ms</span>
                </Row>
                <Row label={t('system')}>
                  <span className="text-xs">
                    {t(`displays.${d.systemCheck.displays === 'extended' ? 'extended' : 'single'}`)} ·{' '}
                    {d.systemCheck.mediaSupported ? t('mediaOk') : t('mediaMissing')} · v{d.systemCheck.appVersion}
                  </span>
                  <span className="block truncate text-[11px] text-slate-400" title={d.systemCheck.userAgent}>
                    {d.systemCheck.userAgent}
                  </span>
                </Row>
              </>
            ) : (
              <Row label={t('systemCheck')}>
                <span className="text-slate-400">{t('none')}</span>
              </Row>
            )}
          </Block>

          <Block title={t('timeline')}>
            {timeline.length === 0 ? (
              <p className="text-slate-400">{t('noEvents')}</p>
            ) : (
              <ol className="space-y-1" data-testid="context-timeline">
                {timeline.map((e) => (
                  <li key={e.id} className="flex gap-2 text-xs">
                    <span className="shrink-0 tabular-nums text-slate-400">{time(e.at)}</span>
                    <span className="text-slate-700">{e.label}</span>
                  </li>
                ))}
              </ol>
            )}
          </Block>
        </div>
      )}
    </aside>
  );
}

function Block({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-1 px-4 py-3">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
      {children}
    </section>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[5.5rem_1fr] gap-2">
      <span className="text-slate-500">{label}</span>
      <span className="min-w-0 break-words">{children}</span>
    </div>
  );
}

function Device({ label, status, since, testId }: { label: string; status: string; since: number | null; testId: string }) {
  const t = useTranslations('desk.context');
  const tg = useTranslations('grid');
  const format = useFormatter();
  return (
    <div className="grid grid-cols-[5.5rem_1fr] items-center gap-2" data-testid={testId} data-status={status}>
      <span className="text-slate-500">{label}</span>
      <span className="flex items-center gap-2">
        <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${LIVE_STYLE[status] ?? 'bg-slate-500 text-white'}`}>{tg(`status.${status}`)}</span>
        {since != null && <span className="text-xs text-slate-500">{t('since', { time: format.dateTime(new Date(since), 'timeSeconds') })}</span>}
      </span>
    </div>
  );
}
