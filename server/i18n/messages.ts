import { createTranslator } from 'next-intl';
import en from './messages/en';
import zhCN from './messages/zh-CN';
import { APP_TIME_ZONE, type Locale } from './config';
import { formats } from './formats';

export type Messages = typeof zhCN;
/** English must have every key Chinese has: a missing translation is a type error. */
export const catalogues: Record<Locale, Messages> = { 'zh-CN': zhCN, en };

export function messagesFor(locale: Locale): Messages {
  return catalogues[locale];
}

/** A translator for server-side text (error messages), same catalogue as the pages. */
export function serverTranslator(locale: Locale) {
  return createTranslator({ locale, messages: catalogues[locale], timeZone: APP_TIME_ZONE, formats });
}
