import type { Page } from 'playwright-core';

/**
 * An init script (`context.addInitScript(countCaptures)`) that counts the page's capture calls
 * across its documents (sessionStorage). Headless fake media would hand out a new screen
 * silently; a real browser would ask the candidate to click, so fault tests count the calls.
 */
export function countCaptures() {
  const md = navigator.mediaDevices;
  if (!md) return;
  const count = (key: string) => {
    try {
      sessionStorage.setItem(key, String(Number(sessionStorage.getItem(key) ?? 0) + 1));
    } catch {
      // about:blank has no storage; nothing is captured there.
    }
  };
  const display = md.getDisplayMedia.bind(md);
  const user = md.getUserMedia.bind(md);
  md.getDisplayMedia = (o) => (count('__displayCaptures'), display(o));
  md.getUserMedia = (o) => (count('__userCaptures'), user(o));
}

/** Screen (`display`) and camera/microphone (`user`) captures the page asked for so far. */
export const capturesOn = (page: Page) =>
  page.evaluate(() => ({ display: Number(sessionStorage.getItem('__displayCaptures') ?? 0), user: Number(sessionStorage.getItem('__userCaptures') ?? 0) }));
