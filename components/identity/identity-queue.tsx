'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/routers/_app';

type Entry = inferRouterOutputs<AppRouter>['face']['queue'][number];

/** New attempts show up within this; a candidate waits on the other side. */
const POLL_MS = 3000;

/** Waiting face logins, oldest first: the registered photo beside the frames, and two buttons. */
export function IdentityQueue() {
  const t = useTranslations('identityCheck');
  const queue = trpc.face.queue.useQuery(undefined, { refetchInterval: POLL_MS, refetchIntervalInBackground: true });
  if (!queue.data) return null;
  if (!queue.data.length) return <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-500">{t('empty')}</p>;
  return (
    <ul className="space-y-4">
      {queue.data.map((e) => (
        <AttemptCard key={e.id} entry={e} onDecided={() => void queue.refetch()} />
      ))}
    </ul>
  );
}

function AttemptCard({ entry, onDecided }: { entry: Entry; onDecided: () => void }) {
  const t = useTranslations('identityCheck');
  const errorText = useErrorText();
  const [note, setNote] = useState('');
  const decide = trpc.face.decide.useMutation({ onSuccess: onDecided, onError: onDecided });
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(entry.createdAt).getTime()) / 60_000));
  const fmt = (n: number | null) => (n == null ? '—' : n.toFixed(2));
  return (
    <li className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid={`identity-attempt-${entry.id}`}>
      <div className="mb-3 flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <span className="text-lg font-semibold">{entry.name}</span>
        <span className="font-mono text-sm text-slate-500">{entry.idNumber}</span>
        <span className="text-sm text-amber-700">{entry.reason && entry.reason in REASONS ? t(`reason.${entry.reason as keyof typeof REASONS}`) : null}</span>
        <span className="ml-auto text-sm text-slate-500">{t('waitingSince', { minutes })}</span>
      </div>
      <div className="flex flex-wrap gap-3">
        <figure className="w-44">
          <img
            src={`/api/face/references/${entry.candidateId}`}
            alt={t('reference')}
            className="aspect-[3/4] w-full rounded-md bg-slate-100 object-cover ring-2 ring-blue-300"
          />
          <figcaption className="mt-1 text-center text-xs font-medium text-blue-700">{t('reference')}</figcaption>
        </figure>
        {entry.frames.map((f) => (
          <figure key={f.idx} className="w-56">
            <img
              src={`/api/face/attempts/${entry.id}/frames/${f.idx}`}
              alt={t('frame', { n: f.idx + 1 })}
              className="aspect-[4/3] w-full rounded-md bg-slate-900 object-cover"
            />
            <figcaption className="mt-1 text-center text-xs text-slate-500">
              {t('frame', { n: f.idx + 1 })} · {f.similarity == null ? t('faces', { n: f.faces }) : fmt(f.similarity)}
            </figcaption>
          </figure>
        ))}
      </div>
      <p className="mt-3 text-sm text-slate-600">
        {entry.similarity == null ? t('noSimilarity') : t('similarity', { value: fmt(entry.similarity), threshold: fmt(entry.threshold) })}
        {entry.refusals > 0 && <span className="ml-3 text-red-600">{t('refusals', { n: entry.refusals })}</span>}
      </p>
      <div className="mt-3 flex flex-wrap items-end gap-2">
        <label className="min-w-64 flex-1 text-sm text-slate-700">
          {t('note')}
          <input
            value={note}
            maxLength={200}
            onChange={(e) => setNote(e.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:border-blue-500 focus:outline-none"
          />
        </label>
        <Button variant="danger" disabled={decide.isPending} onClick={() => decide.mutate({ attemptId: entry.id, approve: false, note: note || undefined })}>
          {t('refuse')}
        </Button>
        <Button disabled={decide.isPending} onClick={() => decide.mutate({ attemptId: entry.id, approve: true, note: note || undefined })}>
          {t('approve')}
        </Button>
      </div>
      {decide.error && (
        <div className="mt-2">
          <Alert>{errorText(decide.error)}</Alert>
        </div>
      )}
    </li>
  );
}

const REASONS = { belowThreshold: 1, liveness: 1, still: 1, fewFrames: 1 } as const;
