import { getTranslations } from 'next-intl/server';
import type { ReactNode } from 'react';
import { StaffNav } from '@/components/help/staff-nav';
import type { UserCaller } from '@/server/auth/caller';
import { LanguageSwitcher } from './language-switcher';
import { LogoutButton } from './logout-button';

/**
 * The bar at the top of every signed-in page, with the staff pages the user's role may open.
 * `wide` pages (the grid, the desk) use the whole window, and the bar lines up with them.
 * Server component.
 */
export async function AppHeader({ user, wide = false, children }: { user?: Pick<UserCaller, 'name' | 'role'>; wide?: boolean; children?: ReactNode }) {
  const t = await getTranslations('app');
  return (
    <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/95 backdrop-blur">
      <div className={`mx-auto flex h-14 items-center gap-4 ${wide ? 'max-w-[1920px] px-4' : 'max-w-screen-2xl px-4'}`}>
        <span className="shrink-0 font-semibold text-blue-700">{t('shortName')}</span>
        {user && user.role !== 'candidate' && <StaffNav role={user.role} />}
        <div className="min-w-0 flex-1">{children}</div>
        <LanguageSwitcher />
        {user && (
          <>
            <span className="text-sm text-slate-600" data-testid="user-name">
              {user.name}
            </span>
            <LogoutButton />
          </>
        )}
      </div>
    </header>
  );
}
