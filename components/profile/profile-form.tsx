'use client';

import { useTranslations } from 'next-intl';
import { useState, type FormEvent } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';

type FieldErrors = { phone?: string; email?: string };

export function ProfileForm() {
  const t = useTranslations('profile');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const profile = trpc.candidate.profile.useQuery();
  const update = trpc.candidate.updateProfile.useMutation({
    onSuccess: (saved) => utils.candidate.profile.setData(undefined, saved),
  });
  const fieldErrors: FieldErrors = (update.error?.data as { fieldErrors?: FieldErrors | null } | undefined)?.fieldErrors ?? {};
  // Field errors are shown under their fields; the summary only says what they do not.
  const summary = update.error && !fieldErrors.phone && !fieldErrors.email ? errorText(update.error) : null;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    update.mutate({ phone: String(form.get('phone') ?? ''), email: String(form.get('email') ?? '') });
  }

  const input = 'mt-1 block w-full rounded-md border px-3 py-2 text-sm focus:outline-none focus:ring-1';
  const tone = (bad: boolean) =>
    bad ? 'border-red-400 focus:border-red-500 focus:ring-red-500' : 'border-slate-300 focus:border-blue-500 focus:ring-blue-500';
  const data = profile.data;

  return (
    <div className="max-w-xl space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mt-1 text-sm text-slate-500">{t('intro')}</p>
      </div>
      {profile.error && <Alert>{errorText(profile.error)}</Alert>}
      {data && (
        <form onSubmit={submit} noValidate className="space-y-5 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <dl className="grid grid-cols-2 gap-4 text-sm">
            <div>
              <dt className="text-slate-500">{t('name')}</dt>
              <dd data-testid="profile-name" className="mt-1 font-medium text-slate-800">
                {data.name}
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">{t('idNumber')}</dt>
              <dd data-testid="profile-id-number" className="mt-1 font-mono text-slate-800">
                {data.idNumber}
              </dd>
            </div>
            <p className="col-span-2 -mt-1 text-xs text-slate-400">{t('readOnly')}</p>
          </dl>
          <hr className="border-slate-100" />
          <label className="block text-sm font-medium text-slate-700">
            {t('phone')}
            <input
              name="phone"
              type="tel"
              inputMode="numeric"
              autoComplete="tel"
              maxLength={11}
              defaultValue={data.phone}
              placeholder={t('phoneHint')}
              aria-invalid={!!fieldErrors.phone}
              className={`${input} ${tone(!!fieldErrors.phone)}`}
              onChange={() => update.isSuccess && update.reset()}
            />
            {fieldErrors.phone && (
              <span data-testid="phone-error" className="mt-1 block text-xs font-normal text-red-600">
                {fieldErrors.phone}
              </span>
            )}
            <span className="mt-1 block text-xs font-normal text-slate-400">{t('phoneHint')}</span>
          </label>
          <label className="block text-sm font-medium text-slate-700">
            {t('email')}
            <input
              name="email"
              type="email"
              autoComplete="email"
              maxLength={200}
              defaultValue={data.email}
              aria-invalid={!!fieldErrors.email}
              className={`${input} ${tone(!!fieldErrors.email)}`}
              onChange={() => update.isSuccess && update.reset()}
            />
            {fieldErrors.email && (
              <span data-testid="email-error" className="mt-1 block text-xs font-normal text-red-600">
                {fieldErrors.email}
              </span>
            )}
          </label>
          {summary && <Alert>{summary}</Alert>}
          {update.isSuccess && (
            <div data-testid="profile-saved">
              <Alert tone="info">{t('saved')}</Alert>
            </div>
          )}
          <div className="flex justify-end">
            <Button type="submit" data-testid="profile-save" disabled={update.isPending}>
              {update.isPending ? t('saving') : t('save')}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
