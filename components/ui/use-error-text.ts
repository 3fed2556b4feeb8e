'use client';

import { useTranslations } from 'next-intl';

type MaybeTrpcError = { message?: string; data?: { appCode?: string | null; httpStatus?: number } | null };

/**
 * The server words its errors in the user's language; what never reached the server (network
 * down) is worded here.
 */
export function useErrorText() {
  const t = useTranslations('errors');
  return (err: unknown): string | null => {
    if (!err) return null;
    const e = err as MaybeTrpcError;
    if (e.data?.appCode || (e.data?.httpStatus && e.data.httpStatus < 500)) return e.message ?? t('internal');
    if (!e.data) return t('network');
    return t('internal');
  };
}
