/**
 * Exam times are entered and shown in China Standard Time (UTC+8, no daylight saving), whatever
 * the admin's computer is set to: a `datetime-local` value is read as +08:00, not as the
 * browser's zone.
 */
const OFFSET_MS = 8 * 60 * 60_000;

/** 'YYYY-MM-DDTHH:mm' in Beijing time, for a datetime-local input. */
export const toInputValue = (d: Date) => new Date(d.getTime() + OFFSET_MS).toISOString().slice(0, 16);

/** The instant a datetime-local value names in Beijing time, or null when incomplete. */
export function fromInputValue(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const d = new Date(`${value}:00+08:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}
