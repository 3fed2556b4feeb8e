import { env } from '../env';

/** This build's version; the same value is baked into the pages it serves. */
export const APP_VERSION = process.env.NEXT_PUBLIC_APP_VERSION ?? 'dev';

export function systemInfo() {
  return {
    version: APP_VERSION,
    support: { phone: env.SUPPORT_PHONE, qq: env.SUPPORT_QQ, email: env.SUPPORT_EMAIL, hours: env.SUPPORT_HOURS },
  };
}
