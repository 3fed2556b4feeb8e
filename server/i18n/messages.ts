import { createTranslator } from 'next-intl';
import en from './messages/en';
import zhCN from './messages/zh-CN';
import { APP_TIME_ZONE, type Locale } from './config';

export const catalogues = { 'zh-CN': zhCN, en } as const;
export type Messages = typeof zhCN;

export function messagesFor(locale: Locale): Messages {
  return catalogues[locale];
}

/** A translator for server-side text (error messages), same catalogue as the pages. */
export function serverTranslator(locale: Locale) {
  return createTranslator({ locale, messages: catalogues[locale], timeZone: APP_TIME_ZONE });
}
