'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { trpc } from '@/components/providers/trpc';

/**
 * Where to go after a passed device check: the next step not done of the nearest exam still
 * ahead (the witness phone is bound on My exams, beside that exam), else back to My exams.
 */
export function NextStep() {
  const t = useTranslations('deviceCheck.next');
  const exams = trpc.exam.listMine.useQuery();
  const ahead = exams.data?.find((e) => !e.enteredAt && !e.finishedAt && e.entry !== 'closed');
  const next = ahead?.path.find((s) => s.key !== 'systemCheck' && s.key !== 'deviceCheck' && !s.done);
  const href = next?.key === 'phoneWitness' ? `/exams#phone-${ahead!.id}` : '/exams';
  const label = next?.key === 'phoneWitness' ? t('phoneWitness') : next?.key === 'notice' ? t('notice') : t('myExams');
  return (
    <Link
      href={href}
      data-testid="device-check-next"
      data-next={next?.key ?? 'myExams'}
      className="flex w-full items-center justify-center rounded-md bg-blue-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-blue-700"
    >
      {exams.data ? label : t('myExams')} →
    </Link>
  );
}
