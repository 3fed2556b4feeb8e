'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { httpBatchLink, httpLink, splitLink } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';
import { useState, type ReactNode } from 'react';
import superjson from 'superjson';
import type { AppRouter } from '@/server/routers/_app';
import { LiveProvider } from '../live/live-provider';

export const trpc = createTRPCReact<AppRouter>();

export function TRPCProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 10_000,
            // A user mistake (4xx) will not fix itself by retrying.
            retry: (count, err) => {
              const status = (err as { data?: { httpStatus?: number } }).data?.httpStatus ?? 500;
              return status >= 500 && count < 2;
            },
          },
        },
      }),
  );
  const [client] = useState(() =>
    trpc.createClient({
      links: [
        // Live updates do not go through tRPC: the tab's one stream is the LiveProvider's.
        // Auth calls go one per request: the server refuses them in a batch (one request, many guesses).
        splitLink({
          condition: (op) => op.path.startsWith('auth.'),
          true: httpLink({ url: '/api/trpc', transformer: superjson }),
          false: httpBatchLink({ url: '/api/trpc', transformer: superjson }),
        }),
      ],
    }),
  );
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <LiveProvider>{children}</LiveProvider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
