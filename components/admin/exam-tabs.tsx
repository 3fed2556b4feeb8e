'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

/** The sections of one exam; '' is the overview (the live dashboard). */
const TABS = [
  { path: '', key: 'overview' },
  { path: '/settings', key: 'settings' },
  { path: '/sheets', key: 'sheets' },
  { path: '/candidates', key: 'candidates' },
  { path: '/rooms', key: 'rooms' },
  { path: '/exports', key: 'exports' },
] as const;

export function ExamTabs({ examId }: { examId: number }) {
  const t = useTranslations('admin.tabs');
  const pathname = usePathname();
  const base = `/admin/exams/${examId}`;
  return (
    <nav aria-label={t('label')} className="mt-4 flex gap-1 overflow-x-auto border-b border-slate-200">
      {TABS.map(({ path, key }) => {
        const href = `${base}${path}`;
        const active = path === '' ? pathname === base : pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={key}
            href={href}
            data-testid={`exam-tab-${key}`}
            aria-current={active ? 'page' : undefined}
            className={`-mb-px whitespace-nowrap border-b-2 px-4 py-2 text-sm ${
              active ? 'border-blue-600 font-medium text-blue-700' : 'border-transparent text-slate-600 hover:text-slate-900'
            }`}
          >
            {t(key)}
          </Link>
        );
      })}
    </nav>
  );
}
