'use client';

import { useTranslations } from 'next-intl';
import { trpc } from '@/components/providers/trpc';
import { Button } from '@/components/ui/button';
import { CLIENT_VERSION } from './use-system-check';

/**
 * The web form of the desktop client's "update": a page built before the latest deployment asks
 * to be reloaded. Polls the server's version every minute, so a long-open page (the exam) notices
 * too. Renders nothing while the versions agree or the server cannot be reached.
 */
export function UpdatePrompt({ className = '' }: { className?: string }) {
  const t = useTranslations('systemCheck.update');
  const info = trpc.system.info.useQuery(undefined, { refetchInterval: 60_000, refetchIntervalInBackground: true });
  const server = info.data?.version;
  if (!server || server === CLIENT_VERSION) return null;
  return (
    <div
      role="alert"
      data-testid="update-prompt"
      className={`flex items-center gap-3 rounded-lg border border-blue-300 bg-blue-50 px-4 py-3 text-sm text-blue-900 shadow-sm ${className}`}
    >
      <span aria-hidden className="flex h-7 w-7 shrink-0 items-center justify-center rounded-full bg-blue-600 text-base font-bold text-white">
        ↻
      </span>
      <div className="flex-1">
        <p className="font-medium">{t('title')}</p>
        <p className="text-blue-800">{t('body')}</p>
      </div>
      <Button onClick={() => window.location.reload()}>{t('reload')}</Button>
    </div>
  );
}
