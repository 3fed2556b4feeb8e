'use client';

import { useLocale, useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';

const LABELS = { 'zh-CN': '中文', en: 'English' } as const;

export function LanguageSwitcher() {
  const locale = useLocale();
  const router = useRouter();
  const t = useTranslations('app');
  return (
    <label className="flex items-center gap-1.5 text-sm text-slate-500">
      <span className="sr-only">{t('language')}</span>
      <select
        aria-label={t('language')}
        className="rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-700"
        value={locale}
        onChange={(e) => {
          document.cookie = `NEXT_LOCALE=${e.target.value}; Path=/; Max-Age=31536000; SameSite=Lax`;
          router.refresh();
        }}
      >
        {Object.entries(LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
