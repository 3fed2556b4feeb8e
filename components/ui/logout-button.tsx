'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { trpc } from '@/components/providers/trpc';
import { Button } from './button';

export function LogoutButton() {
  const t = useTranslations('app');
  const router = useRouter();
  const logout = trpc.auth.logout.useMutation({
    onSettled: () => {
      router.replace('/login');
      router.refresh();
    },
  });
  return (
    <Button variant="ghost" onClick={() => logout.mutate()} disabled={logout.isPending}>
      {t('logout')}
    </Button>
  );
}
