import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import createNextIntlPlugin from 'next-intl/plugin';

const withNextIntl = createNextIntlPlugin('./server/i18n/request.ts');

/**
 * The app's version, baked into both the server and the client bundles of one build. A page
 * whose baked version differs from the server's is from an older deployment and asks for a
 * reload (the web form of the desktop client's "update"). Deterministic per commit, so every
 * evaluation of this file in one build agrees.
 */
function appVersion() {
  if (process.env.APP_VERSION) return process.env.APP_VERSION;
  const pkg = JSON.parse(fs.readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return `${pkg.version}+${sha}`;
  } catch {
    return pkg.version;
  }
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  env: { NEXT_PUBLIC_APP_VERSION: appVersion() },
  poweredByHeader: false,
  // The dev server and the SFU are reached on 127.0.0.1 (not only localhost).
  allowedDevOrigins: ['127.0.0.1'],
  // Native modules load from node_modules at run time rather than being bundled.
  serverExternalPackages: ['better-sqlite3', '@node-rs/argon2'],
  // `npm test` type-checks the whole repo (app, server and tests) with tsc once; the build
  // need not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default withNextIntl(nextConfig);
