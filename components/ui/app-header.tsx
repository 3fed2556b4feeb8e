import { getTranslations } from 'next-intl/server';
import type { ReactNode } from 'react';
import { LanguageSwitcher } from './language-switcher';
import { LogoutButton } from './logout-button';

/** The bar at the top of every signed-in page. Server component. */
export async function AppHeader({ userName, children }: { userName?: string; children?: ReactNode }) {
  const t = await getTranslations('app');
  return (
    <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/95 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-screen-2xl items-center gap-4 px-4">
        <span className="font-semibold text-blue-700">{t('shortName')}</span>
        <div className="flex-1">{children}</div>
        <LanguageSwitcher />
        {userName && (
          <>
            <span className="text-sm text-slate-600" data-testid="user-name">
              {userName}
            </span>
            <LogoutButton />
          </>
        )}
      </div>
    </header>
  );
}
