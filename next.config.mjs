import createNextIntlPlugin from 'next-intl/plugin';

const withNextIntl = createNextIntlPlugin('./server/i18n/request.ts');

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native modules load from node_modules at run time rather than being bundled.
  serverExternalPackages: ['better-sqlite3', '@node-rs/argon2'],
  // `npm test` type-checks the whole repo (app, server and tests) with tsc once; the build
  // need not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default withNextIntl(nextConfig);
