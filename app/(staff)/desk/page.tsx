import { HelpDesk } from '@/components/help/desk/help-desk';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

/** The help desk: support agents; invigilators see their rooms' candidates; admins everything. */
export default async function DeskPage({ searchParams }: { searchParams: Promise<{ thread?: string }> }) {
  const user = await requireRole('support', 'invigilator');
  const thread = Number((await searchParams).thread);
  return (
    <>
      <AppHeader user={user} wide />
      <HelpDesk
        me={{ id: user.id, name: user.name, role: user.role as 'invigilator' | 'support' | 'admin' }}
        initialThreadId={Number.isInteger(thread) && thread > 0 ? thread : null}
      />
    </>
  );
}
