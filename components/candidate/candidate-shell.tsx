import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { LanguageSwitcher } from '@/components/ui/language-switcher';
import { CandidateNav } from './candidate-nav';
import { UserMenu } from './user-menu';

/** The frame of the candidate portal: navigation with the message badge, account menu (Help floats over it, from the candidate layout). */
export async function CandidateShell({ userName, children }: { userName: string; children: ReactNode }) {
  const t = await getTranslations('app');
  return (
    <>
      <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-screen-2xl items-center gap-6 px-4">
          <Link href="/exams" className="shrink-0 font-semibold text-blue-700">
            {t('shortName')}
          </Link>
          <CandidateNav />
          <div className="ml-auto flex shrink-0 items-center gap-2">
            <LanguageSwitcher />
            <UserMenu name={userName} />
          </div>
        </div>
      </header>
      {/* Bottom padding keeps the floating Help button off the last card's actions. */}
      <main className="mx-auto max-w-5xl px-4 pb-24 pt-6">{children}</main>
    </>
  );
}
