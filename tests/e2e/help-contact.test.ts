import { devices, type Locator, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loginAttempts } from '@/db/schema';
import { DEMO_HOTLINE } from '@/db/seed-data';
import { env } from '@/server/env';
import { loginClientSubject } from '@/server/services/auth';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, passWrittenSteps, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();
const PHONE = DEMO_HOTLINE.SUPPORT_PHONE;

async function expectHotline(scope: Page | Locator) {
  const phone = scope.getByTestId('hotline-phone').first();
  await expect.poll(() => phone.textContent()).toBe(PHONE);
  await expect(phone.getAttribute('href')).resolves.toBe(`tel:${PHONE.replace(/\D/g, '')}`);
  await expect(scope.getByTestId('hotline-hours').first().textContent()).resolves.toBe(DEMO_HOTLINE.SUPPORT_HOURS);
  await expect(scope.getByTestId('hotline-qq').first().textContent()).resolves.toBe(DEMO_HOTLINE.SUPPORT_QQ);
  await expect(scope.getByTestId('hotline-email').first().getAttribute('href')).resolves.toBe(`mailto:${DEMO_HOTLINE.SUPPORT_EMAIL}`);
}

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  if (!b) throw new Error('not on screen');
  return b;
}

describe('the hotline, before login and on the phone', () => {
  it('a candidate who cannot log in sees the number, hours, QQ and e-mail on the login page, in Chinese and in English', async () => {
    const page = await e2e.newPage();
    await page.goto('/login');
    await expectHotline(page.getByTestId('hotline'));
    // The password method's hint says to call, with the number in the sentence.
    await page.getByTestId('login-method-password').click();
    await expect.poll(() => page.getByText('如无法登录，请拨打客服热线').textContent()).toContain(PHONE);
    await screenshot(page, 'hotline-login-zh-1366');

    await page.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await page.reload();
    await expect.poll(() => page.getByTestId('hotline').textContent()).toContain('Candidate hotline');
    await expectHotline(page.getByTestId('hotline'));
    await page.getByTestId('login-method-password').click();
    await expect.poll(() => page.getByText('If you cannot log in, call the hotline on').textContent()).toContain(PHONE);
    await screenshot(page, 'hotline-login-en-1366');
  });

  it('a candidate whose network is locked out after too many failed logins is told the number to call', async () => {
    // A client address of this test's own (the app believes X-Forwarded-For from loopback
    // without trusted proxies), so the lockout touches no other test.
    const client = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const ctx = await e2e.newContext({ baseURL: e2eAppUrl, locale: 'zh-CN', extraHTTPHeaders: { 'x-forwarded-for': client } });
    const page = await ctx.newPage();
    const now = new Date();
    e2e.db
      .insert(loginAttempts)
      .values(Array.from({ length: env.LOGIN_CLIENT_MAX_FAILURES }, () => ({ subject: loginClientSubject(client), succeeded: false, at: now })))
      .run();
    await page.goto('/login');
    await page.getByTestId('login-method-password').click();
    await page.locator('input[name=idNumber]').fill('110105199001011234');
    await page.locator('input[name=password]').fill('wrong-password');
    await page.locator('button[type=submit]').click();
    const alert = page.getByRole('alert').filter({ hasText: '登录失败次数过多' });
    await expect.poll(() => alert.textContent()).toContain(`拨打客服热线 ${PHONE}`);
    await screenshot(page, 'hotline-login-throttled-zh');
  });

  it("the witness phone's page shows the hotline before the phone is bound", async () => {
    const ctx = await e2e.newContext({ ...devices['Pixel 7'], baseURL: e2eAppUrl, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await page.goto('/phone');
    await page.getByTestId('phone-bind-form').waitFor();
    await expectHotline(page.getByTestId('phone-page'));
    await screenshot(page, 'hotline-phone-page');
  });
});

describe('the help panel on the exam page', () => {
  it('a candidate mid-exam opens Help: it docks beside the paper and covers neither the time left nor the submit button; its toggle says what it does', async () => {
    const { exam, candidates } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 60 } });
    makeQuestionSheet(e2e.db, exam.id);
    const page = await e2e.newPage();
    await loginAsCandidate(page, candidates[0]!.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);
    await passWrittenSteps(page);
    await page.getByTestId('answer-q1').waitFor({ timeout: 20_000 });

    for (const viewport of [
      { width: 1366, height: 768 },
      { width: 1280, height: 720 },
    ]) {
      await page.setViewportSize(viewport);
      const closed = page.getByRole('button', { name: '求助', exact: true });
      await expect(closed.getAttribute('aria-expanded')).resolves.toBe('false');
      // Closed, the button sits in the exam's header, clear of everything on the page.
      const closedBox = await box(closed);
      const header = page.getByTestId('exam-room').locator('header');
      for (const [name, target] of [
        ['remaining-time', page.getByTestId('remaining-time')],
        ['submit-exam', page.getByTestId('submit-exam')],
        ['connection-state', page.getByTestId('connection-state')],
        ['language', header.locator('select')],
      ] as const) {
        expect(overlaps(await box(target), closedBox), `${name} under the closed button at ${viewport.width}`).toBe(false);
      }
      await screenshot(page, `help-closed-exam-${viewport.width}`);
      await closed.click();

      const panel = page.getByTestId('help-panel');
      await panel.waitFor();
      const toggle = page.getByRole('button', { name: '关闭帮助', exact: true });
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      await expect.poll(() => page.getByTestId('help-widget').getAttribute('data-docked')).toBe('true');
      // The page narrowed beside the dock (its layout settles after the open).
      const panelBox = await box(panel);
      const toggleBox = await box(toggle);
      for (const id of ['remaining-time', 'submit-exam', 'answer-q1']) {
        const target = page.getByTestId(id);
        await expect.poll(async () => overlaps(await box(target), panelBox), { message: `${id} under the panel at ${viewport.width}` }).toBe(false);
        expect(overlaps(await box(target), toggleBox), `${id} under the toggle at ${viewport.width}`).toBe(false);
        // And still on screen.
        const b = await box(target);
        expect(b.x + b.width).toBeLessThanOrEqual(viewport.width);
      }
      // The page itself does not scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      // The hotline is in the panel's header too.
      await expect.poll(() => panel.getByTestId('hotline-phone').textContent()).toBe(PHONE);
      await screenshot(page, `help-docked-exam-${viewport.width}`);

      await toggle.click();
      await expect.poll(() => panel.count()).toBe(0);
      await expect(closed.getAttribute('aria-expanded')).resolves.toBe('false');
    }

    // In English, on a portal page (where Help floats): the same toggle, named for what it does.
    await page.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await page.goto('/exams');
    await page.getByRole('button', { name: 'Help', exact: true }).click();
    await page.getByTestId('help-panel').waitFor();
    await expect(page.getByRole('button', { name: 'Close help', exact: true }).getAttribute('aria-expanded')).resolves.toBe('true');
    await expect.poll(() => page.getByTestId('help-widget').getAttribute('data-docked')).toBe('false');
    await screenshot(page, 'help-floating-portal-en');
  });
});
