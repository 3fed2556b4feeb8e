import type { ReactNode } from 'react';
import { AppHeader } from '@/components/ui/app-header';

/**
 * The frame of the candidate portal. Placeholder until the portal navigation lands: header only.
 */
export async function CandidateShell({ userName, children }: { userName: string; children: ReactNode }) {
  return (
    <>
      <AppHeader userName={userName} />
      <main className="mx-auto max-w-5xl px-4 py-6">{children}</main>
    </>
  );
}
