import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { ReactNode } from 'react';
import { ExamTabs } from '@/components/admin/exam-tabs';
import { getDb } from '@/server/db';
import { AppError } from '@/server/errors';
import { examOrThrow } from '@/server/services/admin/common';

/** One exam in the back office: its title and the tabs of its sections. */
export default async function AdminExamLayout({ children, params }: { children: ReactNode; params: Promise<{ examId: string }> }) {
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  let exam;
  try {
    exam = examOrThrow(getDb(), examId);
  } catch (err) {
    if (err instanceof AppError) notFound();
    throw err;
  }
  const t = await getTranslations('admin');
  return (
    <div>
      <Link href="/admin/exams" className="text-sm text-slate-500 hover:text-slate-800">
        {t('backToExams')}
      </Link>
      <div className="mt-1 flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold" data-testid="admin-exam-title">
          {exam.title}
        </h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">{t(`kind.${exam.kind}`)}</span>
        {exam.archivedAt && <span className="rounded bg-amber-100 px-2 py-0.5 text-xs text-amber-800">{t('archived')}</span>}
      </div>
      <ExamTabs examId={examId} />
      <div className="pt-5">{children}</div>
    </div>
  );
}
