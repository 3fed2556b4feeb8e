import { cookies } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { APP_TIME_ZONE, LOCALE_COOKIE, toLocale } from './config';
import { formats } from './formats';
import { messagesFor } from './messages';

// No locale in the URL: the choice lives in a cookie, zh-CN by default, as most users are in China.
export default getRequestConfig(async () => {
  const fromCookie = (await cookies()).get(LOCALE_COOKIE)?.value;
  const locale = toLocale(fromCookie);
  return { locale, messages: messagesFor(locale), timeZone: APP_TIME_ZONE, formats };
});
