import type { ReactNode } from 'react';
import { CandidateOverlays } from '@/components/help/candidate-overlays';
import { HelpDockProvider } from '@/components/help/help-dock';
import { BackgroundRecordingUploads } from '@/components/recording/my-recordings';
import { requireRole } from '@/server/page-auth';

/**
 * Every candidate page — the portal, the exam and its end screen: Help and the live system
 * messages float over all of them, mounted here once so their streams survive navigation; and
 * recordings left on the device (a crash, a closed tab) upload from whichever page is open.
 */
export default async function CandidateLayout({ children }: { children: ReactNode }) {
  const user = await requireRole('candidate');
  return (
    <HelpDockProvider>
      {children}
      <CandidateOverlays />
      <BackgroundRecordingUploads candidateId={user.id} />
    </HelpDockProvider>
  );
}
