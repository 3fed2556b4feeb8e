'use client';

import { ConnectionState } from 'livekit-client';
import { useTranslations } from 'next-intl';
import { trpc } from '@/components/providers/trpc';

/** How often the console asks whether the media server answers the app (the server caches the answer). */
const POLL_MS = 10_000;

/**
 * Whether the media server answers the app server with our key: true, false, or null while
 * unknown (first answer pending, or the app server itself not answering; that shows elsewhere).
 */
export function useMediaServerReachable(): boolean | null {
  const status = trpc.invigilate.mediaServer.useQuery(undefined, { refetchInterval: POLL_MS, refetchIntervalInBackground: true, retry: false });
  return status.error ? null : (status.data?.reachable ?? null);
}

/**
 * The console's warning that video may stop: the app cannot reach the media server, or this
 * page's own connection to it is reconnecting (LiveKit is retrying by itself). Nothing when all is well.
 */
export function MediaServerBanner({ reachable, connection }: { reachable: boolean | null; connection: ConnectionState }) {
  const t = useTranslations('grid');
  const reconnecting = connection === ConnectionState.Reconnecting || connection === ConnectionState.SignalReconnecting;
  const state = reachable === false ? 'down' : reconnecting ? 'reconnecting' : null;
  if (!state) return null;
  return (
    <div
      role="alert"
      data-testid="media-server-banner"
      data-state={state}
      className={`flex items-center gap-2 rounded-md border px-3 py-1.5 text-sm font-medium ${state === 'down' ? 'border-red-300 bg-red-50 text-red-800' : 'border-amber-300 bg-amber-50 text-amber-900'}`}
    >
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${state === 'down' ? 'bg-red-600' : 'animate-pulse bg-amber-500'}`} />
      {state === 'down' ? t('mediaServerDown') : t('mediaReconnecting')}
    </div>
  );
}
