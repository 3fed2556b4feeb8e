'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { useHotline } from '@/components/help/hotline';
import { Button } from '@/components/ui/button';
import { UpdatePrompt } from './update-prompt';
import { CHECK_STEPS, useSystemCheck, type CheckState, type CheckStepId, type SystemCheckState } from './use-system-check';

export { UpdatePrompt };

const ICON: Record<CheckState, { glyph: string; className: string }> = {
  pending: { glyph: '', className: 'border-2 border-slate-300 bg-white' },
  ok: { glyph: '✓', className: 'bg-green-600 text-white' },
  warn: { glyph: '!', className: 'bg-amber-500 text-white' },
  fail: { glyph: '×', className: 'bg-red-600 text-white' },
};

function StateIcon({ state, running }: { state: CheckState; running?: boolean }) {
  if (running) return <span aria-hidden className="h-5 w-5 shrink-0 animate-spin rounded-full border-2 border-blue-200 border-t-blue-600" />;
  const icon = ICON[state];
  return (
    <span aria-hidden className={`flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ${icon.className}`}>
      {icon.glyph}
    </span>
  );
}

/** What each step found, and what to do about it, in the reader's language. */
function useStepText(check: SystemCheckState) {
  const t = useTranslations('systemCheck');
  const { args: call } = useHotline();
  const format = useFormatter();
  const seconds = (ms: number) => format.number(Math.abs(ms) / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  return (id: CheckStepId): { detail: string; help?: string } => {
    const { steps, current } = check;
    const step = steps[id];
    if (step.state === 'pending') return { detail: t(current === id ? 'running' : 'waiting') };
    switch (id) {
      case 'server': {
        const s = steps.server;
        return s.state === 'ok' ? { detail: t('server.ok', { ms: s.roundTripMs ?? 0 }) } : { detail: t('server.fail'), help: t('server.failHelp', call) };
      }
      case 'version': {
        const s = steps.version;
        if (s.skipped) return { detail: t('skipped') };
        return s.state === 'ok'
          ? { detail: t('version.ok', { version: s.client }) }
          : { detail: t('version.warn', { version: s.server ?? '' }), help: t('version.warnHelp') };
      }
      case 'clock': {
        const s = steps.clock;
        if (s.skipped) return { detail: t('skipped') };
        if (s.offsetMs === undefined) return { detail: t('clock.fail'), help: t('clock.failHelp') };
        // Positive offset: the server is ahead, so the device is behind.
        const detail =
          Math.abs(s.offsetMs) < 1000
            ? t('clock.inSync', { seconds: seconds(s.offsetMs) })
            : t(s.offsetMs > 0 ? 'clock.slow' : 'clock.fast', { seconds: seconds(s.offsetMs) });
        return s.state === 'warn' ? { detail, help: t('clock.warnHelp') } : { detail };
      }
      case 'browser': {
        const s = steps.browser;
        if (s.state === 'ok') return { detail: t('browser.ok') };
        const features = s.missing.map((f) => t(`browser.feature.${f}`)).join(t('listSeparator'));
        return { detail: t('browser.fail', { features }), help: s.secure ? t('browser.failHelp') : t('browser.insecureHelp') };
      }
      case 'displays': {
        const s = steps.displays;
        if (s.displays === 'single') return { detail: t('displays.ok') };
        if (s.displays === 'extended') return { detail: t('displays.fail'), help: t('displays.failHelp') };
        return { detail: t('displays.unknown'), help: t('displays.unknownHelp') };
      }
    }
  };
}

const HELP_TONE: Record<CheckState, string> = { pending: '', ok: '', warn: 'text-amber-800', fail: 'text-red-700' };

function StepList({ check, dense }: { check: SystemCheckState; dense?: boolean }) {
  const t = useTranslations('systemCheck');
  const text = useStepText(check);
  return (
    <ol className="divide-y divide-slate-100">
      {CHECK_STEPS.map((id) => {
        const { state } = check.steps[id];
        const { detail, help } = text(id);
        return (
          <li key={id} data-testid={`check-${id}`} data-state={state} className={`flex gap-3 ${dense ? 'px-4 py-2' : 'px-5 py-3.5'}`}>
            <div className="pt-0.5">
              <StateIcon state={state} running={check.current === id} />
            </div>
            <div className={`flex min-w-0 flex-1 ${dense ? 'gap-3' : 'flex-col sm:flex-row sm:gap-4'}`}>
              <p className={`shrink-0 font-medium text-slate-800 ${dense ? 'w-20 pt-px text-sm' : 'sm:w-28'}`}>{t(`step.${id}`)}</p>
              <div className="min-w-0 flex-1">
                <p className={`text-sm ${dense ? 'pt-px' : ''} ${state === 'pending' ? 'text-slate-400' : 'text-slate-600'}`}>{detail}</p>
                {help && <p className={`mt-1 text-sm leading-relaxed ${HELP_TONE[state]}`}>{help}</p>}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function useSummary(check: SystemCheckState) {
  const t = useTranslations('systemCheck');
  const count = (s: CheckState) => CHECK_STEPS.filter((id) => check.steps[id].state === s).length;
  if (check.overall === 'pending') return t('summary.running', { step: check.current ? t(`step.${check.current}`) : '' });
  if (check.overall === 'fail') return t('summary.fail', { count: count('fail') });
  if (check.overall === 'warn') return t('summary.warn', { count: count('warn') });
  return t('summary.ok');
}

const SUMMARY_TONE: Record<CheckState, string> = {
  pending: 'text-slate-600',
  ok: 'text-green-700',
  warn: 'text-amber-700',
  fail: 'text-red-700',
};

/** The full check with a "Run again" button: the portal's /check page. */
export function SystemCheckPanel({ check }: { check: SystemCheckState }) {
  const t = useTranslations('systemCheck');
  const { args: call } = useHotline();
  const summary = useSummary(check);
  return (
    <div className="space-y-4">
      <UpdatePrompt />
      <section data-testid="system-check" data-state={check.overall} className="rounded-lg border border-slate-200 bg-white shadow-sm">
        <header className="flex items-center gap-3 border-b border-slate-100 px-5 py-3.5">
          <StateIcon state={check.overall} running={check.overall === 'pending'} />
          <p className={`flex-1 font-medium ${SUMMARY_TONE[check.overall]}`} aria-live="polite">
            {summary}
          </p>
          <Button variant="secondary" onClick={() => void check.run()} disabled={!check.finished}>
            {t('runAgain')}
          </Button>
        </header>
        <StepList check={check} />
      </section>
      <p className="text-sm leading-relaxed text-slate-500">{t('footnote', call)}</p>
    </div>
  );
}

/**
 * A one-line summary that expands to the steps: the login page, where the check must not stand
 * between the candidate and the login form. Opens by itself when a step fails.
 */
export function SystemCheckSummary({ check }: { check: SystemCheckState }) {
  const t = useTranslations('systemCheck');
  const summary = useSummary(check);
  const [toggled, setToggled] = useState<boolean | null>(null);
  const open = toggled ?? check.overall === 'fail';
  return (
    <div className="space-y-2">
      <UpdatePrompt />
      <section data-testid="system-check" data-state={check.overall} className="rounded-lg border border-slate-200 bg-white shadow-sm">
        <div className="flex items-center gap-2.5 px-4 py-2.5">
          <StateIcon state={check.overall} running={check.overall === 'pending'} />
          <p className="min-w-0 flex-1 truncate text-sm text-slate-500" aria-live="polite">
            {t.rich('compactSummary', {
              summary,
              b: (chunks) => <span className={`font-medium ${SUMMARY_TONE[check.overall]}`}>{chunks}</span>,
            })}
          </p>
          {check.finished && open && (
            <button type="button" onClick={() => void check.run()} className="text-sm text-blue-700 hover:underline">
              {t('runAgain')}
            </button>
          )}
          <button
            type="button"
            aria-expanded={open}
            data-testid="system-check-toggle"
            onClick={() => setToggled(!open)}
            className="text-sm text-blue-700 hover:underline"
          >
            {open ? t('collapse') : t('details')}
          </button>
        </div>
        <div hidden={!open} className="border-t border-slate-100">
          <StepList check={check} dense />
        </div>
      </section>
    </div>
  );
}

/** Owns one run of the check; `autoReport` when a candidate is signed in. */
export function SystemCheck({ compact = false, autoReport = false }: { compact?: boolean; autoReport?: boolean }) {
  const check = useSystemCheck({ autoReport });
  return compact ? <SystemCheckSummary check={check} /> : <SystemCheckPanel check={check} />;
}
