'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useTranslations } from 'next-intl';
import { useRef, useState } from 'react';
import { SheetBody, sheetImageToken } from '@/components/exam/sheet-body';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { fileToBase64, MAX_UPLOAD_BYTES } from './files';

type Sheet = inferRouterOutputs<AppRouter>['admin']['exams']['sheets']['list'][number];
type Kind = 'single' | 'multiple' | 'text';
/** A question being edited: the key as option indexes, so renaming an option keeps it ticked. */
type DraftQuestion = { id: string; kind: Kind; prompt: string; options: string[]; key: number[]; points: string };
type Draft = { sheetId: number | null; title: string; body: string; questions: DraftQuestion[] };

const field =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500 disabled:bg-slate-100';

function toDraft(sheet: Sheet): Draft {
  return {
    sheetId: sheet.id,
    title: sheet.title,
    body: sheet.body,
    questions: sheet.questions.map((q) => {
      const options = q.options ?? [];
      const key = q.answer === undefined ? [] : (Array.isArray(q.answer) ? q.answer : [q.answer]).map((a) => options.indexOf(a)).filter((i) => i >= 0);
      return { id: q.id, kind: q.kind, prompt: q.prompt, options, key, points: q.points != null ? String(q.points) : '' };
    }),
  };
}

function toQuestions(d: Draft) {
  return d.questions.map((q) => {
    const points = q.points.trim() === '' ? undefined : Number(q.points);
    const base = { id: q.id, kind: q.kind, prompt: q.prompt, ...(points !== undefined ? { points } : {}) };
    if (q.kind === 'text') return base;
    const chosen = q.key.filter((i) => i < q.options.length).map((i) => q.options[i]!);
    return { ...base, options: q.options, ...(q.kind === 'single' ? (chosen[0] !== undefined ? { answer: chosen[0] } : {}) : { answer: chosen }) };
  });
}

/** The next free "q<n>" across the exam's other sheets and this draft: ids must be unique in the exam. */
function nextQuestionId(sheets: Sheet[], draft: Draft) {
  const ids = [...sheets.filter((s) => s.id !== draft.sheetId).flatMap((s) => s.questions.map((q) => q.id)), ...draft.questions.map((q) => q.id)];
  const max = Math.max(0, ...ids.map((id) => Number(/^q(\d+)$/.exec(id)?.[1] ?? 0)));
  return `q${max + 1}`;
}

/** Question sheets: the list (order, add, move) and the editor of one sheet, with its questions and images. */
export function SheetEditor({ examId }: { examId: number }) {
  const t = useTranslations('adminExams.sheets');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const exam = trpc.admin.exams.byId.useQuery({ examId });
  const sheets = trpc.admin.exams.sheets.list.useQuery({ examId });
  const [draft, setDraftState] = useState<Draft | null>(null);
  // Opening a sheet (or a new one) again starts its form afresh.
  const [opened, setOpened] = useState(0);
  const setDraft = (next: Draft | null) => {
    setDraftState(next);
    setOpened((n) => n + 1);
  };
  const refresh = () => void utils.admin.exams.sheets.list.invalidate({ examId });
  const move = trpc.admin.exams.sheets.move.useMutation({ onSuccess: refresh });

  if (exam.error || sheets.error) return <Alert>{errorText(exam.error ?? sheets.error)}</Alert>;
  if (!exam.data || !sheets.data) return <p className="text-sm text-slate-500">{tAdmin('common.loading')}</p>;
  const locked = exam.data.started || exam.data.status === 'archived';
  const interview = exam.data.kind === 'interview';
  const list = sheets.data;

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[18rem_minmax(0,1fr)]">
      <aside className="rounded-lg border border-slate-200 bg-white shadow-sm" data-testid="sheet-list">
        <div className="flex items-center gap-2 border-b border-slate-200 px-4 py-3">
          <h2 className="flex-1 font-semibold">{t('listTitle')}</h2>
          {!locked && (
            <Button
              variant="secondary"
              className="px-2.5 py-1 text-xs"
              onClick={() => setDraft({ sheetId: null, title: '', body: '', questions: [] })}
              data-testid="sheet-new"
            >
              {t('new')}
            </Button>
          )}
        </div>
        <ol className="divide-y divide-slate-100">
          {list.map((s, i) => (
            <li key={s.id} className={`flex items-center gap-1 px-2 py-2 ${draft?.sheetId === s.id ? 'bg-blue-50' : ''}`} data-testid="sheet-item">
              <button
                type="button"
                className="min-w-0 flex-1 rounded px-2 py-1 text-left hover:bg-slate-100"
                onClick={() => setDraft(toDraft(s))}
                data-testid={`sheet-open-${i + 1}`}
              >
                <span className="block truncate text-sm font-medium">
                  {i + 1}. {s.title}
                </span>
                <span className="block text-xs text-slate-500">{interview ? t('material') : t('questionCount', { count: s.questions.length })}</span>
              </button>
              {!locked && (
                <>
                  <Button
                    variant="ghost"
                    className="px-1.5 py-1 text-xs"
                    aria-label={t('moveUp')}
                    title={t('moveUp')}
                    disabled={i === 0 || move.isPending}
                    onClick={() => move.mutate({ examId, sheetId: s.id, direction: 'up' })}
                    data-testid="sheet-up"
                  >
                    ↑
                  </Button>
                  <Button
                    variant="ghost"
                    className="px-1.5 py-1 text-xs"
                    aria-label={t('moveDown')}
                    title={t('moveDown')}
                    disabled={i === list.length - 1 || move.isPending}
                    onClick={() => move.mutate({ examId, sheetId: s.id, direction: 'down' })}
                    data-testid="sheet-down"
                  >
                    ↓
                  </Button>
                </>
              )}
            </li>
          ))}
          {list.length === 0 && <li className="px-4 py-6 text-center text-sm text-slate-400">{t('empty')}</li>}
        </ol>
        {move.error && (
          <div className="p-3">
            <Alert>{errorText(move.error)}</Alert>
          </div>
        )}
      </aside>

      <div className="space-y-4">
        {locked && <Alert tone="info">{exam.data.status === 'archived' ? t('archivedHint') : t('lockedHint')}</Alert>}
        {draft ? (
          <SheetForm
            key={opened}
            examId={examId}
            initial={draft}
            sheets={list}
            locked={locked}
            interview={interview}
            onDone={(next) => (next ? setDraftState(next) : setDraft(null))}
          />
        ) : (
          <p className="rounded-lg border border-dashed border-slate-300 px-4 py-10 text-center text-sm text-slate-500">
            {list.length ? t('pick') : t('startHint')}
          </p>
        )}
      </div>
    </div>
  );
}

