'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterInputs } from '@trpc/server';

type SendInput = inferRouterInputs<AppRouter>['messages']['send'];
type Audience = SendInput['audience'];

const TITLE_MAX = 100;
const BODY_MAX = 5000;

const field =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500 disabled:bg-slate-50';

/**
 * The compose form: audience limited to what the caller may address (the server decides, and
 * refuses the rest with a clear message), title, body, priority, must-acknowledge, and a preview
 * of how candidates will see it.
 */
export function ComposeForm({ onSent }: { onSent: (messageId: number) => void }) {
  const t = useTranslations('notices.compose');
  const errorText = useErrorText();
  const options = trpc.messages.composeOptions.useQuery();
  const [audience, setAudience] = useState<Audience | null>(null);
  const [examId, setExamId] = useState<number | null>(null);
  const [roomId, setRoomId] = useState<number | null>(null);
  const [candidateId, setCandidateId] = useState<number | null>(null);
  // The room the picked candidate was found in: an invigilator addresses a candidate through a room of theirs.
  const [candidateRoomId, setCandidateRoomId] = useState<number | null>(null);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [priority, setPriority] = useState<'normal' | 'urgent'>('normal');
  const [mustAcknowledge, setMustAcknowledge] = useState(false);
  const [sentTo, setSentTo] = useState<number | null>(null);

  const audiences = options.data?.audiences ?? [];
  const chosen = audience && audiences.includes(audience) ? audience : (audiences[0] ?? null);

  const send = trpc.messages.send.useMutation({
    onSuccess: (res) => {
      setSentTo(res.recipients);
      setTitle('');
      setBody('');
      onSent(res.messageId);
    },
  });
  const fieldErrors = (send.error?.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {};

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    setSentTo(null);
    send.mutate({
      audience: chosen,
      ...(chosen === 'exam' && examId != null ? { examId } : {}),
      ...(chosen === 'room' && roomId != null ? { roomId } : {}),
      ...(chosen === 'candidate' && (roomId ?? candidateRoomId) != null ? { roomId: roomId ?? candidateRoomId! } : {}),
      ...(chosen === 'candidate' && candidateId != null ? { candidateId } : {}),
      title,
      body,
      priority,
      mustAcknowledge,
    });
  }

  return (
    <form onSubmit={submit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid="compose-form" noValidate>
      <h2 className="text-lg font-semibold">{t('heading')}</h2>

      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-slate-700">{t('audience')}</legend>
        <div className="flex flex-wrap gap-2" role="radiogroup">
          {audiences.map((a) => (
            <label
              key={a}
              className={`cursor-pointer rounded-md border px-3 py-1.5 text-sm ${chosen === a ? 'border-blue-600 bg-blue-50 font-medium text-blue-800' : 'border-slate-300 text-slate-700 hover:bg-slate-50'}`}
            >
              <input
                type="radio"
                name="audience"
                value={a}
                checked={chosen === a}
                onChange={() => {
                  setAudience(a);
                  setCandidateId(null);
                }}
                className="sr-only"
                data-testid={`audience-${a}`}
              />
              {t(`audiences.${a}`)}
            </label>
          ))}
        </div>
      </fieldset>

      {chosen === 'exam' && (
        <Field label={t('exam')} error={fieldErrors.examId}>
          {(id) => (
            <select
              id={id}
              className={field}
              value={examId ?? ''}
              onChange={(e) => setExamId(e.target.value ? Number(e.target.value) : null)}
              data-testid="compose-exam"
            >
              <option value="">{t('chooseExam')}</option>
              {options.data?.exams.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.title}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}

      {(chosen === 'room' || chosen === 'candidate') && options.data && (
        <Field label={t('room')} error={fieldErrors.roomId}>
          {(id) => (
            <select
              id={id}
              className={field}
              value={roomId ?? ''}
              onChange={(e) => {
                setRoomId(e.target.value ? Number(e.target.value) : null);
                setCandidateId(null);
              }}
              data-testid="compose-room"
            >
              <option value="">{chosen === 'candidate' ? t('anyRoom') : t('chooseRoom')}</option>
              {options.data.rooms.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.examTitle} · {r.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}

      {chosen === 'candidate' && (
        <CandidatePicker
          roomId={roomId}
          value={candidateId}
          onChange={(id, foundIn) => {
            setCandidateId(id);
            setCandidateRoomId(foundIn);
          }}
        />
      )}

      <Field label={t('title')} error={fieldErrors.title} aside={t('length', { count: title.length, max: TITLE_MAX })}>
        {(id) => <input id={id} className={field} value={title} maxLength={TITLE_MAX} onChange={(e) => setTitle(e.target.value)} data-testid="compose-title" />}
      </Field>

      <Field label={t('body')} error={fieldErrors.body} aside={t('length', { count: body.length, max: BODY_MAX })}>
        {(id) => (
          <textarea
            id={id}
            className={`${field} min-h-28`}
            value={body}
            maxLength={BODY_MAX}
            onChange={(e) => setBody(e.target.value)}
            data-testid="compose-body"
          />
        )}
      </Field>

      <div className="flex flex-wrap items-start gap-x-8 gap-y-3">
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-slate-700">{t('priority')}</legend>
          <div className="flex gap-4 text-sm">
            {(['normal', 'urgent'] as const).map((p) => (
              <label key={p} className="flex items-center gap-1.5">
                <input type="radio" name="priority" checked={priority === p} onChange={() => setPriority(p)} data-testid={`priority-${p}`} />
                <span className={p === 'urgent' ? 'font-medium text-red-700' : ''}>{t(`priorities.${p}`)}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <label className="flex max-w-sm items-start gap-2 text-sm">
          <input
            type="checkbox"
            className="mt-1"
            checked={mustAcknowledge}
            onChange={(e) => setMustAcknowledge(e.target.checked)}
            data-testid="compose-must-ack"
          />
          <span>
            <span className="font-medium text-slate-700">{t('mustAcknowledge')}</span>
            <span className="block text-xs text-slate-500">{t('mustAcknowledgeHint')}</span>
          </span>
        </label>
      </div>

      <Preview title={title} body={body} priority={priority} mustAcknowledge={mustAcknowledge} />

      {send.error && !Object.keys(fieldErrors).length && <Alert>{errorText(send.error)}</Alert>}
      {sentTo != null && (
        <Alert tone={sentTo ? 'info' : 'warning'}>
          <span data-testid="compose-sent">{sentTo ? t('sent', { count: sentTo }) : t('noRecipients')}</span>
        </Alert>
      )}
      <div className="flex justify-end">
        <Button type="submit" disabled={send.isPending || !chosen} data-testid="compose-send">
          {send.isPending ? t('sending') : t('send')}
        </Button>
      </div>
    </form>
  );
}

function Field({ label, error, aside, children }: { label: string; error?: string; aside?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div>
      <div className="mb-1 flex items-baseline justify-between">
        <label htmlFor={id} className="text-sm font-medium text-slate-700">
          {label}
        </label>
        {aside && <span className="text-xs tabular-nums text-slate-400">{aside}</span>}
      </div>
      {children(id)}
      {error && (
        <p className="mt-1 text-sm text-red-600" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Candidates of the chosen room, or found by name / ID number across what the caller may address. */
function CandidatePicker({
  roomId,
  value,
  onChange,
}: {
  roomId: number | null;
  value: number | null;
  onChange: (id: number | null, roomId: number | null) => void;
}) {
  const t = useTranslations('notices.compose');
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setTerm(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const enabled = roomId != null || term.length > 0;
  const found = trpc.messages.findCandidates.useQuery({ ...(roomId != null ? { roomId } : {}), ...(term ? { search: term } : {}) }, { enabled });
  const searchId = useId();

  return (
    <div className="space-y-2">
      <label htmlFor={searchId} className="text-sm font-medium text-slate-700">
        {t('search')}
      </label>
      <input
        id={searchId}
        className={field}
        value={search}
        placeholder={t('searchPlaceholder')}
        maxLength={40}
        onChange={(e) => setSearch(e.target.value)}
        data-testid="compose-search"
      />
      {!enabled && <p className="text-xs text-slate-500">{t('searchHint')}</p>}
      {enabled && found.data?.length === 0 && <p className="text-sm text-slate-500">{t('noCandidates')}</p>}
      {!!found.data?.length && (
        <ul className="max-h-48 divide-y divide-slate-100 overflow-y-auto rounded-md border border-slate-200" role="radiogroup" aria-label={t('candidate')}>
          {found.data.map((c) => (
            <li key={`${c.id}-${c.roomId}`}>
              <label className={`flex cursor-pointer items-center gap-3 px-3 py-2 text-sm ${value === c.id ? 'bg-blue-50' : 'hover:bg-slate-50'}`}>
                <input type="radio" name="candidate" checked={value === c.id} onChange={() => onChange(c.id, c.roomId)} data-testid={`candidate-${c.id}`} />
                <span className="font-medium">{c.name}</span>
                <span className="font-mono text-xs text-slate-500">{c.idNumberMasked}</span>
                {c.seat != null && <span className="ml-auto text-xs text-slate-500">{t('seat', { seat: c.seat })}</span>}
              </label>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** How candidates will meet the message, drawn like the candidate's page draws it. */
function Preview({ title, body, priority, mustAcknowledge }: { title: string; body: string; priority: 'normal' | 'urgent'; mustAcknowledge: boolean }) {
  const t = useTranslations('notices.compose');
  const tc = useTranslations('messages.alerts');
  const kind = mustAcknowledge ? 'dialog' : priority === 'urgent' ? 'banner' : 'toast';
  const urgent = priority === 'urgent';
  return (
    <section
      aria-label={t('preview')}
      className="rounded-md border border-dashed border-slate-300 bg-slate-50 p-3"
      data-testid="compose-preview"
      data-kind={kind}
    >
      <p className="mb-2 text-xs font-medium text-slate-500">
        {t('preview')} · {t(`previewAs.${kind}`)}
      </p>
      <div
        className={`rounded-lg border bg-white shadow-sm ${kind === 'banner' ? 'border-red-300 bg-red-50' : urgent ? 'border-red-200' : 'border-slate-200'} ${kind === 'toast' ? 'max-w-xs' : ''}`}
      >
        {kind === 'dialog' && (
          <p
            className={`rounded-t-lg border-b px-4 py-1.5 text-xs font-medium text-slate-600 ${urgent ? 'border-red-200 bg-red-50' : 'border-blue-100 bg-blue-50'}`}
          >
            {tc('mustAcknowledgeTitle')}
          </p>
        )}
        <div className="px-4 py-3">
          <p className="flex items-center gap-2 font-semibold">
            {urgent && <span className="rounded bg-red-600 px-1.5 py-0.5 text-xs font-medium text-white">{tc('urgent')}</span>}
            <span className="truncate">{title.trim() || t('previewTitle')}</span>
          </p>
          <p className="mt-1 line-clamp-4 whitespace-pre-wrap break-words text-sm text-slate-700">{body.trim() || t('previewBody')}</p>
        </div>
        {kind === 'dialog' && (
          <div className="flex justify-end border-t border-slate-100 px-4 py-2">
            <span className="rounded-md bg-blue-600 px-3 py-1 text-xs font-medium text-white">{tc('acknowledge')}</span>
          </div>
        )}
      </div>
    </section>
  );
}
