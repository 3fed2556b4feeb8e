'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useCallback, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { useDismiss } from './use-dismiss';

/**
 * The floating Help button. For now it offers the 400 hotline and the support centre.
 * The exam room passes `newTab` so following the support link never navigates away from a
 * running exam (leaving the page would stop its media).
 */
export function HelpButton({ newTab = false }: { newTab?: boolean }) {
  const t = useTranslations('nav.help');
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(ref, open, close);
  // Loaded up front: when a candidate needs help the number must show at once, even if the network is poor.
  const info = trpc.system.info.useQuery(undefined, { staleTime: Infinity });
  const support = info.data?.support;

  return (
    <div ref={ref} className="fixed bottom-5 right-5 z-40 flex flex-col items-end gap-2">
      {open && (
        <div
          role="dialog"
          aria-label={t('title')}
          data-testid="help-panel"
          className="w-72 rounded-lg border border-slate-200 bg-white p-4 text-slate-800 shadow-xl"
        >
          <div className="flex items-center justify-between">
            <h2 className="font-medium">{t('title')}</h2>
            <button type="button" onClick={close} aria-label={t('close')} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600">
              <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4">
                <path fill="currentColor" d="M5.3 5.3a1 1 0 0 1 1.4 0L10 8.6l3.3-3.3a1 1 0 1 1 1.4 1.4L11.4 10l3.3 3.3a1 1 0 0 1-1.4 1.4L10 11.4l-3.3 3.3a1 1 0 0 1-1.4-1.4L8.6 10 5.3 6.7a1 1 0 0 1 0-1.4Z" />
              </svg>
            </button>
          </div>
          <p className="mt-3 text-xs text-slate-500">{t('hotline')}</p>
          {support ? (
            <>
              <a href={`tel:${support.phone.replace(/[^\d+]/g, '')}`} data-testid="help-hotline" className="block text-2xl font-semibold tracking-wide text-blue-700 hover:underline">
                {support.phone}
              </a>
              <p className="mt-1 text-xs text-slate-500">{t('hours', { hours: support.hours })}</p>
            </>
          ) : (
            <div className="mt-1 h-8 w-40 animate-pulse rounded bg-slate-100" />
          )}
          <Link
            href="/support"
            target={newTab ? '_blank' : undefined}
            rel={newTab ? 'noopener' : undefined}
            onClick={close}
            className="mt-3 block border-t border-slate-100 pt-3 text-sm text-blue-700 hover:underline"
          >
            {t('more')} →
          </Link>
        </div>
      )}
      <button
        type="button"
        data-testid="help-button"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-full bg-blue-600 px-5 py-3 text-sm font-medium text-white shadow-lg hover:bg-blue-700"
      >
        <svg aria-hidden viewBox="0 0 20 20" className="h-5 w-5">
          <path
            fill="currentColor"
            d="M10 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm0 12.5a1 1 0 1 1 0-2 1 1 0 0 1 0 2Zm1.1-4.3c-.5.3-.6.5-.6.9v.3H9v-.4c0-1 .5-1.6 1.2-2 .5-.3.8-.6.8-1.1 0-.6-.5-1-1.1-1-.6 0-1.1.4-1.2 1.1L7.3 7.8C7.5 6.3 8.6 5.4 10 5.4c1.5 0 2.6.9 2.6 2.3 0 1.1-.6 1.8-1.5 2.5Z"
          />
        </svg>
        {t('button')}
      </button>
    </div>
  );
}
