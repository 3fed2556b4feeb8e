import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '@/db/client';
import { users } from '@/db/schema';
import { startApp, type AppProcess } from '../bench/realtime-app';
import { launchBrowser, newContext } from '../helpers/browser';
import { E2E } from '../helpers/e2e-env';
import { screenshot } from '../helpers/journeys';
import { freshDb } from '../helpers/stack';

/**
 * A new installation: the production build on an empty database (migrated, no accounts), its own
 * `next start` beside the shared stack. The first admin is made in the browser.
 */
const dir = path.join(E2E.artifacts, 'first-run');
const dbPath = path.join(dir, 'first-run.db');
const PORT = 3393;

let app: AppProcess;
beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  freshDb(dbPath);
  fs.rmSync(path.join(dir, 'setup-token'), { force: true });
  app = await startApp({ port: PORT, dbPath, logFile: path.join(dir, 'app.log'), env: { DATA_DIR: dir } });
});
afterAll(async () => {
  await app?.stop();
});

describe('first run', () => {
  it('on an empty database the login page leads to /setup, which makes the first admin and opens the back office; then /setup is closed', async () => {
    const browser = await launchBrowser();
    try {
      const page = await (await newContext(browser, `http://127.0.0.1:${PORT}`)).newPage();
      await page.goto('/login');
      await page.getByTestId('setup-link').click();
      await page.waitForURL('**/setup');
      // The one-time token the server printed at start, as the operator copies it.
      const token = fs.readFileSync(path.join(dir, 'setup-token'), 'utf8').trim();
      await page.getByTestId('setup-token').fill('not-the-token');
      await page.getByTestId('setup-name').fill('系统管理员');
      await page.getByTestId('setup-username').fill('root');
      await page.getByTestId('setup-password').fill('first-admin-42');
      await page.getByTestId('setup-submit').click();
      await page.getByText('初始化口令不正确').waitFor();
      await page.getByTestId('setup-token').fill(token);
      await page.getByTestId('setup-name').fill('系统管理员');
      await page.getByTestId('setup-username').fill('root');
      await page.getByTestId('setup-password').fill('short');
      await page.getByTestId('setup-submit').click();
      await page.getByText('至少需要 8 个字符').waitFor();
      await screenshot(page, 'first-run-setup-error');
      await page.getByTestId('setup-password').fill('first-admin-42');
      await page.getByTestId('setup-submit').click();
      await page.waitForURL('**/admin/exams');
      await page.getByTestId('exams-new').waitFor();
      await screenshot(page, 'first-run-admin-home');

      const db = openDb(dbPath);
      try {
        expect(db.select({ role: users.role, username: users.username }).from(users).all()).toEqual([{ role: 'admin', username: 'root' }]);
        expect(fs.existsSync(path.join(dir, 'setup-token'))).toBe(false);
      } finally {
        db.$client.close();
      }
      // Nobody can use the page again.
      const other = await (await newContext(browser, `http://127.0.0.1:${PORT}`)).newPage();
      await other.goto('/setup');
      await other.waitForURL('**/login');
      await expect(other.getByTestId('setup-link').count()).resolves.toBe(0);
    } finally {
      await browser.close();
    }
  });
});
