import type { z } from 'zod';
import { env, type ZHotlineEnv } from './env';

/**
 * How candidates reach the exam office's hotline; any part the installation did not configure
 * is null. Pages get it from the root layout (components/help/hotline.tsx), so it is there before
 * login and on the phone page, without a request of its own.
 */
export type Hotline = {
  phone: string | null;
  /** `phone` as a `tel:` target: digits and a leading +. */
  tel: string | null;
  hours: string | null;
  qq: string | null;
  email: string | null;
  /**
   * The ICU arguments of every message that tells the candidate to call, server errors and page
   * text alike: `{phone, select, none {…ask the exam office…} other {…call {phone}…}}`.
   */
  args: { phone: string };
};

/** What a message's `{phone, select, …}` receives when no number is configured. */
export const NO_PHONE = 'none';

export function hotlineFrom(e: z.infer<typeof ZHotlineEnv>): Hotline {
  const phone = e.SUPPORT_PHONE ?? null;
  return {
    phone,
    tel: phone && phone.replace(/[^\d+]/g, ''),
    hours: e.SUPPORT_HOURS ?? null,
    qq: e.SUPPORT_QQ ?? null,
    email: e.SUPPORT_EMAIL ?? null,
    args: { phone: phone ?? NO_PHONE },
  };
}

let cached: Hotline | undefined;
/** This installation's hotline (the environment is read once per process). */
export const hotline = (): Hotline => (cached ??= hotlineFrom(env));
