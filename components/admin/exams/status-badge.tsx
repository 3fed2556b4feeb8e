'use client';

import { useTranslations } from 'next-intl';

export type ExamStatus = 'upcoming' | 'open' | 'in_progress' | 'ended' | 'archived';

const TONE: Record<ExamStatus, string> = {
  upcoming: 'bg-slate-100 text-slate-700',
  open: 'bg-blue-100 text-blue-800',
  in_progress: 'bg-green-100 text-green-800',
  ended: 'bg-slate-200 text-slate-600',
  archived: 'bg-amber-100 text-amber-800',
};

export function StatusBadge({ status }: { status: ExamStatus }) {
  const t = useTranslations('adminExams.status');
  return (
    <span className={`inline-block whitespace-nowrap rounded px-2 py-0.5 text-xs font-medium ${TONE[status]}`} data-testid="exam-status" data-status={status}>
      {t(status)}
    </span>
  );
}
