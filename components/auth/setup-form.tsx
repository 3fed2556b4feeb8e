'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';

/** The first admin account of a new installation. */
export function SetupForm() {
  const t = useTranslations('login.setup');
  const errorText = useErrorText();
  const router = useRouter();
  const setup = trpc.auth.setupFirstAdmin.useMutation({
    onSuccess: ({ home }) => {
      router.replace(home);
      router.refresh();
    },
  });
  const fieldErrors = (setup.error?.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {};

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setup.mutate({
      token: String(form.get('token') ?? ''),
      name: String(form.get('name') ?? ''),
      username: String(form.get('username') ?? ''),
      password: String(form.get('password') ?? ''),
    });
  }

  const input =
    'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500';
  const field = (name: 'token' | 'name' | 'username' | 'password', hint?: string, type = 'text') => (
    <label className="block text-sm font-medium text-slate-700">
      {t(name)}
      <input
        name={name}
        type={type}
        data-testid={`setup-${name}`}
        autoComplete={name === 'password' ? 'new-password' : name === 'username' ? 'username' : name === 'token' ? 'off' : 'name'}
        className={input}
      />
      {fieldErrors[name] ? (
        <span className="mt-1 block text-xs text-red-600">{fieldErrors[name]}</span>
      ) : (
        hint && <span className="mt-1 block text-xs font-normal text-slate-500">{hint}</span>
      )}
    </label>
  );
  return (
    <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="text-xl font-semibold">{t('title')}</h1>
      <p className="mb-5 mt-2 text-sm text-slate-600">{t('intro')}</p>
      <form onSubmit={submit} className="space-y-4" noValidate>
        {field('token', t('tokenHint'))}
        {field('name')}
        {field('username', t('usernameHint'))}
        {field('password', t('passwordHint'), 'password')}
        {setup.error && <Alert>{errorText(setup.error)}</Alert>}
        <Button type="submit" className="w-full" disabled={setup.isPending} data-testid="setup-submit">
          {setup.isPending ? t('submitting') : t('submit')}
        </Button>
      </form>
    </div>
  );
}
