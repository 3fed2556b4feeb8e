'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { RoomIncident } from './use-incidents';

/**
 * Many candidates lost at once, as one line instead of a flag and an alarm each: while it is
 * open, how many and since when; once cleared, who came back, and the extra time the system
 * proposes, which only an invigilator grants.
 */
export function IncidentBanner({ incident }: { incident: RoomIncident }) {
  const t = useTranslations('incidents');
  const format = useFormatter();
  const errorText = useErrorText();
  const time = format.dateTime(incident.startedAt, 'timeSeconds');
  const affected = incident.candidateIds.length;
  const missing = affected - incident.back;
  // The proposal until the invigilator types another number (it arrives only when the incident clears).
  const [typed, setMinutes] = useState<number | null>(null);
  const minutes = typed ?? incident.proposedMinutes ?? 1;
  const grant = trpc.invigilate.grantIncidentTime.useMutation();
  const decline = trpc.invigilate.declineIncidentTime.useMutation();
  const error = grant.error ?? decline.error;
  const busy = grant.isPending || decline.isPending;

  const common = {
    'data-testid': 'incident-banner',
    'data-incident-id': incident.id,
    'data-state': incident.decision ?? incident.state,
    'data-affected': affected,
    'data-back': incident.back,
  };

  if (incident.state === 'open') {
    return (
      <div
        {...common}
        role="alert"
        className="flex flex-wrap items-baseline gap-x-3 gap-y-1 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900"
      >
        <strong className="font-semibold">{t('open', { count: affected, time })}</strong>
        {incident.back > 0 && <span className="tabular-nums">{t('openBack', { back: incident.back })}</span>}
        <span className="text-xs text-red-700">{t('held')}</span>
      </div>
    );
  }

  if (incident.decision) {
    return (
      <div {...common} role="status" className="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-900">
        {incident.decision === 'granted'
          ? t('granted', { m: incident.grantedMinutes ?? 0, time, name: incident.decidedBy ?? '' })
          : t('declined', { time, name: incident.decidedBy ?? '' })}
      </div>
    );
  }

  return (
    <div
      {...common}
      role="status"
      className="flex flex-wrap items-center gap-x-3 gap-y-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950"
    >
      <strong className="font-semibold">{t('cleared', { time, back: incident.back, missing })}</strong>
      {missing > 0 && <span className="text-xs">{t('missingFlagged')}</span>}
      <span className="basis-full text-sm sm:basis-auto">{t('proposal', { m: incident.proposedMinutes ?? 1 })}</span>
      <label className="inline-flex items-center gap-1 text-xs">
        {t('minutes')}
        <input
          type="number"
          min={1}
          max={120}
          value={minutes}
          data-testid="incident-minutes"
          onChange={(e) => setMinutes(Math.max(1, Math.min(120, Math.round(Number(e.target.value) || 1))))}
          className="w-16 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm tabular-nums"
        />
      </label>
      <Button data-testid="incident-grant" className="py-1" disabled={busy} onClick={() => grant.mutate({ incidentId: incident.id, minutes })}>
        {t('grant', { m: minutes, count: affected })}
      </Button>
      <Button data-testid="incident-decline" variant="secondary" className="py-1" disabled={busy} onClick={() => decline.mutate({ incidentId: incident.id })}>
        {t('decline')}
      </Button>
      {error && <span className="basis-full text-xs text-red-700">{errorText(error)}</span>}
    </div>
  );
}
