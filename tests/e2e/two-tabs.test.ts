import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, screenshot, shareScreen } from '../helpers/journeys';
import { enterFromMyExams, openExamTab, storedAnswer, writtenExam } from '../helpers/written-exam';

const e2e = useE2eSession();

/**
 * Holds the page's answer saves on their way to the server until `release`: what the candidate
 * types meanwhile is still unsaved (pending in the page), as on a slow connection.
 */
async function holdSaves(page: Page) {
  const held: Route[] = [];
  let holding = true;
  await page.route(
    (url) => url.pathname.startsWith('/api/trpc/') && url.pathname.includes('exam.saveAnswers'),
    (route) => {
      if (holding) held.push(route);
      else void route.continue();
    },
  );
  return {
    count: () => held.length,
    release: async () => {
      holding = false;
      for (const route of held.splice(0)) await route.continue();
    },
  };
}

/** The older page is read-only: its banner is up and the paper (`input`, one on the sheet shown) takes no typing. */
async function expectReadOnly(page: Page, input = 'answer-q4') {
  await page.getByTestId('banner-other-page').waitFor({ timeout: 15_000 });
  await expect.poll(() => page.getByTestId(input).isDisabled()).toBe(true);
  await expect.poll(() => page.getByTestId('submit-exam').isDisabled()).toBe(true);
}

describe('one page holds the exam', () => {
  it('a candidate opens the exam in a second tab: the first turns read-only at once and hands over its unsaved edit; the second carries on and its edits win', async () => {
    const { exam, candidate } = await writtenExam(e2e.db);
    const stored = (q: string) => storedAnswer(e2e.db, exam.id, candidate.id, q);
    const context = await e2e.newContext();
    const first = await context.newPage();
    await loginAsCandidate(first, candidate.idNumber!, PASSWORD);
    await enterFromMyExams(first, exam.id);
    await first.getByTestId('sheet-tab-2').click();

    const saves = await holdSaves(first);
    const typedInFirst = '第一个标签页里写的，还没来得及保存';
    await first.getByTestId('answer-q4').fill(typedInFirst);
    await expect.poll(saves.count, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(stored('q4')).toBeUndefined();

    const second = await context.newPage();
    await openExamTab(second, exam.id);
    await expectReadOnly(first);

    // Nothing typed in the first tab is lost: its edit reaches the database (the tabs share the
    // browser's local copy, so the second tab may send it first; the first tab's own flush then
    // changes nothing).
    await saves.release();
    await expect.poll(() => stored('q4'), { timeout: 10_000 }).toBe(typedInFirst);
    await expect.poll(() => first.getByTestId('other-page-save').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    await screenshot(first, 'two-tabs-older-read-only-zh-CN');

    // The second tab shows it and carries on; newest revision wins.
    await second.getByTestId('sheet-tab-2').click();
    await expect.poll(() => second.getByTestId('answer-q4').inputValue()).toBe(typedInFirst);
    const typedInSecond = `${typedInFirst}；第二个标签页接着写完。`;
    await second.getByTestId('answer-q4').fill(typedInSecond);
    await second.getByTestId('sheet-tab-1').click();
    await second.getByTestId('answer-q1-2').check();
    await expect.poll(() => stored('q4'), { timeout: 10_000 }).toBe(typedInSecond);
    await expect.poll(() => stored('q1'), { timeout: 10_000 }).toBe('C');

    // The first tab takes no more typing, and nothing it still holds overwrites the newer answers.
    await expect(first.getByTestId('answer-q4').fill('第一个标签页又写了', { timeout: 1_500 })).rejects.toThrow();
    await expect(first.getByTestId('answer-q1-0').check({ timeout: 1_500 })).rejects.toThrow();
    expect(await first.getByTestId('answer-q4').inputValue()).toBe(typedInFirst);
    expect(stored('q4')).toBe(typedInSecond);
    expect(stored('q1')).toBe('C');
    await screenshot(second, 'two-tabs-newer-carries-on-zh-CN');

    // "Continue here" takes the exam back: the first tab reloads and holds it, the second turns read-only.
    await first.getByTestId('take-over').click();
    await expectReadOnly(second, 'answer-q1-0');
    // A reloaded page shares the screen again (a browser permission, not a skipped step).
    await shareScreen(first);
    await expect.poll(() => first.getByTestId('answer-q1-0').isDisabled(), { timeout: 30_000 }).toBe(false);
    await first.getByTestId('answer-q1-0').check();
    await expect.poll(() => stored('q1'), { timeout: 10_000 }).toBe('A');
  });

  it('in English, the same candidate signs in on another device: the first device turns read-only through its live stream, its held edit still reaches the database and shows on the new device', async () => {
    const { exam, candidate } = await writtenExam(e2e.db);
    const stored = (q: string) => storedAnswer(e2e.db, exam.id, candidate.id, q);
    const device = async () => {
      const context = await e2e.newContext();
      await context.addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
      const page = await context.newPage();
      await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
      return page;
    };
    const first = await device();
    await enterFromMyExams(first, exam.id);
    await first.getByTestId('sheet-tab-2').click();
    const saves = await holdSaves(first);
    const typedOnFirst = 'Typed on the laptop, not saved yet';
    await first.getByTestId('answer-q4').fill(typedOnFirst);
    await expect.poll(saves.count, { timeout: 10_000 }).toBeGreaterThan(0);

    // Another browser shares nothing with the first: only the server can tell it.
    const second = await device();
    await openExamTab(second, exam.id);
    await expectReadOnly(first);
    expect(stored('q4')).toBeUndefined();
    await screenshot(first, 'two-tabs-older-read-only-saving-en');

    // The first device's flush arrives after the second device opened: stored, and shown there.
    await saves.release();
    await expect.poll(() => stored('q4'), { timeout: 10_000 }).toBe(typedOnFirst);
    await expect.poll(() => first.getByTestId('other-page-save').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    await screenshot(first, 'two-tabs-older-read-only-en');
    await second.getByTestId('sheet-tab-2').click();
    await expect.poll(() => second.getByTestId('answer-q4').inputValue(), { timeout: 10_000 }).toBe(typedOnFirst);

    const typedOnSecond = `${typedOnFirst}; finished on the desktop.`;
    await second.getByTestId('answer-q4').fill(typedOnSecond);
    await expect.poll(() => stored('q4'), { timeout: 10_000 }).toBe(typedOnSecond);
    await expect(first.getByTestId('answer-q4').fill('more from the laptop', { timeout: 1_500 })).rejects.toThrow();
    expect(stored('q4')).toBe(typedOnSecond);
  });
});
