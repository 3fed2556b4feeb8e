'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useTranslations } from 'next-intl';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { BatteryLabel } from './battery-label';

type WitnessState = inferRouterOutputs<AppRouter>['phone']['status']['state'];

const STATE_TONE: Record<WitnessState, string> = {
  unbound: 'bg-slate-100 text-slate-600',
  bound: 'bg-blue-100 text-blue-800',
  live: 'bg-green-100 text-green-800',
  lost: 'bg-red-100 text-red-700',
};

/**
 * The candidate PC's phone panel (exam page and My exams): the witness phone's status and
 * battery, and on demand a QR code and bind code for the phone. The QR code carries this page's
 * origin, so on a LAN demo open the candidate page on the LAN address too.
 */
export function PhoneWitnessPanel({ examId, compact = false }: { examId: number; compact?: boolean }) {
  const t = useTranslations('phone.panel');
  const errorText = useErrorText();
  const status = trpc.phone.status.useQuery({ examId }, { refetchInterval: 5000 });
  const create = trpc.phone.createBinding.useMutation();
  const [open, setOpen] = useState(false);
  const state = status.data?.state ?? 'unbound';
  const binding = open ? create.data : undefined;

  const show = () => {
    setOpen(true);
    // Never show the previous (maybe used) code while the new one is on its way.
    create.reset();
    create.mutate({ examId });
  };

  return (
    <section
      data-testid="phone-panel"
      data-state={state}
      className={`rounded-lg border border-slate-200 bg-white ${compact ? 'px-3 py-2 text-sm' : 'p-3 text-sm'}`}
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-800">{t('title')}</span>
        <span data-testid="phone-state" className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATE_TONE[state]}`}>
          {t(`state.${state}`)}
        </span>
        {status.data?.batteryLevel != null && state !== 'unbound' && (
          <span data-testid="phone-panel-battery" className="text-xs text-slate-600">
            <BatteryLabel level={status.data.batteryLevel} charging={status.data.charging} ns="phone.panel" />
          </span>
        )}
        <span className="ml-auto flex gap-2">
          {open ? (
            <Button variant="ghost" className="px-2 py-1" onClick={() => setOpen(false)} data-testid="phone-panel-close">
              {t('close')}
            </Button>
          ) : (
            <Button variant={state === 'unbound' ? 'primary' : 'secondary'} className="px-2.5 py-1" onClick={show} data-testid="phone-bind-open">
              {state === 'unbound' ? t('show') : t('showAgain')}
            </Button>
          )}
        </span>
      </div>
      {open && (
        <div className="mt-3 space-y-2">
          {create.error && <Alert>{errorText(create.error)}</Alert>}
          {binding && (
            <BindingCard compact={compact} path={binding.path} code={binding.code} expiresAt={binding.expiresAt} onRefresh={() => create.mutate({ examId })} />
          )}
          {binding && state !== 'unbound' && <p className="text-xs text-amber-700">{t('rebindWarning')}</p>}
        </div>
      )}
    </section>
  );
}

function BindingCard({ compact, path, code, expiresAt, onRefresh }: { compact: boolean; path: string; code: string; expiresAt: Date; onRefresh: () => void }) {
  const t = useTranslations('phone.panel');
  const [qr, setQr] = useState<{ url: string; image: string } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    let cancelled = false;
    const url = `${window.location.origin}${path}`;
    void QRCode.toDataURL(url, { margin: 1, width: 184, errorCorrectionLevel: 'M' }).then((image) => {
      if (!cancelled) setQr({ url, image });
    });
    return () => {
      cancelled = true;
    };
  }, [path]);
  const left = Math.max(0, Math.ceil((expiresAt.getTime() - now) / 1000));

  return (
    <div className={compact ? 'flex flex-col items-center gap-2 text-center' : 'flex gap-3'} data-testid="phone-binding">
      <div className="h-[184px] w-[184px] shrink-0 rounded border border-slate-200 bg-white">
        {qr && <img src={qr.image} alt={t('qrAlt')} data-testid="phone-qr" data-url={qr.url} width={184} height={184} className={left ? '' : 'opacity-20'} />}
      </div>
      <div className={`flex min-w-0 flex-col gap-1.5 ${compact ? 'items-center' : ''}`}>
        <span className="text-xs text-slate-500">{t('code')}</span>
        <span
          data-testid="phone-code"
          className={`font-mono text-2xl font-semibold tracking-[0.25em] ${left ? 'text-slate-900' : 'text-slate-300 line-through'}`}
        >
          {code}
        </span>
        <span className={`text-xs ${left ? 'text-slate-500' : 'text-red-600'}`} data-testid="phone-code-expiry">
          {left ? t('expiresIn', { seconds: left }) : t('expired')}
        </span>
        <p className="text-xs leading-snug text-slate-500">{t('hint', { url: qr ? `${new URL(qr.url).origin}/phone` : '/phone' })}</p>
        <Button variant="secondary" className="mt-auto w-fit px-2.5 py-1" onClick={onRefresh} data-testid="phone-bind-refresh">
          {t('refresh')}
        </Button>
      </div>
    </div>
  );
}
