'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { HotlineContact } from '@/components/help/hotline';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { LanguageSwitcher } from '@/components/ui/language-switcher';
import { useErrorText } from '@/components/ui/use-error-text';
import { PhoneWitness } from './phone-witness';

/** The phone's page: bound → the witness camera; otherwise the bind code form (and why, if unbound). */
export function PhoneApp() {
  const t = useTranslations('phone.mobile');
  const me = trpc.phone.me.useQuery(undefined, { refetchInterval: 30_000 });
  const utils = trpc.useUtils();
  const refresh = () => void utils.phone.me.invalidate();

  let body: ReactNode;
  if (!me.data) body = <p className="py-10 text-center text-slate-500">…</p>;
  else if (me.data.kind === 'active') body = <PhoneWitness overview={me.data} onRemoved={refresh} />;
  else {
    body = (
      <div className="space-y-4">
        {me.data.kind === 'revoked' && (
          <section data-testid="phone-revoked" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-950">
            <h2 className="font-semibold">{t('revokedTitle')}</h2>
            <p className="mt-1 text-sm">{t('revokedBody')}</p>
          </section>
        )}
        <BindForm onBound={refresh} />
      </div>
    );
  }
  return <PhoneFrame>{body}</PhoneFrame>;
}

/** `/phone/bind?t=…`: binds with the QR link's token once, then shows the phone's page. */
export function BindByLink({ token }: { token: string }) {
  const t = useTranslations('phone.mobile');
  const errorText = useErrorText();
  const router = useRouter();
  const bind = trpc.phone.bind.useMutation({ onSuccess: () => router.replace('/phone') });
  const { mutate } = bind;
  const sent = useRef(false);
  useEffect(() => {
    // Once: the link is single-use, a second try would only report it as used.
    if (sent.current) return;
    sent.current = true;
    mutate({ token });
  }, [mutate, token]);

  return (
    <PhoneFrame>
      {bind.error ? (
        <div className="space-y-4" data-testid="phone-bind-error">
          <Alert>{errorText(bind.error)}</Alert>
          <BindForm onBound={() => router.replace('/phone')} />
        </div>
      ) : (
        <p className="py-10 text-center text-slate-500" data-testid="phone-binding">
          {t('binding')}
        </p>
      )}
    </PhoneFrame>
  );
}

function BindForm({ onBound }: { onBound: () => void }) {
  const t = useTranslations('phone.mobile');
  const errorText = useErrorText();
  const [code, setCode] = useState('');
  const bind = trpc.phone.bind.useMutation({ onSuccess: onBound });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!bind.isPending) bind.mutate({ code });
  };
  return (
    <form onSubmit={submit} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="phone-bind-form">
      <h2 className="text-base font-semibold">{t('bindTitle')}</h2>
      <p className="text-sm text-slate-600">{t('bindIntro')}</p>
      <label className="block text-sm">
        <span className="text-slate-600">{t('codeLabel')}</span>
        <input
          data-testid="phone-code-input"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="\d{10}"
          maxLength={10}
          required
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          placeholder={t('codePlaceholder')}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2.5 text-center font-mono text-2xl tracking-[0.2em]"
        />
      </label>
      {bind.error && <Alert>{errorText(bind.error)}</Alert>}
      <Button type="submit" className="w-full py-3 text-base" disabled={code.length !== 10 || bind.isPending} data-testid="phone-code-submit">
        {bind.isPending ? t('binding') : t('bindSubmit')}
      </Button>
    </form>
  );
}

function PhoneFrame({ children }: { children: ReactNode }) {
  const t = useTranslations('phone.mobile');
  return (
    <div className="min-h-dvh bg-slate-100 text-slate-900">
      <header className="flex items-center justify-between bg-slate-900 px-4 py-3 text-white">
        <h1 className="text-base font-semibold">{t('title')}</h1>
        <LanguageSwitcher />
      </header>
      <main className="mx-auto max-w-md space-y-4 p-4" data-testid="phone-page">
        {children}
        <HotlineContact />
      </main>
    </div>
  );
}
