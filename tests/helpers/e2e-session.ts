import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { launchBrowser, newContext } from './browser';
import { e2eAppUrl, e2eDbPath } from './e2e-env';

/**
 * The shared e2e database and one browser for a test file, opened before its tests and closed
 * after them, with every context made through it. Kept apart from browser.ts, which scripts
 * outside vitest import. Read `db` and `browser` only inside tests and hooks.
 */
export function useE2eSession(): {
  readonly db: Db;
  readonly browser: Browser;
  /** A context on the app (the default desktop one, or `options` as given); closed after the file. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new default context. */
  newPage(): Promise<Page>;
} {
  let db: Db | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    db = openDb(e2eDbPath);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    db?.$client.close();
  });
  const session = {
    get db() {
      if (!db) throw new Error('useE2eSession: db is only available inside a test');
      return db;
    },
    get browser() {
      if (!browser) throw new Error('useE2eSession: browser is only available inside a test');
      return browser;
    },
    async newContext(options?: BrowserContextOptions) {
      const ctx = options ? await session.browser.newContext(options) : await newContext(session.browser, e2eAppUrl);
      contexts.push(ctx);
      return ctx;
    },
    async newPage() {
      return (await session.newContext()).newPage();
    },
  };
  return session;
}
