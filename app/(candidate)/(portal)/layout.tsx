import type { ReactNode } from 'react';
import { CandidateShell } from '@/components/candidate/candidate-shell';
import { requireRole } from '@/server/page-auth';

/** Every candidate page outside the exam itself: navigation and message badge (Help comes from the candidate layout above). */
export default async function PortalLayout({ children }: { children: ReactNode }) {
  const user = await requireRole('candidate');
  return <CandidateShell userName={user.name}>{children}</CandidateShell>;
}
