'use client';

import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import type { PublishedSource, ScreenShareProblem } from './use-exam-publisher';

export function Banner({ tone, testId, children, action }: { tone: 'danger' | 'warning' | 'info'; testId: string; children: ReactNode; action?: ReactNode }) {
  const styles = {
    danger: 'border-red-300 bg-red-50 text-red-900',
    warning: 'border-amber-300 bg-amber-50 text-amber-900',
    info: 'border-blue-200 bg-blue-50 text-blue-900',
  }[tone];
  return (
    <div
      role={tone === 'danger' ? 'alert' : 'status'}
      data-testid={testId}
      className={`flex items-center gap-3 rounded-lg border px-4 py-2.5 text-sm ${styles}`}
    >
      <div className="flex-1">{children}</div>
      {action}
    </div>
  );
}

export const ACTION = 'shrink-0 rounded-md bg-red-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-700 disabled:bg-red-300';

/**
 * What the candidate must put right, in plain words and with the button that does it. Screen,
 * camera and microphone are required for the whole exam; the rest is information.
 */
export function IntegrityBanners({
  settled,
  live,
  everLive,
  onRestore,
  screen,
  extendedDisplay,
  offline,
  leftPage,
  onDismissLeftPage,
  displaced,
  onReenter,
}: {
  /** Connected and done publishing: a source missing now is really missing. */
  settled: boolean;
  live: Record<PublishedSource, boolean>;
  everLive: Record<PublishedSource, boolean>;
  /** Restoring the screen calls the browser from the click (`onRestore`); until it was first shared, the step explains instead. */
  onRestore: (s: PublishedSource) => void;
  screen: { shared: boolean; pending: boolean; problem: ScreenShareProblem | null };
  extendedDisplay: boolean;
  offline: boolean;
  leftPage: boolean;
  onDismissLeftPage: () => void;
  displaced: boolean;
  onReenter: () => void;
}) {
  const t = useTranslations('integrity');
  const ts = useTranslations('screenShare');
  const check = settled && !displaced;
  return (
    <div className="space-y-2 empty:hidden">
      {displaced && (
        <Banner
          tone="danger"
          testId="banner-displaced"
          action={
            <button type="button" className={ACTION} data-testid="reenter" onClick={onReenter}>
              {t('displaced.action')}
            </button>
          }
        >
          <p className="font-medium">{t('displaced.title')}</p>
          <p>{t('displaced.body')}</p>
        </Banner>
      )}
      {offline && (
        <Banner tone="danger" testId="banner-offline">
          <p className="font-medium">{t('offline.title')}</p>
          <p>{t('offline.body')}</p>
        </Banner>
      )}
      {check && !live.screen_share && screen.shared && (
        <Banner
          tone="danger"
          testId="banner-screen"
          action={
            <button type="button" className={ACTION} data-testid="restore-screen" onClick={() => onRestore('screen_share')} disabled={screen.pending}>
              {everLive.screen_share ? t('screen.restore') : t('screen.start')}
            </button>
          }
        >
          <p className="font-medium">{everLive.screen_share ? t('screen.stopped') : t('screen.notShared')}</p>
          <p>{t('screen.wholeScreen')}</p>
          {screen.problem && <p data-testid="screen-share-problem">{ts(`problem.${screen.problem}`)}</p>}
        </Banner>
      )}
      {check && !live.camera && (
        <Banner
          tone="danger"
          testId="banner-camera"
          action={
            <button type="button" className={ACTION} data-testid="restore-camera" onClick={() => onRestore('camera')}>
              {t('camera.restore')}
            </button>
          }
        >
          <p className="font-medium">{everLive.camera ? t('camera.lost') : t('camera.notOn')}</p>
          <p>{t('camera.hint')}</p>
        </Banner>
      )}
      {check && !live.microphone && (
        <Banner
          tone="danger"
          testId="banner-microphone"
          action={
            <button type="button" className={ACTION} data-testid="restore-microphone" onClick={() => onRestore('microphone')}>
              {t('microphone.restore')}
            </button>
          }
        >
          <p className="font-medium">{everLive.microphone ? t('microphone.lost') : t('microphone.notOn')}</p>
          <p>{t('microphone.hint')}</p>
        </Banner>
      )}
      {extendedDisplay && (
        <Banner tone="danger" testId="banner-display">
          <p className="font-medium">{t('display.title')}</p>
          <p>{t('display.body')}</p>
        </Banner>
      )}
      {leftPage && (
        <Banner
          tone="warning"
          testId="banner-left-page"
          action={
            <button type="button" className="shrink-0 rounded-md px-2 py-1 text-sm text-amber-900 hover:bg-amber-100" onClick={onDismissLeftPage}>
              {t('leftPage.ok')}
            </button>
          }
        >
          {t('leftPage.body')}
        </Banner>
      )}
    </div>
  );
}
