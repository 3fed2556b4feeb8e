import { createFormatter } from 'next-intl';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { APP_TIME_ZONE, type Locale } from '@/server/i18n/config';
import { formats, type FormatName } from '@/server/i18n/formats';
import { makeQuestionSheet, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { loginAsCandidate, loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

/** What the app's named format says for this instant, computed here as the pages compute it. */
const said = (locale: Locale, at: Date, name: FormatName) => createFormatter({ locale, timeZone: APP_TIME_ZONE, formats }).dateTime(at, name);

async function pageIn(locale: Locale) {
  const context = await e2e.newContext();
  if (locale === 'en') await context.addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
  return context.newPage();
}

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

describe('one way to say things', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`${locale}: the candidate's exam list says times in the named format, and the exam header labels the current time as the server's`, async () => {
      const { exam, candidates } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { opensIn: -10, closesIn: 60, startsIn: -1, durationMinutes: 60 } });
      makeQuestionSheet(e2e.db, exam.id);
      const page = await pageIn(locale);
      await loginAsCandidate(page, candidates[0]!.idNumber!, PASSWORD);

      await expect.poll(() => text(page, `exam-${exam.id}`), { timeout: 15_000 }).toContain(said(locale, exam.startsAt, 'dayTime'));
      await screenshot(page, `say-my-exams-${locale}`);

      await page.goto(`/exams/${exam.id}`);
      await page.getByTestId('exam-room').waitFor({ timeout: 30_000 });
      const header = page.getByTestId('exam-room').locator('header').first();
      await expect
        .poll(() => header.innerText(), { timeout: 10_000 })
        .toMatch(locale === 'en' ? /Server time\s*\d\d:\d\d:\d\d/ : /服务器时间\s*\d\d:\d\d:\d\d/);
      await screenshot(page, `say-exam-room-${locale}`);
    });
  }

  it('en: staff pages say "1 candidate" and the same formats: the invigilator\'s rooms and the back-office exam list', async () => {
    const { exam, room, invigilator } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: 60 } });
    const staff = await pageIn('en');
    await loginAsStaff(staff, invigilator.username!, PASSWORD);
    await staff.goto('/rooms');
    await expect.poll(() => text(staff, `room-${room.id}`), { timeout: 15_000 }).toContain('1 candidate ·');
    expect(await text(staff, `room-${room.id}`)).toContain(said('en', exam.startsAt, 'dayTime'));
    await screenshot(staff, 'say-rooms-en');

    const admin = await makeStaff(e2e.db, 'admin');
    for (const locale of ['zh-CN', 'en'] as const) {
      const page = await pageIn(locale);
      await loginAsStaff(page, admin.username!, PASSWORD);
      await page.goto('/admin/exams');
      await expect.poll(() => text(page, `exam-row-${exam.id}`), { timeout: 15_000 }).toContain(said(locale, exam.startsAt, 'dateTime'));
      await screenshot(page, `say-admin-exams-${locale}`);
    }
  });
});
