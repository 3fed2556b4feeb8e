'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { LotNumber } from './lot-number';

/**
 * The exam notice with its attachments; the candidate ticks that they read it and accepts.
 * For an interview they also confirm their lot number, so the lot must be drawn first.
 * A native modal <dialog>: focus stays inside and Escape closes it.
 */
export function NoticeDialog({ examId, onClose }: { examId: number; onClose: () => void }) {
  const t = useTranslations('exams.notice');
  const format = useFormatter();
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const ref = useRef<HTMLDialogElement>(null);
  const [agreed, setAgreed] = useState(false);
  const notice = trpc.exam.notice.useQuery({ examId });
  const accept = trpc.exam.accept.useMutation({
    onSuccess: async () => {
      await Promise.all([utils.exam.listMine.invalidate(), utils.exam.notice.invalidate({ examId })]);
      onClose();
    },
  });

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const data = notice.data;
  const needsLot = data?.kind === 'interview' && data.lotNumber == null;
  const canAccept = agreed && !needsLot && !accept.isPending;

  return (
    <dialog
      ref={ref}
      data-testid="notice-dialog"
      aria-labelledby="notice-title"
      onClose={onClose}
      className="m-auto flex max-h-[88vh] w-[40rem] max-w-[calc(100vw-2rem)] flex-col rounded-xl border border-slate-200 bg-white p-0 text-slate-800 shadow-2xl backdrop:bg-slate-900/40 [&:not([open])]:hidden"
    >
      <header className="border-b border-slate-100 px-5 py-4">
        <h2 id="notice-title" className="text-lg font-semibold">
          {t('title')}
        </h2>
        {data && <p className="mt-0.5 text-sm text-slate-500">{data.title}</p>}
      </header>

      <div className="min-h-0 flex-1 space-y-4 overflow-y-auto px-5 py-4">
        {notice.error && <Alert>{errorText(notice.error)}</Alert>}
        {!data && !notice.error && <p className="text-sm text-slate-500">{t('loading')}</p>}
        {data && (
          <>
            <div className="whitespace-pre-line rounded-md bg-slate-50 p-4 text-sm leading-relaxed">{data.notice}</div>
            {data.attachments.length > 0 && (
              <section>
                <h3 className="mb-1.5 text-sm font-medium text-slate-600">{t('attachments')}</h3>
                <ul className="space-y-1">
                  {data.attachments.map((a) => (
                    <li key={a.id}>
                      <a href={`/api/attachments/${a.id}`} download={a.fileName} className="text-sm text-blue-700 underline-offset-2 hover:underline">
                        {a.fileName}
                      </a>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            {data.kind === 'interview' &&
              (data.lotNumber != null ? (
                <div className="flex items-center gap-3">
                  <span className="text-sm text-slate-600">{t('yourLot')}</span>
                  <LotNumber lotNumber={data.lotNumber} />
                </div>
              ) : (
                <Alert tone="warning">{t('lotFirst')}</Alert>
              ))}
          </>
        )}
      </div>

      <footer className="space-y-3 border-t border-slate-100 px-5 py-4">
        {data?.acceptedAt ? (
          <Alert tone="info">{t('acceptedAt', { time: format.dateTime(data.acceptedAt, 'dayTime') })}</Alert>
        ) : (
          data && (
            <label className={`flex items-start gap-2 text-sm ${needsLot ? 'text-slate-400' : 'text-slate-700'}`}>
              <input
                type="checkbox"
                data-testid="notice-agree"
                checked={agreed}
                disabled={needsLot}
                onChange={(e) => setAgreed(e.target.checked)}
                className="mt-0.5 h-4 w-4 accent-blue-600"
              />
              {data.kind === 'interview' ? t('agreeInterview') : t('agree')}
            </label>
          )
        )}
        {accept.error && <Alert>{errorText(accept.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            {t('close')}
          </Button>
          {data && !data.acceptedAt && (
            <Button data-testid="notice-accept" disabled={!canAccept} onClick={() => accept.mutate({ examId })}>
              {accept.isPending ? t('accepting') : t('accept')}
            </Button>
          )}
        </div>
      </footer>
    </dialog>
  );
}
