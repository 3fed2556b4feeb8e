'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { trpc } from '@/components/providers/trpc';
import { UploadProgress } from '@/components/recording/upload-progress';
import { Alert } from '@/components/ui/alert';
import { LanguageSwitcher } from '@/components/ui/language-switcher';
import { useErrorText } from '@/components/ui/use-error-text';
import type { ExamSession } from './exam-steps';

/**
 * After the exam: what happened, what comes next. The exam page shows this once the candidate has
 * finished (its media is already stopped by then); the recordings still on this device upload
 * from here, with a progress bar. "Back to home" is for special cases only.
 */
export function ExamDoneView({ session, candidateId }: { session: ExamSession; candidateId: number }) {
  const t = useTranslations('examRoom.done');
  const format = useFormatter();
  const reason = session.registration.finishReason ?? 'submitted';
  const heading = session.exam.kind === 'written' ? reason : reason === 'timeout' ? 'interviewTimeout' : reason === 'staff' ? 'staff' : 'ended';
  const finishedAt = session.registration.finishedAt;

  return (
    <div className="flex min-h-screen flex-col bg-slate-100">
      <header className="flex h-12 items-center gap-4 border-b border-slate-200 bg-white px-4">
        <span className="font-semibold text-slate-900">{session.exam.title}</span>
        <span className="ml-auto" />
        <LanguageSwitcher />
      </header>
      <main className="flex flex-1 items-start justify-center px-4 py-12">
        <div className="w-full max-w-xl rounded-lg border border-slate-200 bg-white p-8 shadow-sm" data-testid="exam-done" data-reason={reason}>
          <div className="flex items-center gap-3">
            <span aria-hidden className="flex h-10 w-10 items-center justify-center rounded-full bg-green-100 text-xl text-green-700">
              ✓
            </span>
            <div>
              <h1 className="text-xl font-semibold text-slate-900">{t(`title.${heading}`)}</h1>
              {finishedAt && <p className="text-sm text-slate-500">{t('at', { time: format.dateTime(finishedAt, 'dayTime') })}</p>}
            </div>
          </div>
          <div className="mt-6">
            <UploadProgress candidateId={candidateId} />
          </div>
          <h2 className="mt-6 text-sm font-medium text-slate-700">{t('next')}</h2>
          <ol className="mt-2 list-decimal space-y-1.5 pl-5 text-sm text-slate-600">
            <li>{t('recordings')}</li>
            <li>{t('results')}</li>
            <li>{t('keepPhone')}</li>
          </ol>
          <div className="mt-8 border-t border-slate-100 pt-4 text-right">
            <Link href="/exams" data-testid="back-home" className="text-xs text-slate-400 hover:text-slate-600 hover:underline">
              {t('backHome')}
            </Link>
          </div>
        </div>
      </main>
    </div>
  );
}

/** `/exams/<id>/done`: the same screen, reached right after finishing (or by a reload there). */
export function ExamDone({ examId, candidateId }: { examId: number; candidateId: number }) {
  const router = useRouter();
  const errorText = useErrorText();
  const session = trpc.exam.session.useQuery({ examId });
  const finished = session.data?.phase === 'finished';

  useEffect(() => {
    // Not finished yet (an old bookmark, a back button): the exam page is where to be.
    if (session.data && !finished) router.replace(`/exams/${examId}`);
  }, [session.data, finished, examId, router]);

  if (session.error)
    return (
      <main className="mx-auto max-w-xl space-y-4 px-4 py-16">
        <Alert>{errorText(session.error)}</Alert>
      </main>
    );
  if (!session.data || !finished) return null;
  return <ExamDoneView session={session.data} candidateId={candidateId} />;
}
