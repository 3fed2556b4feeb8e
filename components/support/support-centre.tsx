'use client';

import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';

const FAQ = ['networkDuring', 'crashUpload', 'networkBefore'] as const;

export function SupportCentre() {
  const t = useTranslations('support');
  const errorText = useErrorText();
  const info = trpc.system.info.useQuery(undefined, { staleTime: Infinity });
  const s = info.data?.support;

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mt-1 text-sm text-slate-500">{t('intro')}</p>
      </div>
      {info.error && <Alert>{errorText(info.error)}</Alert>}
      {s && (
        <dl className="grid grid-cols-[1fr_1fr_1.5fr_1fr] gap-3">
          <Contact label={t('phone')}>
            <a href={`tel:${s.phone.replace(/[^\d+]/g, '')}`} data-testid="support-phone" className="text-blue-700 hover:underline">
              {s.phone}
            </a>
          </Contact>
          <Contact label={t('qq')}>
            <span data-testid="support-qq" className="select-all">
              {s.qq}
            </span>
          </Contact>
          <Contact label={t('email')}>
            <a href={`mailto:${s.email}`} data-testid="support-email" className="text-base text-blue-700 [overflow-wrap:anywhere] hover:underline">
              {s.email}
            </a>
          </Contact>
          <Contact label={t('hours')}>
            <span data-testid="support-hours">{s.hours}</span>
          </Contact>
        </dl>
      )}
      <section>
        <h2 className="mb-2 text-lg font-medium">{t('faqTitle')}</h2>
        <div className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {FAQ.map((key, i) => (
            <details key={key} open={i === 0} className="group px-4 py-3" data-testid={`faq-${key}`}>
              <summary className="flex cursor-pointer list-none items-center justify-between gap-3 font-medium text-slate-800 [&::-webkit-details-marker]:hidden">
                {t(`faq.${key}.q`)}
                <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-400 transition-transform group-open:rotate-180">
                  <path fill="currentColor" d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4Z" />
                </svg>
              </summary>
              <p className="mt-2 text-sm leading-relaxed text-slate-600">{t(`faq.${key}.a`)}</p>
            </details>
          ))}
        </div>
      </section>
    </div>
  );
}

function Contact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <dt className="text-sm text-slate-500">{label}</dt>
      <dd className="mt-1 text-lg font-semibold text-slate-800">{children}</dd>
    </div>
  );
}
