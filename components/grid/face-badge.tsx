'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { FACE_ALERT_OF, type FaceStartSignal } from '@/server/face/signals';
import { FaceIcon } from './icons';
import type { GridTile } from './use-room-tiles';

type Face = NonNullable<GridTile['face']>;

/** A camera that showed no face, or another, is more than a look: red; the rest amber. */
const TONE: Record<Face['state'], string> = {
  ok: 'text-green-700',
  none: 'bg-red-600 text-white',
  several: 'bg-red-600 text-white',
  mismatch: 'bg-red-600 text-white',
  phone: 'bg-amber-400 text-amber-950',
  away: 'bg-amber-400 text-amber-950',
};

/**
 * What the face checks on the candidate's camera last said: an icon while all is well, the
 * condition's short name otherwise; the tooltip names every condition in force and since when.
 * Shown only while the candidate sits the exam, and never as a verdict (see `face.hint`).
 */
export function FaceBadge({
  face,
  phase,
  onDark = false,
  className = '',
}: {
  face: GridTile['face'];
  phase: GridTile['phase'];
  /** On the focus view's dark header. */
  onDark?: boolean;
  className?: string;
}) {
  const t = useTranslations('grid');
  const format = useFormatter();
  if (!face || phase !== 'in_progress') return null;
  const time = format.dateTime(new Date(face.since), 'timeSeconds');
  const conditions = (Object.keys(face.active) as FaceStartSignal[]).map((s) => t(`face.long.${FACE_ALERT_OF[s]}`));
  const title = [
    t('face.title', { state: t(`face.long.${face.state}`), time }),
    ...conditions.filter((c) => c !== t(`face.long.${face.state}`)),
    t('face.hint'),
  ].join('\n');
  return (
    <span
      data-testid="face-badge"
      data-state={face.state}
      data-since={face.since}
      title={title}
      aria-label={title}
      className={`inline-flex shrink-0 items-center gap-0.5 rounded px-0.5 text-[11px] font-medium leading-4 ${face.state === 'ok' && onDark ? 'text-green-400' : TONE[face.state]} ${className}`}
    >
      <FaceIcon />
      {face.state !== 'ok' && <span className="whitespace-nowrap">{t(`face.state.${face.state}`)}</span>}
    </span>
  );
}
