import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  // Fake camera, microphone and screen: getDisplayMedia returns a test pattern without a picker.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  // Several pages play video at once in one headless browser; none of them may be throttled.
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

const switchName = (flag: string) => flag.split('=')[0];

/**
 * `executablePath` runs Chromium through a wrapper (a network namespace of a fault test's own);
 * `args` are added to the flags above, and one naming a switch above replaces it (Chromium keeps
 * the first of two, e.g. another `--autoplay-policy=`). `realScreenPicker` leaves out the fake
 * picker: a screen request then opens Chromium's own picker, which headless mode cannot show or
 * answer, so the request stays pending (camera and microphone still work: contexts grant them).
 */
export function launchBrowser({
  executablePath = CHROMIUM,
  args = [],
  realScreenPicker = false,
}: { executablePath?: string; args?: string[]; realScreenPicker?: boolean } = {}): Promise<Browser> {
  const flags = realScreenPicker ? FLAGS.filter((f) => f !== '--use-fake-ui-for-media-stream') : FLAGS;
  const kept = flags.filter((f) => !args.some((a) => switchName(a) === switchName(f)));
  return chromium.launch({ executablePath, headless: true, args: [...kept, ...args] });
}

export function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    permissions: ['camera', 'microphone'],
  });
}
