'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';

type Item = {
  id: string;
  at: Date;
  kind: 'event' | 'flag' | 'message' | 'action';
  type: string;
  text?: string;
  by?: string;
  device?: 'pc' | 'phone';
  source?: string;
  flagType?: string;
  messageId?: number;
  detail?: Record<string, unknown>;
};

const KIND_DOT: Record<Item['kind'], string> = {
  event: 'bg-slate-400',
  flag: 'bg-amber-500',
  message: 'bg-blue-500',
  action: 'bg-red-500',
};

/**
 * One candidate's merged timeline, newest first. The page refetches it when an event about
 * this candidate arrives, so an acknowledgement shows up as it happens.
 */
export function CandidateTimeline({ roomId, candidateId }: { roomId: number; candidateId: number }) {
  const t = useTranslations('grid');
  const tf = useTranslations('flags');
  const format = useFormatter();
  const errorText = useErrorText();
  const [awaitingAck, setAwaitingAck] = useState(false);
  // Events refetch this at once; while a message waits for its acknowledgement, a slow poll
  // as well, so a missed event cannot leave "awaiting" on screen for good.
  const timeline = trpc.invigilate.timeline.useQuery(
    { roomId, candidateId, limit: 200 },
    { staleTime: Infinity, refetchOnWindowFocus: false, refetchInterval: awaitingAck ? 10_000 : false },
  );
  const items = (timeline.data ?? []) as Item[];
  const acked = new Map(items.filter((i) => i.kind === 'message' && i.type === 'acknowledged').map((i) => [i.messageId, i.at]));
  const pending = items.some((i) => i.kind === 'message' && i.type === 'sent' && !acked.has(i.messageId));
  useEffect(() => setAwaitingAck(pending), [pending]);

  const label = (i: Item): string => {
    switch (i.kind) {
      case 'event': {
        const key = `timeline.event.${i.type}`;
        const base = t.has(key) ? t(key) : i.type;
        const source = i.source && t.has(`timeline.source.${i.source}`) ? t(`timeline.source.${i.source}`) : i.source;
        const device = i.device === 'phone' ? t('timeline.phone') : '';
        return [device, base, source ? `（${source}）` : ''].join('');
      }
      case 'flag': {
        const type = i.flagType && tf.has(`type.${i.flagType}`) ? tf(`type.${i.flagType}`) : (i.flagType ?? '');
        return t(`timeline.flag.${i.type === 'raised' ? 'raised' : i.type === 'confirmed' ? 'confirmed' : 'dismissed'}`, { type });
      }
      case 'message':
        return i.type === 'acknowledged' ? t('timeline.messageAcknowledged') : t('timeline.messageSent');
      case 'action': {
        if (i.type === 'time.added') return t('timeline.timeAdded', { m: Number(i.detail?.minutes ?? 0) });
        if (i.type === 'exam.ended') return t('timeline.examEnded');
        return i.type;
      }
    }
  };

  const time = (d: Date) => format.dateTime(d, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  return (
    <section className="flex min-h-0 flex-1 flex-col" data-testid="focus-timeline">
      <h3 className="shrink-0 px-4 pb-1 pt-3 text-sm font-semibold text-slate-700">{t('timeline.title')}</h3>
      {timeline.error && (
        <div className="px-4">
          <Alert>{errorText(timeline.error)}</Alert>
        </div>
      )}
      <ol className="min-h-0 flex-1 space-y-1.5 overflow-y-auto px-4 pb-4 text-sm">
        {items.map((i) => {
          const ackAt = i.kind === 'message' && i.type === 'sent' ? acked.get(i.messageId) : undefined;
          return (
            <li key={i.id} className="flex gap-2" data-testid={`timeline-${i.id}`} data-kind={i.kind} data-type={i.type}>
              <span className="w-16 shrink-0 pt-0.5 text-xs tabular-nums text-slate-400">{time(i.at)}</span>
              <span className={`mt-1.5 h-2 w-2 shrink-0 rounded-full ${KIND_DOT[i.kind]}`} aria-hidden />
              <div className="min-w-0 flex-1">
                <p className="text-slate-800">
                  {label(i)}
                  {i.by && <span className="ml-1 text-xs text-slate-400">· {i.by}</span>}
                </p>
                {i.text && <p className="break-words text-xs text-slate-500">{i.text}</p>}
                {i.kind === 'message' && i.type === 'sent' && (
                  <p
                    className={`text-xs ${ackAt ? 'text-green-700' : 'text-amber-700'}`}
                    data-testid={`ack-${i.messageId}`}
                    data-acknowledged={ackAt ? 'true' : 'false'}
                  >
                    {ackAt ? t('timeline.ackAt', { time: time(ackAt) }) : t('timeline.ackPending')}
                  </p>
                )}
              </div>
            </li>
          );
        })}
        {timeline.data && items.length === 0 && <li className="text-slate-400">{t('timeline.empty')}</li>}
      </ol>
    </section>
  );
}
