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
    const sha = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return `${pkg.version}+${sha}`;
  } catch {
    return pkg.version;
  }
}

/**
 * The browser-side policy for every response. Scripts and styles: our own plus inline (Next's
 * bootstrap scripts and LiveKit's style injection are inline; nonces would make every page
 * dynamic), eval only for the dev server's hot reload. Media: camera/screen streams and
 * recordings play from mediastream:/blob:. Connections: our origin (tRPC, SSE, and LiveKit via
 * the --lan proxy: 'self' covers ws/wss to it), the embedded SFU on loopback (any port, as tests
 * and dev run it on different ones) and an external LIVEKIT_URL (or every LIVEKIT_URLS node)
 * known at build time.
 */
function contentSecurityPolicy() {
  const dev = process.env.NODE_ENV !== 'production';
  const livekit = [];
  // Every node of LIVEKIT_URLS (`url` or `name=url`, comma-separated): clients join and probe each.
  const urls = [process.env.LIVEKIT_URL, ...(process.env.LIVEKIT_URLS ?? '').split(',').map((e) => e.trim().replace(/^[A-Za-z0-9_.-]+=/, ''))];
  for (const url of urls.filter(Boolean)) {
    const u = new URL(url.replace(/^http/, 'ws'));
    livekit.push(u.origin, u.origin.replace(/^ws/, 'http'));
  }
  const loopback = ['ws://127.0.0.1:*', 'http://127.0.0.1:*', 'ws://localhost:*', 'http://localhost:*'];
  return [
    "default-src 'self'",
    // 'wasm-unsafe-eval': the face models run on tfjs' WebAssembly backend (components/face).
    `script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self' data:",
    `connect-src 'self' ${[...loopback, ...livekit].join(' ')}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** @type {import('next').NextConfig['headers']} */
async function headers() {
  const common = [
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'Referrer-Policy', value: 'same-origin' },
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'Permissions-Policy', value: 'camera=(self), microphone=(self), display-capture=(self), geolocation=()' },
  ];
  return [
    { source: '/:path*', headers: common },
    // Pages get the page policy. Not /api/*: Next would put it over the `sandbox` policy that the
    // routes serving bytes (recordings, attachments, stills, CSV) set on their own responses.
    { source: '/:path((?!api/).*)', headers: [{ key: 'Content-Security-Policy', value: contentSecurityPolicy() }] },
    // HSTS only where the page came over TLS (the --lan proxy or a TLS-terminating proxy says so);
    // browsers ignore it over plain HTTP anyway, and it must never pin the loopback dev setup.
    {
      source: '/:path*',
      has: [{ type: 'header', key: 'x-forwarded-proto', value: 'https' }],
      headers: [{ key: 'Strict-Transport-Security', value: 'max-age=15552000' }],
    },
  ];
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  env: { NEXT_PUBLIC_APP_VERSION: appVersion() },
  poweredByHeader: false,
  headers,
  // The dev server and the SFU are reached on 127.0.0.1 (not only localhost).
  allowedDevOrigins: ['127.0.0.1'],
  // Native modules load from node_modules at run time rather than being bundled; so does
  // prom-client, so that every route bundle of a process shares its one registry.
  serverExternalPackages: [
    'better-sqlite3',
    '@node-rs/argon2',
    'prom-client',
    'sharp',
    '@vladmandic/human',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-converter',
    '@tensorflow/tfjs-backend-wasm',
  ],
  // `npm test` type-checks the whole repo (app, server and tests) with tsc once; the build
  // need not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default withNextIntl(nextConfig);
