'use client';

import { useTranslations } from 'next-intl';
import { useEffect } from 'react';
import { trpc } from '@/components/providers/trpc';
import { formatMb as mb, summariseTracks } from './ledger-summary';
import { uploadPhase } from './upload-queue';
import { UploadProgress } from './upload-progress';
import { candidateOwner, useUploadBacklog } from './use-upload-backlog';

/** The recordings section of an exam on "My exams": each track's upload state, from the server's ledger. */
export function ExamRecordings({ examId }: { examId: number }) {
  const t = useTranslations('recording');
  // One request for every card (same query key); re-read while anything is still arriving.
  const mine = trpc.recordings.mine.useQuery(undefined, {
    refetchInterval: (q) => (q.state.data?.some((r) => !r.complete) ? 10_000 : false),
  });
  const tracks = summariseTracks((mine.data ?? []).filter((r) => r.examId === examId));
  if (!tracks.length) {
    return (
      <span data-testid="no-recordings" className="text-slate-400">
        {t('mine.none')}
      </span>
    );
  }
  return (
    <span className="flex flex-wrap gap-x-3" data-testid="exam-recordings">
      {tracks.map((s) => {
        const track = t(`track.${s.track}`);
        const text = s.complete
          ? t('mine.complete', { track, size: mb(s.bytes) })
          : s.expected == null
            ? t('mine.recording', { track, received: s.received })
            : t('mine.uploading', { track, received: s.received, expected: s.expected });
        return (
          <span key={s.track} data-testid={`recording-${s.track}`} data-complete={s.complete} className={s.complete ? 'text-green-700' : 'text-amber-700'}>
            {text}
          </span>
        );
      })}
    </span>
  );
}

/**
 * Uploads what a closed or crashed exam page left on this device, as soon as the candidate is
 * on "My exams", and shows the progress while there is any.
 */
export function PendingRecordingUploads() {
  const me = trpc.auth.me.useQuery(undefined, { staleTime: Infinity });
  const candidateId = me.data?.role === 'candidate' ? me.data.id : null;
  return candidateId != null ? <PendingFor candidateId={candidateId} /> : null;
}

function PendingFor({ candidateId }: { candidateId: number }) {
  const phase = uploadPhase(useUploadBacklog(candidateOwner(candidateId)));
  const utils = trpc.useUtils();
  // The ledger on the cards changes as the last chunks land: read it again once this device is empty.
  useEffect(() => {
    if (phase === 'done') void utils.recordings.mine.invalidate();
  }, [phase, utils]);
  if (phase === 'done' || phase === 'checking') return null;
  return <UploadProgress candidateId={candidateId} />;
}

/**
 * Drains this candidate's recordings from the device on any page it is mounted in, without
 * showing anything (for the candidate layout, so no page of the portal lets a backlog sit).
 */
export function BackgroundRecordingUploads({ candidateId }: { candidateId: number }) {
  useUploadBacklog(candidateOwner(candidateId));
  return null;
}
