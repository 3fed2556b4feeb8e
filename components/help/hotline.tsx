'use client';

import { useTranslations } from 'next-intl';
import { createContext, useContext, useId, type ReactNode } from 'react';
import type { Hotline } from '@/server/hotline';

const HotlineContext = createContext<Hotline | null>(null);

/** Given once by the root layout, so every page has the hotline at first paint, logged in or not. */
export function HotlineProvider({ value, children }: { value: Hotline; children: ReactNode }) {
  return <HotlineContext.Provider value={value}>{children}</HotlineContext.Provider>;
}

/** The installation's hotline; `args` go to every message that tells the candidate to call. */
export function useHotline(): Hotline {
  const hotline = useContext(HotlineContext);
  if (!hotline) throw new Error('useHotline outside HotlineProvider (app/layout.tsx)');
  return hotline;
}

/**
 * The hotline as candidates see it everywhere: the number as a `tel:` link, hours, QQ and
 * `mailto:`, or, where the installation set none, whom to ask instead.
 * - `block`: a titled box (login page, phone page, face login's "call support").
 * - `cards`: one card per way of contact (the support centre).
 * - `line`: number and hours in one line of small text (the Help panel's header).
 */
export function HotlineContact({ variant = 'block', children }: { variant?: 'block' | 'cards' | 'line'; children?: ReactNode }) {
  const t = useTranslations('support');
  const h = useHotline();
  const titleId = useId();
  const none = !h.phone && !h.qq && !h.email;
  const phone = h.phone && (
    <a href={`tel:${h.tel}`} data-testid="hotline-phone" className="font-semibold text-blue-700 hover:underline">
      {h.phone}
    </a>
  );

  if (variant === 'line') {
    return (
      <p className="text-xs text-slate-500" data-testid="hotline">
        {h.phone ? (
          <>
            {t('phone')} {phone}
            {h.hours && <> · {h.hours}</>}
          </>
        ) : (
          t('hotline.fallbackShort')
        )}
        {children && <> · {children}</>}
      </p>
    );
  }

  const items: { key: string; label: string; value: ReactNode }[] = [];
  if (phone) items.push({ key: 'phone', label: t('phone'), value: phone });
  if (h.hours && !none) items.push({ key: 'hours', label: t('hours'), value: <span data-testid="hotline-hours">{h.hours}</span> });
  if (h.qq)
    items.push({
      key: 'qq',
      label: t('qq'),
      value: (
        <span data-testid="hotline-qq" className="select-all">
          {h.qq}
        </span>
      ),
    });
  if (h.email)
    items.push({
      key: 'email',
      label: t('email'),
      value: (
        <a href={`mailto:${h.email}`} data-testid="hotline-email" className="text-blue-700 [overflow-wrap:anywhere] hover:underline">
          {h.email}
        </a>
      ),
    });

  if (variant === 'cards') {
    if (none) return <Fallback />;
    return (
      <dl className="grid grid-cols-[repeat(auto-fit,minmax(11rem,1fr))] gap-3" data-testid="hotline">
        {items.map((i) => (
          <div key={i.key} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <dt className="text-sm text-slate-500">{i.label}</dt>
            <dd className="mt-1 text-lg font-semibold text-slate-800">{i.value}</dd>
          </div>
        ))}
      </dl>
    );
  }

  return (
    <section className="rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm shadow-sm" aria-labelledby={titleId} data-testid="hotline">
      <h2 id={titleId} className="mb-1 font-medium text-slate-800">
        {t('hotline.title')}
      </h2>
      {none ? (
        <p className="text-slate-600">{t('hotline.fallback')}</p>
      ) : (
        // Pairs that wrap: two short lines under the login form, where the page has little height to spare.
        <dl className="flex flex-wrap gap-x-5 gap-y-1">
          {items.map((i) => (
            <div key={i.key} className="flex min-w-0 gap-1.5">
              <dt className="shrink-0 text-slate-500">{i.label}</dt>
              <dd className="min-w-0">{i.value}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function Fallback() {
  const t = useTranslations('support');
  return (
    <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600 shadow-sm" data-testid="hotline">
      {t('hotline.fallback')}
    </p>
  );
}
