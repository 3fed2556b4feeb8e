'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { pathHref, type PathState, type PathView } from './my-exams-gate';

const PILL: Record<PathState, string> = {
  done: 'border-green-200 bg-green-50 text-green-800',
  todo: 'border-blue-300 bg-blue-50 text-blue-800',
  optional: 'border-slate-200 bg-white text-slate-700',
  blocked: 'border-slate-200 bg-slate-50 text-slate-500',
};

const MARK: Record<PathState, string> = {
  done: 'bg-green-600 text-white',
  todo: 'bg-blue-600 text-white',
  optional: 'bg-white text-slate-500 ring-1 ring-slate-300',
  blocked: 'bg-slate-200 text-slate-500',
};

const TAG: Record<PathState, string> = {
  done: 'text-green-700',
  todo: 'font-medium text-blue-700',
  optional: 'text-slate-500',
  blocked: 'text-slate-500',
};

/**
 * The manual's steps before this exam in one row: each with its state, and a link where it is
 * done (the notice opens its dialog on this card). Required steps say so; entry comes last.
 */
export function ExamPath({ examId, steps, onNotice }: { examId: number; steps: PathView[]; onNotice: () => void }) {
  const t = useTranslations('exams.path');
  return (
    <ol data-testid="exam-path" aria-label={t('label')} className="flex flex-wrap items-center gap-x-1 gap-y-1.5 text-xs">
      {steps.map((step, i) => {
        const href = pathHref(step.key, examId);
        const tag = step.key === 'enter' && step.state === 'todo' ? t('state.ready') : t(`state.${step.state}`);
        const body = (
          <>
            <span aria-hidden className={`flex h-4 w-4 shrink-0 items-center justify-center rounded-full text-[10px] font-semibold ${MARK[step.state]}`}>
              {step.state === 'done' ? '✓' : i + 1}
            </span>
            <span className="whitespace-nowrap">{t(`steps.${step.key}`)}</span>
            <span data-testid="path-state" className={`whitespace-nowrap ${TAG[step.state]}`}>
              {tag}
            </span>
          </>
        );
        const pill = `flex items-center gap-1 rounded-full border py-0.5 pl-0.5 pr-2 ${PILL[step.state]}`;
        const action = step.state !== 'done' && step.key !== 'enter';
        return (
          <li key={step.key} data-testid={`path-${step.key}`} data-state={step.state} data-required={step.required} className="flex items-center gap-1">
            {i > 0 && <span aria-hidden className="h-px w-2.5 bg-slate-300" />}
            {href && action ? (
              <StepLink href={href} className={`${pill} hover:border-blue-400 hover:underline`}>
                {body}
              </StepLink>
            ) : step.key === 'notice' && action ? (
              <button type="button" onClick={onNotice} className={`${pill} hover:border-blue-400 hover:underline`}>
                {body}
              </button>
            ) : (
              <span className={pill}>{body}</span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Anchors on this page scroll without a navigation; pages of the portal are client-side links. */
function StepLink({ href, className, children }: { href: string; className: string; children: ReactNode }) {
  if (href.startsWith('/exams#')) {
    return (
      <a href={href.slice('/exams'.length)} className={className}>
        {children}
      </a>
    );
  }
  return (
    <Link href={href} className={className}>
      {children}
    </Link>
  );
}
