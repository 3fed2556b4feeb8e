/** This build's version; the same value is baked into the pages it serves. */
export const APP_VERSION = process.env.NEXT_PUBLIC_APP_VERSION ?? 'dev';

export function systemInfo() {
  // The hotline is not here: pages have it from the root layout (server/hotline.ts).
  return { version: APP_VERSION };
}
