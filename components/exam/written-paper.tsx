'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { AnswerValue, QueueState } from './answers-queue';
import { SheetTabs } from './exam-sheet-tabs';
import { SheetBody } from './sheet-body';
import type { Sheet } from './exam-questions';

type Question = Sheet['questions'][number];
export type NumberedQuestion = Question & { number: number; sheet: number };

/** Questions numbered through the whole paper (the navigator and the submit dialog use these). */
export function numberQuestions(sheets: Sheet[]): NumberedQuestion[] {
  let n = 0;
  return sheets.flatMap((s, sheet) => s.questions.map((q) => ({ ...q, number: ++n, sheet })));
}

export function isAnswered(value: AnswerValue | undefined) {
  if (value === undefined) return false;
  return Array.isArray(value) ? value.length > 0 : value.trim().length > 0;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function SaveStatus({ state }: { state: QueueState }) {
  const t = useTranslations('written.save');
  const format = useFormatter();
  const dot = { saved: 'bg-green-500', saving: 'bg-blue-500 animate-pulse', queued: 'bg-amber-500', error: 'bg-red-500' }[state.status];
  const text =
    state.status === 'saving'
      ? t('saving')
      : state.status === 'queued'
        ? t('queued', { count: state.pendingCount })
        : state.status === 'error'
          ? t(state.fatal ? 'failed' : 'retrying', { count: state.pendingCount })
          : state.lastSavedAt
            ? t('savedAt', { time: format.dateTime(state.lastSavedAt, 'timeSeconds') })
            : t('auto');
  return (
    <span
      data-testid="save-status"
      data-state={state.status}
      data-pending={state.pendingCount}
      role="status"
      className={`flex items-center gap-2 text-sm ${state.status === 'queued' || state.status === 'error' ? 'font-medium text-amber-800' : 'text-slate-500'}`}
    >
      <span aria-hidden className={`h-2 w-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}

function QuestionInput({ q, value, onEdit }: { q: Question; value: AnswerValue | undefined; onEdit: (v: AnswerValue) => void }) {
  const t = useTranslations('written');
  if (q.kind === 'text') {
    const text = typeof value === 'string' ? value : '';
    return (
      <div>
        <textarea
          data-testid={`answer-${q.id}`}
          value={text}
          onChange={(e) => onEdit(e.target.value)}
          rows={8}
          maxLength={20_000}
          placeholder={t('textPlaceholder')}
          className="w-full resize-y rounded-md border border-slate-300 px-3 py-2 text-sm leading-relaxed focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-100 disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-600"
        />
        <p className="mt-1 text-right text-xs text-slate-400">{t('chars', { count: [...text].length })}</p>
      </div>
    );
  }
  const multiple = q.kind === 'multiple';
  const chosen = Array.isArray(value) ? value : typeof value === 'string' && value ? [value] : [];
  return (
    <div role={multiple ? 'group' : 'radiogroup'} data-testid={`answer-${q.id}`} className="space-y-1.5">
      {(q.options ?? []).map((opt, i) => {
        const key = LETTERS[i] ?? String(i + 1);
        const checked = chosen.includes(key);
        return (
          <label
            key={i}
            className={`flex cursor-pointer items-start gap-3 rounded-md border px-3 py-2 text-sm transition-colors has-[:disabled]:cursor-not-allowed has-[:disabled]:opacity-75 ${
              checked ? 'border-blue-500 bg-blue-50' : 'border-slate-200 hover:bg-slate-50'
            }`}
          >
            <input
              type={multiple ? 'checkbox' : 'radio'}
              name={`q-${q.id}`}
              data-testid={`answer-${q.id}-${i}`}
              value={key}
              checked={checked}
              onChange={(e) => {
                if (!multiple) return onEdit(key);
                const next = e.target.checked ? [...chosen, key] : chosen.filter((c) => c !== key);
                // Kept in option order, so the same choice is always the same answer.
                onEdit(LETTERS.split('').filter((l) => next.includes(l)));
              }}
              className="mt-0.5 h-4 w-4 accent-blue-600"
            />
            <span>
              <span className="mr-1.5 font-medium">{key}.</span>
              {opt}
            </span>
          </label>
        );
      })}
    </div>
  );
}

/**
 * The paper: a navigator showing answered and unanswered questions, the save status, the
 * questions of the current sheet, and the sheet switcher at the lower left.
 */
export function WrittenPaper({
  sheets,
  values,
  saveState,
  onEdit,
  locked = false,
}: {
  sheets: Sheet[];
  values: Readonly<Record<string, AnswerValue>>;
  saveState: QueueState;
  onEdit: (questionId: string, value: AnswerValue) => void;
  locked?: boolean;
}) {
  const t = useTranslations('written');
  const [sheet, setSheet] = useState(0);
  const numbered = useMemo(() => numberQuestions(sheets), [sheets]);
  const scrollTo = useRef<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const current = sheets[sheet];
  const answeredCount = numbered.filter((q) => isAnswered(values[q.id])).length;

  useEffect(() => {
    if (scrollTo.current) {
      document.getElementById(`question-${scrollTo.current}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
      scrollTo.current = null;
    } else scroller.current?.scrollTo({ top: 0 });
  }, [sheet]);

  const go = (q: NumberedQuestion) => {
    if (q.sheet === sheet) document.getElementById(`question-${q.id}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    else {
      scrollTo.current = q.id;
      setSheet(q.sheet);
    }
  };

  return (
    <div className="flex h-full min-h-0 flex-col rounded-lg border border-slate-200 bg-white shadow-sm" data-testid="written-paper">
      <div className="flex items-center gap-4 border-b border-slate-200 px-4 py-2.5">
        <nav aria-label={t('navigator')} className="flex flex-1 flex-wrap items-center gap-1.5" data-testid="question-navigator">
          {numbered.map((q) => {
            const done = isAnswered(values[q.id]);
            return (
              <button
                key={q.id}
                type="button"
                onClick={() => go(q)}
                data-testid={`nav-${q.id}`}
                data-answered={done}
                title={done ? t('answered') : t('unanswered')}
                className={`h-7 min-w-7 rounded px-1.5 text-xs font-medium ${
                  done ? 'bg-blue-600 text-white' : 'border border-slate-300 bg-white text-slate-600'
                } ${q.sheet === sheet ? 'ring-2 ring-blue-200 ring-offset-1' : ''}`}
              >
                {q.number}
              </button>
            );
          })}
          <span className="ml-2 text-xs text-slate-500">{t('progress', { done: answeredCount, total: numbered.length })}</span>
        </nav>
        <SaveStatus state={saveState} />
      </div>
      <div ref={scroller} className="min-h-0 flex-1 overflow-y-auto px-6 py-4">
        {current && (
          <>
            <h2 className="text-lg font-semibold text-slate-900">{current.title}</h2>
            {current.body && <SheetBody body={current.body} className="mt-1 text-sm text-slate-600" />}
            <fieldset disabled={locked} className="contents">
              <ol className="mt-4 space-y-6">
                {numbered
                  .filter((q) => q.sheet === sheet)
                  .map((q) => (
                    <li key={q.id} id={`question-${q.id}`} className="scroll-mt-4">
                      <p className="mb-2 text-sm leading-relaxed text-slate-900">
                        <span className="mr-1.5 font-semibold">{q.number}.</span>
                        <span className="mr-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{t(`kind.${q.kind}`)}</span>
                        {q.prompt}
                        {q.points != null && <span className="ml-2 text-xs text-slate-400">{t('points', { points: q.points })}</span>}
                      </p>
                      <QuestionInput q={q} value={values[q.id]} onEdit={(v) => onEdit(q.id, v)} />
                    </li>
                  ))}
              </ol>
            </fieldset>
          </>
        )}
      </div>
      {sheets.length > 1 && (
        <div className="border-t border-slate-200 px-4 py-2.5">
          <SheetTabs sheets={sheets} current={sheet} onSelect={setSheet} />
        </div>
      )}
    </div>
  );
}
