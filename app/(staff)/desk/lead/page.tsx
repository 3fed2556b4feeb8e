import { redirect } from 'next/navigation';
import { LeadView } from '@/components/help/lead/lead-view';
import { AppHeader } from '@/components/ui/app-header';
import { getDb } from '@/server/db';
import { requireRole } from '@/server/page-auth';
import { isLead } from '@/server/services/help-lead';

/** The 400 line's lead view: support agents marked as lead, and admins. Other agents go to their desk. */
export default async function DeskLeadPage() {
  const user = await requireRole('support');
  if (!isLead(getDb(), user)) redirect('/desk');
  return (
    <>
      <AppHeader user={user} wide />
      <LeadView />
    </>
  );
}
