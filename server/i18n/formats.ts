import type { Formats } from 'next-intl';

const clock = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;

/**
 * The app's only date and time formats, by name: every screen and every message says a time one
 * of these ways (`format.dateTime(d, 'dayTime')`, `{at, date, dayTime}` in a catalogue), each
 * locale in its own words: "12月4日 09:30" / "Dec 4, 09:30". A 24-hour clock in both locales, as
 * the exams run on Beijing time and a timetable reads "09:30", not "9:30 AM". The time zone is the
 * request config's (APP_TIME_ZONE), the same on the server and in the browser.
 */
export const formats = {
  dateTime: {
    /** 2026年12月4日 / Dec 4, 2026 */
    date: { year: 'numeric', month: 'short', day: 'numeric' },
    /** 2026年12月4日 09:30 / Dec 4, 2026, 09:30: lists that span years (exams, audit, photos). */
    dateTime: { year: 'numeric', month: 'short', day: 'numeric', ...clock },
    /** 2026年12月4日 09:30:05: a record where the second matters (the audit log). */
    dateTimeSeconds: { year: 'numeric', month: 'short', day: 'numeric', ...clock, second: '2-digit' },
    /** 12月4日 09:30 / Dec 4, 09:30: a time this season (an exam's start, a message). */
    dayTime: { month: 'short', day: 'numeric', ...clock },
    /** 09:30 */
    time: clock,
    /** 09:30:05: a clock, or an event seen live. */
    timeSeconds: { ...clock, second: '2-digit' },
  },
} satisfies Formats;

export type FormatName = keyof typeof formats.dateTime;

declare module 'next-intl' {
  interface AppConfig {
    Formats: typeof formats;
  }
}
