'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { trpc } from '@/components/providers/trpc';
import { ExamForm } from './exam-form';

/** Creates an exam, then opens its settings (files, presets) to go on preparing it. */
export function NewExam() {
  const t = useTranslations('adminExams.create');
  const router = useRouter();
  const utils = trpc.useUtils();
  const create = trpc.admin.exams.create.useMutation({
    onSuccess: (exam) => {
      void utils.admin.exams.list.invalidate();
      router.push(`/admin/exams/${exam.id}/settings`);
    },
  });
  return (
    <div className="max-w-4xl">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <p className="mb-5 mt-1 text-sm text-slate-500">{t('intro')}</p>
      <div className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <ExamForm pending={create.isPending || create.isSuccess} error={create.error} submitLabel={t('submit')} onSubmit={(v) => create.mutate(v)} />
      </div>
    </div>
  );
}
