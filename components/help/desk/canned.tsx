'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useMemo, useRef, useState } from 'react';
import { useDismiss } from '@/components/candidate/use-dismiss';
import { GridDialog } from '@/components/grid/grid-dialog';
import { trpc } from '@/components/providers/trpc';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { BODY_MAX, CANNED_TITLE_MAX } from '../constants';

/**
 * Canned replies beside the message box: a filterable list that drops the chosen text into the
 * draft (to be edited before sending, never sent blind). Arrow keys and Enter work in the filter.
 */
export function CannedPicker({ onPick }: { onPick: (body: string) => void }) {
  const t = useTranslations('desk.canned');
  const canned = trpc.help.canned.list.useQuery(undefined, { staleTime: 60_000 });
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const box = useRef<HTMLDivElement>(null);

  const items = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const all = canned.data ?? [];
    return q ? all.filter((c) => c.title.toLowerCase().includes(q) || c.body.toLowerCase().includes(q)) : all;
  }, [canned.data, filter]);

  const close = useCallback(() => setOpen(false), []);
  useDismiss(box, open, close);

  const choose = (body: string) => {
    onPick(body);
    setOpen(false);
    setFilter('');
  };

  return (
    <div ref={box} className="relative">
      <button
        type="button"
        data-testid="canned-open"
        aria-expanded={open}
        onClick={() => {
          setOpen((o) => !o);
          setActive(0);
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-700 hover:bg-slate-50"
      >
        {t('button')}
      </button>
      {open && (
        <div
          data-testid="canned-picker"
          className="absolute bottom-full left-0 z-30 mb-1 w-96 max-w-[80vw] rounded-lg border border-slate-200 bg-white p-2 shadow-xl"
        >
          <input
            autoFocus
            value={filter}
            placeholder={t('filter')}
            aria-label={t('filter')}
            onChange={(e) => {
              setFilter(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((i) => Math.max(0, Math.min(items.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1))));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                const item = items[active];
                if (item) choose(item.body);
              }
            }}
            className="mb-1.5 w-full rounded border border-slate-300 px-2 py-1 text-sm outline-none focus:ring-2 focus:ring-blue-300"
          />
          <ul className="max-h-64 overflow-y-auto" role="listbox">
            {items.length === 0 && <li className="px-2 py-3 text-center text-xs text-slate-400">{canned.isLoading ? t('loading') : t('none')}</li>}
            {items.map((c, i) => (
              <li
                key={c.id}
                role="option"
                aria-selected={i === active}
                data-testid={`canned-item-${c.id}`}
                onMouseEnter={() => setActive(i)}
                onClick={() => choose(c.body)}
                className={`cursor-pointer rounded px-2 py-1.5 ${i === active ? 'bg-blue-50' : ''}`}
              >
                <p className="text-sm font-medium text-slate-800">{c.title}</p>
                <p className="line-clamp-2 text-xs text-slate-500">{c.body}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Support and admins keep the shared list: add, edit, remove. */
export function CannedManager({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useTranslations('desk.canned');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const canned = trpc.help.canned.list.useQuery(undefined, { enabled: open });
  const [editing, setEditing] = useState<{ id: number | null; title: string; body: string }>({ id: null, title: '', body: '' });
  const done = () => {
    setEditing({ id: null, title: '', body: '' });
    void utils.help.canned.list.invalidate();
  };
  const create = trpc.help.canned.create.useMutation({ onSuccess: done });
  const update = trpc.help.canned.update.useMutation({ onSuccess: done });
  const remove = trpc.help.canned.remove.useMutation({ onSuccess: () => void utils.help.canned.list.invalidate() });
  const busy = create.isPending || update.isPending || remove.isPending;
  const error = create.error ?? update.error ?? remove.error;

  const save = () => {
    const input = { title: editing.title.trim(), body: editing.body.trim() };
    if (editing.id != null) update.mutate({ id: editing.id, ...input });
    else create.mutate(input);
  };

  return (
    <GridDialog open={open} title={t('manageTitle')} onClose={onClose} busy={busy} testId="canned-manager" width="max-w-2xl">
      <ul className="max-h-72 space-y-1.5 overflow-y-auto">
        {canned.data?.length === 0 && <li className="py-4 text-center text-sm text-slate-400">{t('none')}</li>}
        {canned.data?.map((c) => (
          <li key={c.id} className="flex items-start gap-2 rounded border border-slate-200 px-3 py-2" data-testid={`canned-row-${c.id}`}>
            <div className="min-w-0 flex-1">
              <p className="text-sm font-medium">{c.title}</p>
              <p className="line-clamp-2 whitespace-pre-wrap text-xs text-slate-500">{c.body}</p>
            </div>
            <Button variant="ghost" className="!px-2 !py-1 text-xs" onClick={() => setEditing({ id: c.id, title: c.title, body: c.body })}>
              {t('edit')}
            </Button>
            <Button
              variant="ghost"
              className="!px-2 !py-1 text-xs text-red-600"
              disabled={busy}
              onClick={() => {
                if (window.confirm(t('confirmRemove', { title: c.title }))) remove.mutate({ id: c.id });
              }}
            >
              {t('remove')}
            </Button>
          </li>
        ))}
      </ul>
      <form
        className="mt-4 space-y-2 border-t border-slate-200 pt-3"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h3 className="text-sm font-medium">{editing.id != null ? t('editTitle') : t('addTitle')}</h3>
        <input
          data-testid="canned-title"
          value={editing.title}
          maxLength={CANNED_TITLE_MAX}
          placeholder={t('titlePlaceholder')}
          aria-label={t('titlePlaceholder')}
          onChange={(e) => setEditing((s) => ({ ...s, title: e.target.value }))}
          className="w-full rounded border border-slate-300 px-2 py-1.5 text-sm"
        />
        <textarea
          data-testid="canned-body"
          value={editing.body}
          maxLength={BODY_MAX}
          rows={4}
          placeholder={t('bodyPlaceholder')}
          aria-label={t('bodyPlaceholder')}
          onChange={(e) => setEditing((s) => ({ ...s, body: e.target.value }))}
          className="w-full rounded border border-slate-300 px-2 py-1.5 text-sm"
        />
        {error && (
          <p role="alert" className="text-sm text-red-600">
            {errorText(error)}
          </p>
        )}
        <div className="flex justify-end gap-2">
          {editing.id != null && (
            <Button variant="secondary" onClick={() => setEditing({ id: null, title: '', body: '' })}>
              {t('cancelEdit')}
            </Button>
          )}
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            {t('close')}
          </Button>
          <Button type="submit" data-testid="canned-save" disabled={busy || !editing.title.trim() || !editing.body.trim()}>
            {t('save')}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}
