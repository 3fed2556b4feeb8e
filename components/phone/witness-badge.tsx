'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useTranslations } from 'next-intl';
import type { AppRouter } from '@/server/routers/_app';

type Witness = inferRouterOutputs<AppRouter>['room']['byId']['tiles'][number]['witness'];

const DOT = { unbound: 'bg-slate-400', bound: 'bg-blue-400', live: 'bg-green-500', lost: 'bg-red-500' } as const;

/** Over the tile's witness inset: the phone's state as a dot, and its battery where known. */
export function WitnessBadge({ witness }: { witness: Witness | undefined }) {
  const t = useTranslations('phone.tile');
  if (!witness) return null;
  const percent = witness.batteryLevel == null ? null : Math.round(witness.batteryLevel * 100);
  const title = [t(`state.${witness.state}`), percent == null ? null : t('battery', { percent }), witness.charging ? t('charging') : null]
    .filter(Boolean)
    .join(' · ');
  return (
    <span
      data-testid="tile-witness-state"
      data-state={witness.state}
      data-battery={percent ?? ''}
      title={title}
      className="absolute bottom-0.5 right-0.5 flex items-center gap-0.5 rounded bg-slate-900/75 px-0.5 text-[9px] leading-3 text-slate-100"
    >
      <span className={`h-1.5 w-1.5 rounded-full ${DOT[witness.state]}`} />
      {percent != null && (
        <span className={percent < 20 && !witness.charging ? 'text-red-300' : undefined}>
          {percent}%{witness.charging ? '⚡' : ''}
        </span>
      )}
    </span>
  );
}
