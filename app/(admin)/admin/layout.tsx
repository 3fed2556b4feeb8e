import type { ReactNode } from 'react';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

/** The back office: admins only (requireRole with no roles lets only admins through). */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireRole();
  return (
    <>
      <AppHeader user={user} wide />
      <main className="mx-auto max-w-[1920px] px-4 py-6">{children}</main>
    </>
  );
}
