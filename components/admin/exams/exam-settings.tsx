'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { AttachmentsPanel } from './attachments-panel';
import { ExamForm } from './exam-form';
import { InstructionsPanel } from './instructions-panel';
import { PresetsPanel } from './presets-panel';
import { StatusBadge } from './status-badge';

/** An exam's settings: its fields (limited once under way), notice files, preset warnings, archive and delete. */
export function ExamSettings({ examId }: { examId: number }) {
  const t = useTranslations('adminExams.settings');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const exam = trpc.admin.exams.byId.useQuery({ examId });
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const update = trpc.admin.exams.update.useMutation({
    onSuccess: () => {
      setSavedAt(Date.now());
      void utils.admin.exams.invalidate();
    },
  });

  if (exam.error) return <Alert>{errorText(exam.error)}</Alert>;
  if (!exam.data) return <p className="text-sm text-slate-500">{tAdmin('common.loading')}</p>;
  const e = exam.data;
  const archived = e.status === 'archived';

  return (
    <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <Section title={t('fields')} aside={<StatusBadge status={e.status} />} testId="settings-fields">
        {archived ? (
          <div className="mb-4">
            <Alert tone="warning">{t('archivedHint')}</Alert>
          </div>
        ) : e.underWay ? (
          <div className="mb-4" data-testid="under-way-hint">
            <Alert tone="info">{t('underWayHint')}</Alert>
          </div>
        ) : null}
        <ExamForm
          // A fresh form when the server's values change (after saving, or another admin's edit).
          key={`${e.id}-${e.underWay}-${archived}`}
          initial={e}
          locked={e.lockedFields}
          disabled={archived}
          pending={update.isPending}
          error={update.error}
          submitLabel={tAdmin('common.save')}
          onSubmit={(v) => {
            setSavedAt(null);
            update.mutate({ examId, ...v });
          }}
        />
        {savedAt && !update.isPending && !update.error && (
          <p className="mt-2 text-right text-sm text-green-700" data-testid="exam-saved">
            {tAdmin('common.saved')}
          </p>
        )}
      </Section>

      <div className="space-y-6">
        <Section title={t('attachments')} testId="settings-attachments">
          <AttachmentsPanel examId={examId} locked={archived || e.underWay} />
        </Section>
        <Section title={t('instructions')} testId="settings-instructions">
          <InstructionsPanel examId={examId} />
        </Section>
        <Section title={t('presets')} testId="settings-presets">
          <PresetsPanel examId={examId} locked={archived} />
        </Section>
        <Section title={t('archiveOrDelete')} testId="settings-danger">
          <DangerZone exam={e} />
        </Section>
      </div>
    </div>
  );
}

function Section({ title, aside, testId, children }: { title: string; aside?: ReactNode; testId: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid={testId}>
      <div className="mb-4 flex items-center gap-3">
        <h2 className="flex-1 text-lg font-semibold">{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

type ExamDetail = { id: number; status: string; history: string[]; canDelete: boolean; title: string };

/** Archive (or unarchive) and delete, each behind an inline confirmation. */
function DangerZone({ exam }: { exam: ExamDetail }) {
  const t = useTranslations('adminExams.danger');
  const tHistory = useTranslations('adminExams.history');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const router = useRouter();
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState<'archive' | 'delete' | null>(null);
  const done = () => {
    setConfirming(null);
    void utils.admin.exams.invalidate();
    router.refresh();
  };
  const archive = trpc.admin.exams.archive.useMutation({ onSuccess: done });
  const unarchive = trpc.admin.exams.unarchive.useMutation({ onSuccess: done });
  const remove = trpc.admin.exams.delete.useMutation({
    onSuccess: () => {
      void utils.admin.exams.list.invalidate();
      router.push('/admin/exams');
    },
  });
  const error = archive.error ?? unarchive.error ?? remove.error;
  const archived = exam.status === 'archived';
  const running = exam.status === 'open' || exam.status === 'in_progress';

  return (
    <div className="space-y-4 text-sm">
      {archived ? (
        <div className="flex flex-wrap items-center gap-3">
          <p className="flex-1 text-slate-600">{t('archivedText')}</p>
          <Button variant="secondary" onClick={() => unarchive.mutate({ examId: exam.id })} disabled={unarchive.isPending} data-testid="exam-unarchive">
            {t('unarchive')}
          </Button>
        </div>
      ) : (
        <div>
          <p className="text-slate-600">{running ? t('archiveRunning') : t('archiveText')}</p>
          {confirming === 'archive' ? (
            <Confirm
              text={t('archiveConfirm', { title: exam.title })}
              action={tAdmin('common.archive')}
              pending={archive.isPending}
              onConfirm={() => archive.mutate({ examId: exam.id })}
              onCancel={() => setConfirming(null)}
              testId="exam-archive-confirm"
            />
          ) : (
            <Button variant="secondary" className="mt-2" disabled={running} onClick={() => setConfirming('archive')} data-testid="exam-archive">
              {t('archive')}
            </Button>
          )}
        </div>
      )}

      <div className="border-t border-slate-100 pt-4">
        {exam.canDelete ? (
          <p className="text-slate-600">{t('deleteText')}</p>
        ) : (
          <div data-testid="exam-history">
            <p className="text-slate-600">{t('hasHistory')}</p>
            <ul className="mt-1 list-inside list-disc text-slate-500">
              {exam.history.map((h) => (
                <li key={h}>{tHistory(h as 'entered')}</li>
              ))}
            </ul>
          </div>
        )}
        {confirming === 'delete' ? (
          <Confirm
            text={t('deleteConfirm', { title: exam.title })}
            action={tAdmin('common.delete')}
            danger
            pending={remove.isPending}
            onConfirm={() => remove.mutate({ examId: exam.id })}
            onCancel={() => setConfirming(null)}
            testId="exam-delete-confirm"
          />
        ) : (
          <Button variant="danger" className="mt-2" disabled={!exam.canDelete} onClick={() => setConfirming('delete')} data-testid="exam-delete">
            {t('delete')}
          </Button>
        )}
      </div>
      {error && <Alert>{errorText(error)}</Alert>}
    </div>
  );
}

function Confirm({
  text,
  action,
  danger,
  pending,
  onConfirm,
  onCancel,
  testId,
}: {
  text: string;
  action: string;
  danger?: boolean;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  const tAdmin = useTranslations('admin');
  return (
    <div
      role="alertdialog"
      className={`mt-2 rounded-md border p-3 ${danger ? 'border-red-200 bg-red-50' : 'border-amber-200 bg-amber-50'}`}
      data-testid={testId}
    >
      <p className="font-medium text-slate-800">{text}</p>
      <div className="mt-2 flex gap-2">
        <Button variant={danger ? 'danger' : 'primary'} disabled={pending} onClick={onConfirm} data-testid={`${testId}-yes`}>
          {action}
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          {tAdmin('common.cancel')}
        </Button>
      </div>
    </div>
  );
}
