'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { trpc } from '@/components/providers/trpc';
import type { Role } from '@/db/schema';

type Item = {
  href: string;
  key: 'rooms' | 'desk' | 'lead' | 'identity' | 'notices' | 'adminExams' | 'adminStaff' | 'adminAudit';
  roles: readonly Role[];
  /** Support agents see it only when marked as lead (admins always). */
  leadOnly?: boolean;
};

/** Admins pass every check, so they see every item. */
const ITEMS: readonly Item[] = [
  { href: '/rooms', key: 'rooms', roles: ['invigilator'] },
  { href: '/desk', key: 'desk', roles: ['support', 'invigilator'] },
  { href: '/desk/lead', key: 'lead', roles: ['support'], leadOnly: true },
  { href: '/identity', key: 'identity', roles: ['support', 'invigilator'] },
  { href: '/notices', key: 'notices', roles: ['support', 'invigilator'] },
  // The back office: admins only.
  { href: '/admin/exams', key: 'adminExams', roles: [] },
  { href: '/admin/staff', key: 'adminStaff', roles: [] },
  { href: '/admin/audit', key: 'adminAudit', roles: [] },
];

/** The staff pages a role may open, in the header; the current one marked. */
export function StaffNav({ role }: { role: Role }) {
  const t = useTranslations('desk.nav');
  const pathname = usePathname();
  const lead = trpc.help.lead.amI.useQuery(undefined, { enabled: role === 'support', staleTime: 60_000 });
  const items = ITEMS.filter((i) => role === 'admin' || (i.roles.includes(role) && (!i.leadOnly || lead.data === true)));
  // The deepest matching page is the current one (/desk/lead is not also /desk).
  const current = items
    .filter(({ href }) => pathname === href || pathname.startsWith(`${href}/`))
    .reduce<string | null>((best, { href }) => (best == null || href.length > best.length ? href : best), null);
  // Candidates wait at their login page while a face login is in the identity check queue: the
  // count stays in sight on every staff page, not only on /identity.
  const waiting = trpc.face.queueSize.useQuery(undefined, { enabled: items.some((i) => i.key === 'identity'), refetchInterval: 10_000 });
  return (
    <nav aria-label={t('label')} className="flex min-w-0 items-center gap-1 overflow-x-auto">
      {items.map(({ href, key }) => {
        const active = href === current;
        return (
          <Link
            key={href}
            href={href}
            data-testid={`staff-nav-${key}`}
            aria-current={active ? 'page' : undefined}
            className={`whitespace-nowrap rounded-md px-3 py-1.5 text-sm transition-colors ${
              active ? 'bg-blue-50 font-medium text-blue-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'
            }`}
          >
            {t(key)}
            {key === 'identity' && !!waiting.data && (
              <span data-testid="identity-waiting" className="ml-1.5 rounded-full bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white tabular-nums">
                {waiting.data}
              </span>
            )}
          </Link>
        );
      })}
    </nav>
  );
}
