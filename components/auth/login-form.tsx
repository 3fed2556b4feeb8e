'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { trpc } from '@/components/providers/trpc';
import { useHotline } from '@/components/help/hotline';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { FaceLogin } from './face-login';

type Tab = 'candidate' | 'staff';
/** The manual's order: face recognition first, password login (switched on by staff) second. */
type Method = 'face' | 'password';

/** `onCandidateLogin` runs once a candidate is signed in, before the page moves on. */
export function LoginForm({ onCandidateLogin }: { onCandidateLogin?: () => void }) {
  const t = useTranslations('login');
  const { args: call } = useHotline();
  const tf = useTranslations('faceLogin');
  const [method, setMethod] = useState<Method>('face');
  const errorText = useErrorText();
  const router = useRouter();
  const [tab, setTab] = useState<Tab>('candidate');
  const onSuccess = ({ home }: { home: string }) => {
    router.replace(home);
    router.refresh();
  };
  const candidate = trpc.auth.loginCandidate.useMutation({
    onSuccess: (res) => {
      onCandidateLogin?.();
      onSuccess(res);
    },
  });
  const staff = trpc.auth.loginStaff.useMutation({ onSuccess });
  const active = tab === 'candidate' ? candidate : staff;
  const fieldErrors = (active.error?.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {};

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get('password') ?? '');
    if (tab === 'candidate') candidate.mutate({ idNumber: String(form.get('idNumber') ?? ''), password });
    else staff.mutate({ username: String(form.get('username') ?? ''), password });
  }

  const input =
    'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500';
  return (
    <div className="w-full rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-4 text-xl font-semibold">{t('title')}</h1>
      <div role="tablist" className="mb-5 grid grid-cols-2 rounded-md bg-slate-100 p-1 text-sm">
        {(['candidate', 'staff'] as const).map((k) => (
          <button
            key={k}
            role="tab"
            type="button"
            aria-selected={tab === k}
            onClick={() => setTab(k)}
            className={`rounded px-3 py-1.5 ${tab === k ? 'bg-white font-medium text-blue-700 shadow-sm' : 'text-slate-600'}`}
          >
            {t(k === 'candidate' ? 'candidateTab' : 'staffTab')}
          </button>
        ))}
      </div>
      {tab === 'candidate' && (
        <div className="mb-4 flex gap-4 border-b border-slate-200 text-sm" role="radiogroup">
          {(['face', 'password'] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="radio"
              data-testid={`login-method-${m}`}
              aria-checked={method === m}
              onClick={() => setMethod(m)}
              className={`-mb-px border-b-2 px-1 pb-2 ${method === m ? 'border-blue-600 font-medium text-blue-700' : 'border-transparent text-slate-500 hover:text-slate-700'}`}
            >
              {tf(m === 'face' ? 'methodFace' : 'methodPassword')}
            </button>
          ))}
        </div>
      )}
      {tab === 'candidate' && method === 'face' ? (
        <FaceLogin
          onUsePassword={() => setMethod('password')}
          onLoggedIn={(home) => {
            onCandidateLogin?.();
            onSuccess({ home });
          }}
        />
      ) : (
        <form onSubmit={submit} className="space-y-4" noValidate key={tab}>
          {tab === 'candidate' ? (
            <label className="block text-sm font-medium text-slate-700">
              {t('idNumber')}
              <input name="idNumber" autoComplete="username" placeholder={t('idNumberPlaceholder')} className={input} maxLength={18} />
              {fieldErrors.idNumber && <span className="mt-1 block text-xs text-red-600">{fieldErrors.idNumber}</span>}
            </label>
          ) : (
            <label className="block text-sm font-medium text-slate-700">
              {t('username')}
              <input name="username" autoComplete="username" className={input} />
              {fieldErrors.username && <span className="mt-1 block text-xs text-red-600">{fieldErrors.username}</span>}
            </label>
          )}
          <label className="block text-sm font-medium text-slate-700">
            {t('password')}
            <input name="password" type="password" autoComplete="current-password" className={input} />
            {fieldErrors.password && <span className="mt-1 block text-xs text-red-600">{fieldErrors.password}</span>}
          </label>
          {active.error && <Alert>{errorText(active.error)}</Alert>}
          <Button type="submit" className="w-full" disabled={active.isPending}>
            {active.isPending ? t('submitting') : t('submit')}
          </Button>
          {tab === 'candidate' && <p className="text-xs leading-relaxed text-slate-500">{t('candidateHint', call)}</p>}
        </form>
      )}
    </div>
  );
}
