'use client';

import { VideoTrack } from '@livekit/components-react';
import { ConnectionState, Track } from 'livekit-client';
import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { LanguageSwitcher } from '@/components/ui/language-switcher';
import { useErrorText } from '@/components/ui/use-error-text';
import { PUBLISHED_SOURCES, useExamPublisher, type PublishedSource } from './use-exam-publisher';

const SOURCE_LABEL: Record<PublishedSource, 'screen' | 'camera' | 'microphone'> = {
  screen_share: 'screen',
  camera: 'camera',
  microphone: 'microphone',
};

export function ExamRoom({ examId }: { examId: number }) {
  const t = useTranslations('examRoom');
  const format = useFormatter();
  const errorText = useErrorText();
  const { enter, room, connection, sources, publishing, retry, publication } = useExamPublisher(examId);
  const exam = enter.data?.exam;

  if (enter.error) {
    return (
      <main className="mx-auto max-w-xl space-y-4 px-4 py-16">
        <Alert>{errorText(enter.error)}</Alert>
        <Link href="/exams" className="text-sm text-blue-700 underline">
          {t('backToExams')}
        </Link>
      </main>
    );
  }

  const trackRef = (source: PublishedSource) => {
    const pub = publication(source);
    return room && pub?.track
      ? { participant: room.localParticipant, publication: pub, source: pub.source as Track.Source }
      : null;
  };
  const screen = trackRef('screen_share');
  const camera = trackRef('camera');
  const missing = PUBLISHED_SOURCES.filter((s) => !sources[s].on);
  const connectionText =
    connection === ConnectionState.Connected
      ? t('connected')
      : connection === ConnectionState.Reconnecting || connection === ConnectionState.SignalReconnecting
        ? t('reconnecting')
        : connection === ConnectionState.Disconnected && room
          ? t('disconnected')
          : t('connecting');

  return (
    <div className="flex min-h-screen flex-col bg-slate-900 text-slate-100">
      <header className="flex h-12 items-center gap-4 border-b border-slate-700 px-4">
        <span className="font-semibold">{exam?.title ?? t('title')}</span>
        {exam && (
          <span className="text-sm text-slate-400">
            {t('seatInfo', { room: exam.roomName, seat: exam.seat })} ·{' '}
            {t('startsAt', { time: format.dateTime(exam.startsAt, { hour: '2-digit', minute: '2-digit' }) })}
          </span>
        )}
        <span
          data-testid="connection-state"
          data-state={connection}
          className={`ml-auto text-sm ${connection === ConnectionState.Connected ? 'text-green-400' : 'text-amber-300'}`}
        >
          {connectionText}
        </span>
        <LanguageSwitcher />
      </header>
      <main className="grid flex-1 gap-4 p-4 lg:grid-cols-[1fr_320px]">
        <section className="flex flex-col gap-2">
          <h2 className="text-sm text-slate-400">{t('sharing')}</h2>
          <div className="relative aspect-video w-full overflow-hidden rounded-lg bg-black">
            {screen && <VideoTrack trackRef={screen} data-testid="local-screen" className="h-full w-full object-contain" />}
          </div>
        </section>
        <aside className="flex flex-col gap-3">
          <div className="aspect-[4/3] overflow-hidden rounded-lg bg-black">
            {camera && (
              <VideoTrack trackRef={camera} data-testid="local-camera" className="h-full w-full -scale-x-100 object-cover" />
            )}
          </div>
          <ul className="space-y-1.5 rounded-lg bg-slate-800 p-3 text-sm">
            {PUBLISHED_SOURCES.map((s) => (
              <li key={s} className="flex items-center justify-between" data-testid={`source-${s}`} data-on={sources[s].on}>
                <span>{t(SOURCE_LABEL[s])}</span>
                <span className={sources[s].on ? 'text-green-400' : 'text-red-400'}>{sources[s].on ? t('on') : t('off')}</span>
              </li>
            ))}
          </ul>
          {PUBLISHED_SOURCES.filter((s) => sources[s].error).map((s) => (
            <Alert key={s}>{t('shareFailed', { what: t(SOURCE_LABEL[s]), reason: sources[s].error ?? '' })}</Alert>
          ))}
          {room && connection === ConnectionState.Connected && !publishing && missing.length > 0 && (
            <>
              {missing.includes('screen_share') && <Alert tone="warning">{t('shareWholeScreen')}</Alert>}
              <Button onClick={retry}>{t('startSharing')}</Button>
            </>
          )}
          <Link href="/exams" className="mt-auto text-xs text-slate-500 hover:text-slate-300">
            {t('backToExams')}
          </Link>
        </aside>
      </main>
    </div>
  );
}
