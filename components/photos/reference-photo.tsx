'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';

/**
 * A candidate's reference photo as the server serves it to staff who may see that candidate
 * (GET /api/face/references/:candidateId), or "no photo" when there is none to show: a missing photo and
 * one the caller may not see both answer 404. `version` (the photo's time) makes a replaced
 * photo load anew; without it the browser asks again each time this mounts (no-store).
 */
export function ReferencePhoto({
  candidateId,
  name,
  version,
  className = 'h-full w-full object-contain',
}: {
  candidateId: number;
  name: string;
  version?: number;
  className?: string;
}) {
  const t = useTranslations('adminPhotos.reference');
  const src = `/api/face/references/${candidateId}${version ? `?v=${version}` : ''}`;
  // Keyed by address: another candidate (or a new version) gets its own try.
  const [failed, setFailed] = useState<string | null>(null);
  if (failed === src) {
    return (
      <span className="flex h-full w-full items-center justify-center text-xs text-slate-400" data-testid="reference-photo-none">
        {t('none')}
      </span>
    );
  }
  return (
    <img src={src} alt={t('alt', { name })} className={className} onError={() => setFailed(src)} data-testid="reference-photo" data-candidate={candidateId} />
  );
}
