'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useId, useState, type ReactNode } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { fromInputValue, toInputValue } from './time';

export type ExamFormValues = {
  title: string;
  kind: 'written' | 'interview';
  entryOpensAt: Date;
  entryClosesAt: Date;
  startsAt: Date;
  durationMinutes: number;
  notice: string;
  retentionDays: number;
} & PathSettings;
type Field = keyof ExamFormValues;

/** The guided path's per-exam settings: which steps block a first entry, and the camera step on return. */
const PATH_SETTINGS = ['deviceCheckRequired', 'phoneWitnessRequired', 'cameraRecheckOnReturn'] as const;
type PathSettings = Record<(typeof PATH_SETTINGS)[number], boolean>;
/** A new exam's defaults, as the server's (services/admin/exams.ts NEW_EXAM_PATH). */
const NEW_EXAM_PATH: PathSettings = { deviceCheckRequired: true, phoneWitnessRequired: false, cameraRecheckOnReturn: true };

type Draft = {
  title: string;
  kind: 'written' | 'interview';
  entryOpensAt: string;
  entryClosesAt: string;
  startsAt: string;
  durationMinutes: string;
  notice: string;
  retentionDays: string;
} & PathSettings;

const fieldClass =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500 disabled:bg-slate-100 disabled:text-slate-500';

/** Which field a service error is about, so it is shown beside that field. */
const FIELD_OF_ERROR: Record<string, Field> = {
  'adminExams.opensBeforeCloses': 'entryClosesAt',
  'adminExams.opensBeforeStart': 'entryOpensAt',
  'adminExams.closesBeforeEnd': 'entryClosesAt',
  'adminExams.durationRange': 'durationMinutes',
  'adminExams.retentionRange': 'retentionDays',
  'adminExams.locked.kind': 'kind',
  'adminExams.locked.entryOpensAt': 'entryOpensAt',
  'adminExams.locked.startsAt': 'startsAt',
  'adminExams.locked.durationMinutes': 'durationMinutes',
  'adminExams.locked.notice': 'notice',
  'adminExams.locked.entryClosesAtEarlier': 'entryClosesAt',
};

type MutationError = { message?: string; data?: { appCode?: string | null; fieldErrors?: Record<string, string> | null } | null } | null;

/**
 * The exam's fields, for creating and editing. Times are Beijing time. `locked` fields are shown
 * disabled with the reason; the server applies the same rule and words a refusal by field.
 */
