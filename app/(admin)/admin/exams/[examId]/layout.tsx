import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { ExamTabs } from '@/components/admin/exam-tabs';
import { examFromParams } from '@/server/admin-http';

/** One exam in the back office: its title and the tabs of its sections. */
export default async function AdminExamLayout({ children, params }: { children: ReactNode; params: Promise<{ examId: string }> }) {
  const exam = await examFromParams(params);
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
      <ExamTabs examId={exam.id} />
      <div className="pt-5">{children}</div>
    </div>
  );
}
