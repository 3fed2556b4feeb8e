'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useUnreadCount } from '@/components/messages/use-unread-count';

const ITEMS = [
  { href: '/process', key: 'process' },
  { href: '/check', key: 'check' },
  { href: '/device-check', key: 'deviceCheck' },
  { href: '/exams', key: 'exams' },
  { href: '/messages', key: 'messages' },
  { href: '/profile', key: 'profile' },
  { href: '/support', key: 'support' },
] as const;

export function CandidateNav() {
  const t = useTranslations('nav');
  const pathname = usePathname();
  const unread = useUnreadCount();
  return (
    <nav aria-label={t('label')} className="flex min-w-0 items-center gap-1">
      {ITEMS.map(({ href, key }) => {
        const active = pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={href}
            href={href}
            aria-current={active ? 'page' : undefined}
            data-testid={`nav-${key}`}
            className={`relative flex items-center gap-1.5 whitespace-nowrap rounded-md px-3 py-1.5 text-sm transition-colors ${
              active ? 'bg-blue-50 font-medium text-blue-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'
            }`}
          >
            {t(key)}
            {key === 'messages' && unread > 0 && (
              <span
                data-testid="unread-badge"
                aria-label={t('unread', { count: unread })}
                className="min-w-5 rounded-full bg-red-600 px-1.5 text-center text-xs font-medium leading-5 text-white"
              >
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </Link>
        );
      })}
    </nav>
  );
}
