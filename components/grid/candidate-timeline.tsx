'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import type { TimelineItem } from '@/server/services/invigilate';
import { ackStates } from './timeline-acks';
import { useTimelineLabel } from './timeline-label';

type Item = TimelineItem;

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
  const format = useFormatter();
  const errorText = useErrorText();
  const [awaitingAck, setAwaitingAck] = useState(false);
  // Events refetch this at once; while a message waits for its acknowledgement, a slow poll
  // as well, so a missed event cannot leave "awaiting" on screen for good.
  const timeline = trpc.invigilate.timeline.useQuery(
    { roomId, candidateId, limit: 200 },
    { staleTime: Infinity, refetchOnWindowFocus: false, refetchInterval: awaitingAck ? 10_000 : false },
  );
  const items: Item[] = timeline.data ?? [];
  const { acks, pending } = ackStates(items);
  useEffect(() => setAwaitingAck(pending), [pending]);

  const labelOf = useTimelineLabel();
  // An event type without wording shows as its raw type here, for the invigilator.
  const label = (i: Item) => labelOf(i) ?? i.type;

  const time = (d: Date) => format.dateTime(d, 'timeSeconds');

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
          const ackAt = i.kind === 'message' && i.type === 'sent' && i.messageId != null ? acks.get(i.messageId) : undefined;
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
                {ackAt !== undefined && (
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