function SheetForm({
  examId,
  initial,
  sheets,
  locked,
  interview,
  onDone,
}: {
  examId: number;
  initial: Draft;
  sheets: Sheet[];
  locked: boolean;
  interview: boolean;
  onDone: (draft: Draft | null) => void;
}) {
  const t = useTranslations('adminExams.sheets');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [d, setD] = useState<Draft>(initial);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [saved, setSaved] = useState(false);
  const [imageError, setImageError] = useState<string | null>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const imageInput = useRef<HTMLInputElement>(null);
  const refresh = () => void utils.admin.exams.sheets.list.invalidate({ examId });
  const onSaved = (sheet: Sheet) => {
    refresh();
    setSaved(true);
    if (d.sheetId == null) onDone(toDraft(sheet));
  };
  const create = trpc.admin.exams.sheets.create.useMutation({ onSuccess: onSaved });
  const update = trpc.admin.exams.sheets.update.useMutation({ onSuccess: onSaved });
  const remove = trpc.admin.exams.sheets.delete.useMutation({
    onSuccess: () => {
      refresh();
      onDone(null);
    },
  });
  const upload = trpc.admin.exams.attachments.upload.useMutation();
  const saving = create.isPending || update.isPending;
  const error = create.error ?? update.error ?? remove.error ?? upload.error;
  const fieldErrors = (error?.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? null;

  const edit = (next: Partial<Draft>) => {
    setSaved(false);
    setD((x) => ({ ...x, ...next }));
  };
  const editQ = (i: number, next: Partial<DraftQuestion>) => edit({ questions: d.questions.map((q, j) => (j === i ? { ...q, ...next } : q)) });

  function save() {
    const input = { examId, title: d.title, body: d.body, questions: toQuestions(d) };
    if (d.sheetId == null) create.mutate(input);
    else update.mutate({ ...input, sheetId: d.sheetId });
  }

  async function insertImage(files: FileList | null) {
    const file = files?.[0];
    if (imageInput.current) imageInput.current.value = '';
    if (!file) return;
    setImageError(null);
    if (file.size > MAX_UPLOAD_BYTES) return setImageError(t('imageTooBig'));
    const caption = file.name.replace(/\.[^.]+$/, '');
    const row = await upload.mutateAsync({ examId, fileName: file.name, purpose: 'sheet', contentBase64: await fileToBase64(file) }).catch(() => null);
    if (!row) return;
    const el = bodyRef.current;
    const at = el ? el.selectionStart : d.body.length;
    const token = sheetImageToken(row.id, caption);
    const before = d.body.slice(0, at);
    const after = d.body.slice(at);
    // On its own line, so it reads as a figure between paragraphs.
    edit({ body: `${before}${before && !before.endsWith('\n') ? '\n' : ''}${token}\n${after}` });
  }

  return (
    <div className="space-y-4" data-testid="sheet-form">
      <fieldset disabled={locked} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <div>
          <label htmlFor="sheet-title" className="mb-1 block text-sm font-medium text-slate-700">
            {t('title')}
          </label>
          <input
            id="sheet-title"
            className={field}
            value={d.title}
            maxLength={200}
            onChange={(e) => edit({ title: e.target.value })}
            data-testid="sheet-title"
          />
          {fieldErrors?.title && <p className="mt-1 text-sm text-red-600">{fieldErrors.title}</p>}
        </div>
        <div className="grid gap-4 xl:grid-cols-2">
          <div>
            <div className="mb-1 flex items-center justify-between gap-2">
              <label htmlFor="sheet-body" className="text-sm font-medium text-slate-700">
                {interview ? t('bodyInterview') : t('body')}
              </label>
              {!locked && (
                <>
                  <input
                    ref={imageInput}
                    id="sheet-image"
                    type="file"
                    accept=".png,.jpg,.jpeg"
                    className="sr-only"
                    onChange={(e) => void insertImage(e.target.files)}
                    data-testid="sheet-image-file"
                  />
                  <label
                    htmlFor="sheet-image"
                    className="cursor-pointer rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50"
                  >
                    {upload.isPending ? t('uploading') : t('insertImage')}
                  </label>
                </>
              )}
            </div>
            <textarea
              id="sheet-body"
              ref={bodyRef}
              className={`${field} min-h-48 font-mono`}
              value={d.body}
              onChange={(e) => edit({ body: e.target.value })}
              data-testid="sheet-body"
            />
            <p className="mt-1 text-xs text-slate-500">{t('bodyHint')}</p>
            {imageError && <p className="mt-1 text-sm text-red-600">{imageError}</p>}
          </div>
          <div>
            <p className="mb-1 text-sm font-medium text-slate-700">{t('preview')}</p>
            <div className="min-h-48 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="sheet-preview">
              {d.body ? <SheetBody body={d.body} /> : <span className="text-slate-400">{t('previewEmpty')}</span>}
            </div>
          </div>
        </div>

        {!interview && (
          <div>
            <h3 className="mb-2 text-sm font-semibold text-slate-800">{t('questions')}</h3>
            <ol className="space-y-3">
              {d.questions.map((q, i) => (
                <QuestionCard
                  key={i}
                  q={q}
                  onChange={(next) => editQ(i, next)}
                  onRemove={() => edit({ questions: d.questions.filter((_, j) => j !== i) })}
                  onMove={(dir) => {
                    const j = i + dir;
                    if (j < 0 || j >= d.questions.length) return;
                    const qs = [...d.questions];
                    [qs[i], qs[j]] = [qs[j]!, qs[i]!];
                    edit({ questions: qs });
                  }}
                />
              ))}
            </ol>
            {d.questions.length === 0 && <p className="text-sm text-slate-400">{t('noQuestions')}</p>}
            {!locked && (
              <div className="mt-3 flex flex-wrap gap-2">
                {(['single', 'multiple', 'text'] as const).map((kind) => (
                  <Button
                    key={kind}
                    variant="secondary"
                    className="text-xs"
                    onClick={() =>
                      edit({
                        questions: [
                          ...d.questions,
                          {
                            id: nextQuestionId(sheets, d),
                            kind,
                            prompt: '',
                            options: kind === 'text' ? [] : ['', '', '', ''],
                            key: [],
                            points: kind === 'text' ? '10' : '2',
                          },
                        ],
                      })
                    }
                    data-testid={`question-add-${kind}`}
                  >
                    {t('addQuestion', { kind: t(`kinds.${kind}`) })}
                  </Button>
                ))}
              </div>
            )}
          </div>
        )}
      </fieldset>

      {error && <Alert>{errorText(error)}</Alert>}
      {!locked && (
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={save} disabled={saving} data-testid="sheet-save">
            {saving ? tAdmin('common.saving') : tAdmin('common.save')}
          </Button>
          {saved && !saving && (
            <span className="text-sm text-green-700" data-testid="sheet-saved">
              {tAdmin('common.saved')}
            </span>
          )}
          <span className="flex-1" />
          {d.sheetId != null &&
            (confirmDelete ? (
              <span className="flex items-center gap-2 text-sm" role="alertdialog">
                {t('deleteConfirm')}
                <Button
                  variant="danger"
                  onClick={() => remove.mutate({ examId, sheetId: d.sheetId! })}
                  disabled={remove.isPending}
                  data-testid="sheet-delete-yes"
                >
                  {tAdmin('common.delete')}
                </Button>
                <Button variant="secondary" onClick={() => setConfirmDelete(false)}>
                  {tAdmin('common.cancel')}
                </Button>
              </span>
            ) : (
              <Button variant="ghost" className="text-red-700" onClick={() => setConfirmDelete(true)} data-testid="sheet-delete">
                {t('delete')}
              </Button>
            ))}
        </div>
      )}
    </div>
  );
}

function QuestionCard({
  q,
  onChange,
  onRemove,
  onMove,
}: {
  q: DraftQuestion;
  onChange: (next: Partial<DraftQuestion>) => void;
  onRemove: () => void;
  onMove: (dir: -1 | 1) => void;
}) {
  const t = useTranslations('adminExams.sheets');
  const choice = q.kind !== 'text';
  const tick = (i: number) => onChange({ key: q.kind === 'single' ? [i] : q.key.includes(i) ? q.key.filter((k) => k !== i) : [...q.key, i].sort() });
  const setOption = (i: number, value: string) => onChange({ options: q.options.map((o, j) => (j === i ? value : o)) });
  const removeOption = (i: number) =>
    onChange({ options: q.options.filter((_, j) => j !== i), key: q.key.filter((k) => k !== i).map((k) => (k > i ? k - 1 : k)) });

  return (
    <li className="rounded-md border border-slate-200 p-3" data-testid={`question-${q.id}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-600" title={t('idHint')}>
          {q.id}
        </span>
        <label className="sr-only" htmlFor={`kind-${q.id}`}>
          {t('kind')}
        </label>
        <select
          id={`kind-${q.id}`}
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
          value={q.kind}
          onChange={(e) => {
            const kind = e.target.value as Kind;
            onChange({
              kind,
              key: kind === 'single' ? q.key.slice(0, 1) : q.key,
              options: kind === 'text' ? [] : q.options.length ? q.options : ['', '', '', ''],
            });
          }}
          data-testid="question-kind"
        >
          {(['single', 'multiple', 'text'] as const).map((k) => (
            <option key={k} value={k}>
              {t(`kinds.${k}`)}
            </option>
          ))}
        </select>
        <label className="ml-2 flex items-center gap-1 text-sm text-slate-600">
          {t('points')}
          <input
            type="number"
            min={0}
            max={1000}
            step={0.5}
            className="w-20 rounded-md border border-slate-300 px-2 py-1 text-sm"
            value={q.points}
            onChange={(e) => onChange({ points: e.target.value })}
            data-testid="question-points"
          />
        </label>
        <span className="flex-1" />
        <button
          type="button"
          className="rounded px-1.5 text-slate-500 hover:bg-slate-100"
          title={t('moveUp')}
          aria-label={t('moveUp')}
          onClick={() => onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="rounded px-1.5 text-slate-500 hover:bg-slate-100"
          title={t('moveDown')}
          aria-label={t('moveDown')}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
        <button type="button" className="rounded px-2 py-0.5 text-sm text-red-700 hover:bg-red-50" onClick={onRemove} data-testid="question-remove">
          {t('removeQuestion')}
        </button>
      </div>
      <label className="sr-only" htmlFor={`prompt-${q.id}`}>
        {t('prompt')}
      </label>
      <textarea
        id={`prompt-${q.id}`}
        className={`${field} mt-2 min-h-16`}
        placeholder={t('prompt')}
        value={q.prompt}
        onChange={(e) => onChange({ prompt: e.target.value })}
        data-testid="question-prompt"
      />
      {choice && (
        <div className="mt-2 space-y-1.5">
          <p className="text-xs text-slate-500">{q.kind === 'single' ? t('keyHintSingle') : t('keyHintMultiple')}</p>
          {q.options.map((o, i) => (
            <div key={i} className="flex items-center gap-2">
              <input
                type={q.kind === 'single' ? 'radio' : 'checkbox'}
                name={`key-${q.id}`}
                checked={q.key.includes(i)}
                onChange={() => tick(i)}
                aria-label={t('markKey', { option: String.fromCharCode(65 + i) })}
                data-testid={`question-key-${i}`}
              />
              <span className="w-5 text-sm font-medium text-slate-500">{String.fromCharCode(65 + i)}</span>
              <input
                className={`${field} py-1`}
                value={o}
                aria-label={t('option', { option: String.fromCharCode(65 + i) })}
                onChange={(e) => setOption(i, e.target.value)}
                data-testid={`question-option-${i}`}
              />
              <button
                type="button"
                className="rounded px-1.5 text-slate-400 hover:bg-slate-100 hover:text-red-700"
                aria-label={t('removeOption')}
                title={t('removeOption')}
                onClick={() => removeOption(i)}
              >
                ×
              </button>
            </div>
          ))}
          {q.options.length < 26 && (
            <button
              type="button"
              className="text-sm text-blue-700 hover:underline"
              onClick={() => onChange({ options: [...q.options, ''] })}
              data-testid="question-add-option"
            >
              {t('addOption')}
            </button>
          )}
        </div>
      )}
    </li>
  );
}
