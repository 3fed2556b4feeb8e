'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { CandidatePhotoField } from './photo-field';

export type EditableCandidate = { candidateId: number; name: string; idNumber: string | null; phone: string | null; email: string | null };

const field =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500';

function Dialog({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId: string }) {
  const id = useId();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-4" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div role="dialog" aria-modal="true" aria-labelledby={id} className="w-full max-w-md rounded-lg bg-white p-5 shadow-xl" data-testid={testId}>
        <h2 id={id} className="mb-4 text-lg font-semibold">
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

export function EditCandidateDialog({
  examId,
  candidate,
  onClose,
  onSaved,
}: {
  examId: number;
  candidate: EditableCandidate;
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useTranslations('adminCandidates');
  const tCommon = useTranslations('admin.common');
  const errorText = useErrorText();
  const [values, setValues] = useState({
    name: candidate.name,
    idNumber: candidate.idNumber ?? '',
    phone: candidate.phone ?? '',
    email: candidate.email ?? '',
  });
  const update = trpc.admin.candidates.update.useMutation({ onSuccess: onSaved });
  const set = (k: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) => setValues({ ...values, [k]: e.target.value });
  return (
    <Dialog title={t('edit.title')} onClose={onClose} testId="candidate-edit-dialog">
      <div className="mb-4 border-b border-slate-100 pb-4">
        <CandidatePhotoField candidateId={candidate.candidateId} examId={examId} name={candidate.name} />
      </div>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ candidateId: candidate.candidateId, examId, ...values });
        }}
      >
        <Field label={t('fields.name')}>
          {(id) => <input id={id} className={field} value={values.name} onChange={set('name')} data-testid="candidate-edit-name" />}
        </Field>
        <Field label={t('fields.idNumber')}>
          {(id) => <input id={id} className={`${field} font-mono`} value={values.idNumber} onChange={set('idNumber')} data-testid="candidate-edit-id" />}
        </Field>
        <p className="text-xs text-slate-500">{t('edit.idNote')}</p>
        <Field label={t('fields.phone')}>
          {(id) => <input id={id} className={field} inputMode="tel" value={values.phone} onChange={set('phone')} data-testid="candidate-edit-phone" />}
        </Field>
        <Field label={t('fields.email')}>
          {(id) => <input id={id} className={field} type="email" value={values.email} onChange={set('email')} data-testid="candidate-edit-email" />}
        </Field>
        {update.error && <Alert>{errorText(update.error)}</Alert>}
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={onClose}>
            {tCommon('cancel')}
          </Button>
          <Button type="submit" disabled={update.isPending} data-testid="candidate-edit-save">
            {update.isPending ? tCommon('saving') : tCommon('save')}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** Sets a chosen or generated password; a generated one is shown here once, with a copy button. */
export function PasswordDialog({
  examId,
  candidate,
  onClose,
  onSet,
}: {
  examId: number;
  candidate: EditableCandidate;
  onClose: () => void;
  onSet: () => void;
}) {
  const t = useTranslations('adminCandidates.password');
  const tCommon = useTranslations('admin.common');
  const errorText = useErrorText();
  const [mode, setMode] = useState<'generate' | 'custom'>('generate');
  const [password, setPassword] = useState('');
  const [copied, setCopied] = useState(false);
  const setPw = trpc.admin.candidates.setPassword.useMutation({ onSuccess: onSet });
  const result = setPw.data;

  return (
    <Dialog title={t('title', { name: candidate.name })} onClose={onClose} testId="candidate-password-dialog">
      {result ? (
        <div className="space-y-3">
          <Alert tone="info">{t('setDone')}</Alert>
          {result.generatedPassword && (
            <div>
              <p className="mb-2 text-sm text-slate-700">{t('generated')}</p>
              <div className="flex items-center gap-2">
                <code className="flex-1 rounded-md bg-slate-100 px-3 py-2 font-mono text-lg tracking-wider" data-testid="candidate-generated-password">
                  {result.generatedPassword}
                </code>
                <Button
                  variant="secondary"
                  onClick={() => {
                    void navigator.clipboard?.writeText(result.generatedPassword!).then(() => setCopied(true));
                  }}
                >
                  {copied ? t('copied') : t('copy')}
                </Button>
              </div>
            </div>
          )}
          <div className="flex justify-end">
            <Button onClick={onClose} data-testid="candidate-password-done">
              {t('done')}
            </Button>
          </div>
        </div>
      ) : (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            setPw.mutate({ candidateId: candidate.candidateId, examId, ...(mode === 'custom' ? { password } : {}) });
          }}
        >
          <fieldset className="space-y-2 text-sm">
            {(['generate', 'custom'] as const).map((m) => (
              <label key={m} className="flex items-center gap-2">
                <input type="radio" name="pw-mode" checked={mode === m} onChange={() => setMode(m)} data-testid={`candidate-password-${m}`} />
                {t(m)}
              </label>
            ))}
          </fieldset>
          {mode === 'custom' && (
            <Field label={t('label')}>
              {(id) => (
                <input
                  id={id}
                  className={field}
                  type="text"
                  autoComplete="off"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  data-testid="candidate-password-input"
                />
              )}
            </Field>
          )}
          <p className="text-xs text-slate-500">{t('enablesLogin')}</p>
          {setPw.error && <Alert>{errorText(setPw.error)}</Alert>}
          <div className="flex justify-end gap-2 pt-2">
            <Button variant="secondary" onClick={onClose}>
              {tCommon('cancel')}
            </Button>
            <Button type="submit" disabled={setPw.isPending} data-testid="candidate-password-submit">
              {t('submit')}
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
