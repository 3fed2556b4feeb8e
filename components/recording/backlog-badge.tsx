'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { trpc } from '@/components/providers/trpc';

/** The room's upload backlog is read this often (the server announces progress at most every 5 s). */
const BACKLOG_POLL_MS = 5_000;

/**
 * "Uploading N" in a tile's footer while the server still waits for recorded chunks of this
 * candidate (after the end of a recording, or a cut). Every tile of the room shares one query.
 */
export function RecordingBacklogBadge({ candidateId }: { candidateId: number }) {
  const t = useTranslations('recording.tile');
  const roomId = Number(useParams<{ roomId?: string }>().roomId);
  const backlog = trpc.recordings.roomBacklog.useQuery(
    { roomId },
    {
      enabled: Number.isInteger(roomId) && roomId > 0,
      refetchInterval: BACKLOG_POLL_MS,
      select: (rows) => rows.find((r) => r.candidateId === candidateId),
    },
  );
  const pending = backlog.data?.pendingChunks ?? 0;
  if (pending <= 0) return null;
  return (
    <span
      data-testid="tile-upload-backlog"
      data-count={pending}
      title={t('backlogTitle', { count: pending })}
      className="shrink-0 rounded bg-sky-100 px-1 text-[11px] font-medium leading-4 text-sky-800"
    >
      {t('backlog', { count: pending })}
    </span>
  );
}

/** The focus view's way to this candidate's recordings (opens beside the live grid). */
export function PlaybackLink({ examId, roomId, candidateId }: { examId: number; roomId: number; candidateId: number }) {
  const t = useTranslations('recording.focus');
  return (
    <Link
      href={`/recordings/${examId}/${candidateId}?room=${roomId}`}
      target="_blank"
      data-testid="focus-playback"
      className="rounded-md border border-white/20 px-2 py-1 text-sm text-slate-100 hover:bg-white/10"
    >
      {t('playback')}
    </Link>
  );
}
