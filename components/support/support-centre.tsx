'use client';

import { useTranslations } from 'next-intl';
import { HotlineContact, useHotline } from '@/components/help/hotline';

const FAQ = ['networkDuring', 'crashUpload', 'networkBefore'] as const;

export function SupportCentre() {
  const t = useTranslations('support');
  const { args: call } = useHotline();

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mt-1 text-sm text-slate-500">{t('intro')}</p>
      </div>
      <HotlineContact variant="cards" />
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
              <p className="mt-2 text-sm leading-relaxed text-slate-600">{t(`faq.${key}.a`, call)}</p>
            </details>
          ))}
        </div>
      </section>
    </div>
  );
}