export function ExamForm({
  initial,
  locked = [],
  disabled = false,
  pending,
  error,
  submitLabel,
  onSubmit,
}: {
  initial?: ExamFormValues;
  locked?: readonly string[];
  disabled?: boolean;
  pending: boolean;
  error: MutationError;
  submitLabel: string;
  onSubmit: (values: ExamFormValues) => void;
}) {
  const t = useTranslations('adminExams.form');
  const tAdmin = useTranslations('admin');
  const format = useFormatter();
  const errorText = useErrorText();
  const [draft, setDraft] = useState<Draft>(() => ({
    title: initial?.title ?? '',
    kind: initial?.kind ?? 'written',
    entryOpensAt: initial ? toInputValue(initial.entryOpensAt) : '',
    entryClosesAt: initial ? toInputValue(initial.entryClosesAt) : '',
    startsAt: initial ? toInputValue(initial.startsAt) : '',
    durationMinutes: String(initial?.durationMinutes ?? 120),
    notice: initial?.notice ?? '',
    retentionDays: String(initial?.retentionDays ?? 90),
    deviceCheckRequired: initial?.deviceCheckRequired ?? NEW_EXAM_PATH.deviceCheckRequired,
    phoneWitnessRequired: initial?.phoneWitnessRequired ?? NEW_EXAM_PATH.phoneWitnessRequired,
    cameraRecheckOnReturn: initial?.cameraRecheckOnReturn ?? NEW_EXAM_PATH.cameraRecheckOnReturn,
  }));
  const [missing, setMissing] = useState<Partial<Record<Field, string>>>({});
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const appCode = error?.data?.appCode ?? '';
  const serverField = FIELD_OF_ERROR[appCode];
  const fieldError = (f: Field) => missing[f] ?? error?.data?.fieldErrors?.[f] ?? (serverField === f ? (error?.message ?? undefined) : undefined);
  const generalError = error && !serverField && !Object.keys(error.data?.fieldErrors ?? {}).length ? errorText(error) : null;

  const startsAt = fromInputValue(draft.startsAt);
  const duration = Number(draft.durationMinutes);
  const endsAt = startsAt && Number.isInteger(duration) && duration > 0 ? new Date(startsAt.getTime() + duration * 60_000) : null;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    // An untouched time keeps its exact instant: the input shows minutes, a stored time may have seconds.
    const time = (f: 'entryOpensAt' | 'entryClosesAt' | 'startsAt') =>
      initial && draft[f] === toInputValue(initial[f]) ? initial[f] : fromInputValue(draft[f]);
    const times = { entryOpensAt: time('entryOpensAt'), entryClosesAt: time('entryClosesAt'), startsAt: time('startsAt') };
    const gaps: Partial<Record<Field, string>> = {};
    for (const [k, v] of Object.entries(times)) if (!v) gaps[k as Field] = t('timeRequired');
    if (draft.durationMinutes.trim() === '' || !Number.isFinite(duration)) gaps.durationMinutes = t('numberRequired');
    if (draft.retentionDays.trim() === '' || !Number.isFinite(Number(draft.retentionDays))) gaps.retentionDays = t('numberRequired');
    setMissing(gaps);
    if (Object.keys(gaps).length) return;
    onSubmit({
      title: draft.title,
      kind: draft.kind,
      entryOpensAt: times.entryOpensAt!,
      entryClosesAt: times.entryClosesAt!,
      startsAt: times.startsAt!,
      durationMinutes: duration,
      notice: draft.notice,
      retentionDays: Number(draft.retentionDays),
      deviceCheckRequired: draft.deviceCheckRequired,
      phoneWitnessRequired: draft.phoneWitnessRequired,
      cameraRecheckOnReturn: draft.cameraRecheckOnReturn,
    });
  }

  const isLocked = (f: Field) => disabled || locked.includes(f);

  return (
    <form onSubmit={submit} noValidate className="space-y-5" data-testid="exam-form">
      <Row label={t('title')} error={fieldError('title')}>
        {(id) => (
          <input
            id={id}
            className={fieldClass}
            value={draft.title}
            maxLength={200}
            disabled={isLocked('title')}
            onChange={(e) => set('title', e.target.value)}
            data-testid="exam-title-input"
          />
        )}
      </Row>

      <fieldset disabled={isLocked('kind')}>
        <legend className="mb-1.5 text-sm font-medium text-slate-700">{t('kind')}</legend>
        <div className="flex gap-2">
          {(['written', 'interview'] as const).map((k) => (
            <label
              key={k}
              className={`cursor-pointer rounded-md border px-3 py-1.5 text-sm ${draft.kind === k ? 'border-blue-600 bg-blue-50 font-medium text-blue-800' : 'border-slate-300 text-slate-700 hover:bg-slate-50'} ${isLocked('kind') ? 'cursor-not-allowed opacity-60' : ''}`}
            >
              <input
                type="radio"
                name="kind"
                value={k}
                checked={draft.kind === k}
                onChange={() => set('kind', k)}
                className="sr-only"
                data-testid={`exam-kind-${k}`}
              />
              {tAdmin(`kind.${k}`)}
            </label>
          ))}
        </div>
        {fieldError('kind') && <FieldError text={fieldError('kind')!} />}
        {locked.includes('kind') && !disabled && <LockedHint text={t('lockedHint')} />}
      </fieldset>

      <div>
        <p className="mb-2 text-sm text-slate-500">{t('timeZoneHint')}</p>
        <div className="grid gap-4 sm:grid-cols-3">
          <Row label={t('entryOpensAt')} error={fieldError('entryOpensAt')} hint={locked.includes('entryOpensAt') && !disabled ? t('lockedHint') : undefined}>
            {(id) => (
              <input
                id={id}
                type="datetime-local"
                className={fieldClass}
                value={draft.entryOpensAt}
                disabled={isLocked('entryOpensAt')}
                onChange={(e) => set('entryOpensAt', e.target.value)}
                data-testid="exam-entry-opens"
              />
            )}
          </Row>
          <Row label={t('startsAt')} error={fieldError('startsAt')} hint={locked.includes('startsAt') && !disabled ? t('lockedHint') : undefined}>
            {(id) => (
              <input
                id={id}
                type="datetime-local"
                className={fieldClass}
                value={draft.startsAt}
                disabled={isLocked('startsAt')}
                onChange={(e) => set('startsAt', e.target.value)}
                data-testid="exam-starts"
              />
            )}
          </Row>
          <Row label={t('entryClosesAt')} error={fieldError('entryClosesAt')} hint={locked.length && !disabled ? t('extendOnlyHint') : t('entryClosesHint')}>
            {(id) => (
              <input
                id={id}
                type="datetime-local"
                className={fieldClass}
                value={draft.entryClosesAt}
                disabled={isLocked('entryClosesAt')}
                onChange={(e) => set('entryClosesAt', e.target.value)}
                data-testid="exam-entry-closes"
              />
            )}
          </Row>
        </div>
      </div>

      <div className="grid gap-4 sm:grid-cols-3">
        <Row
          label={t('durationMinutes')}
          error={fieldError('durationMinutes')}
          hint={
            locked.includes('durationMinutes') && !disabled
              ? t('lockedHint')
              : endsAt
                ? t('endsAt', { time: format.dateTime(endsAt, 'dateTime') })
                : t('durationHint')
          }
        >
          {(id) => (
            <input
              id={id}
              type="number"
              min={1}
              max={600}
              step={1}
              className={fieldClass}
              value={draft.durationMinutes}
              disabled={isLocked('durationMinutes')}
              onChange={(e) => set('durationMinutes', e.target.value)}
              data-testid="exam-duration"
            />
          )}
        </Row>
        <Row label={t('retentionDays')} error={fieldError('retentionDays')} hint={t('retentionHint')}>
          {(id) => (
            <input
              id={id}
              type="number"
              min={1}
              max={3650}
              step={1}
              className={fieldClass}
              value={draft.retentionDays}
              disabled={isLocked('retentionDays')}
              onChange={(e) => set('retentionDays', e.target.value)}
              data-testid="exam-retention"
            />
          )}
        </Row>
      </div>

      <Row label={t('notice')} error={fieldError('notice')} hint={locked.includes('notice') && !disabled ? t('noticeLockedHint') : t('noticeHint')}>
        {(id) => (
          <textarea
            id={id}
            className={`${fieldClass} min-h-40`}
            value={draft.notice}
            maxLength={20_000}
            disabled={isLocked('notice')}
            onChange={(e) => set('notice', e.target.value)}
            data-testid="exam-notice"
          />
        )}
      </Row>

      <fieldset data-testid="exam-path-settings">
        <legend className="mb-1.5 text-sm font-medium text-slate-700">{t('path.title')}</legend>
        <p className="mb-2 text-xs text-slate-500">{t('path.hint')}</p>
        <div className="space-y-2">
          {PATH_SETTINGS.map((k) => (
            <label key={k} className="flex items-start gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                className="mt-0.5 h-4 w-4 rounded border-slate-300"
                checked={draft[k]}
                disabled={isLocked(k)}
                onChange={(e) => set(k, e.target.checked)}
                data-testid={`exam-${k}`}
              />
              <span>
                {t(`path.${k}`)}
                <span className="block text-xs text-slate-500">{t(`path.${k}Hint`)}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      {generalError && <Alert>{generalError}</Alert>}
      {!disabled && (
        <div className="flex justify-end">
          <Button type="submit" disabled={pending} data-testid="exam-save">
            {pending ? tAdmin('common.saving') : submitLabel}
          </Button>
        </div>
      )}
    </form>
  );
}

function Row({ label, error, hint, children }: { label: string; error?: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children(id)}
      {error ? <FieldError text={error} /> : hint ? <p className="mt-1 text-xs text-slate-500">{hint}</p> : null}
    </div>
  );
}

function FieldError({ text }: { text: string }) {
  return (
    <p className="mt-1 text-sm text-red-600" role="alert" data-testid="field-error">
      {text}
    </p>
  );
}

function LockedHint({ text }: { text: string }) {
  return <p className="mt-1 text-xs text-slate-500">{text}</p>;
}
