import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { isSameOrigin, readBodyCapped, refusal, trpcBodyMax, trpcPaths } from '@/server/auth/request-guards';
import { appRouter } from '@/server/routers/_app';
import { createContext } from '@/server/trpc/init';

export const dynamic = 'force-dynamic';

const handle = (req: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext,
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'} failed`, error);
    },
  });

export const GET = handle;

/** Mutations: checked (origin, batching, size) before the session is read or the body parsed. */
export async function POST(req: Request) {
  if (!isSameOrigin(req.headers)) return refusal(req, 403, 'request.crossSite');
  const paths = trpcPaths(new URL(req.url));
  // One HTTP request must not carry many guesses past the per-request checks.
  if (paths.length > 1 && paths.some((p) => p.startsWith('auth.') || p.startsWith('face.'))) return refusal(req, 400, 'auth.batchRefused');
  const read = await readBodyCapped(req, trpcBodyMax(paths));
  if (!read.ok) return refusal(req, 413, 'request.tooLarge');
  return handle(new Request(req.url, { method: 'POST', headers: req.headers, body: read.body as BodyInit, signal: req.signal }));
}
