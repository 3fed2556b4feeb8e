'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { EditCandidateDialog, PasswordDialog, type EditableCandidate } from './candidate-dialogs';

type Row = inferRouterOutputs<AppRouter>['admin']['candidates']['list']['rows'][number];
type Placed = 'all' | 'placed' | 'unplaced';

const PAGE_SIZE = 50;

/** The exam's candidates: search, placed filter, pages, and the per-candidate actions. */
export function CandidateList({ examId }: { examId: number }) {
  const t = useTranslations('adminCandidates.list');
  const tPhoto = useTranslations('adminPhotos.list');
  const tCommon = useTranslations('admin.common');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [placed, setPlaced] = useState<Placed>('all');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<EditableCandidate | null>(null);
  const [passwordFor, setPasswordFor] = useState<EditableCandidate | null>(null);

  // Typing settles before the server is asked.
  useEffect(() => {
    const id = setTimeout(() => {
      setQ(search.trim());
      setPage(1);
    }, 250);
    return () => clearTimeout(id);
  }, [search]);

  const list = trpc.admin.candidates.list.useQuery({ examId, q: q || undefined, placed, page, pageSize: PAGE_SIZE }, { placeholderData: (prev) => prev });
  // Registrations show on every tab (rooms, overview, the exams list): all of them refetch.
  const refresh = () => void utils.admin.invalidate();
  const toggle = trpc.admin.candidates.setPasswordLogin.useMutation({ onSuccess: refresh });
  const unregister = trpc.admin.candidates.unregister.useMutation({ onSuccess: refresh });
  const error = toggle.error ?? unregister.error;

  const data = list.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;

  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid="candidate-list">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 className="text-lg font-semibold">{t('heading')}</h2>
        <a
          href={`/api/admin/exams/${examId}/candidates`}
          className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
          data-testid="candidates-export"
        >
          {t('export')}
        </a>
      </div>

      <div className="flex flex-wrap items-center gap-3">
        <input
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder={t('searchPlaceholder')}
          aria-label={tCommon('search')}
          className="w-full max-w-sm rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500"
          data-testid="candidate-search"
        />
        <div className="flex gap-1" role="radiogroup">
          {(['all', 'placed', 'unplaced'] as const).map((p) => (
            <button
              key={p}
              type="button"
              role="radio"
              aria-checked={placed === p}
              onClick={() => {
                setPlaced(p);
                setPage(1);
              }}
              className={`rounded-md border px-3 py-1.5 text-sm ${placed === p ? 'border-blue-600 bg-blue-50 font-medium text-blue-800' : 'border-slate-300 text-slate-700 hover:bg-slate-50'}`}
              data-testid={`candidate-filter-${p}`}
            >
              {t(`placed.${p}`, { count: data?.counts[p] ?? 0 })}
            </button>
          ))}
        </div>
      </div>

      {error && <Alert>{errorText(error)}</Alert>}
      {list.error && <Alert>{errorText(list.error)}</Alert>}

      <div className="overflow-x-auto rounded-md border border-slate-200">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100 text-xs text-slate-500">
            <tr>
              <th className="px-3 py-2">{t('columns.name')}</th>
              <th className="px-3 py-2">{tPhoto('column')}</th>
              <th className="px-3 py-2">{t('columns.idNumber')}</th>
              <th className="px-3 py-2">{t('columns.contact')}</th>
              <th className="px-3 py-2">{t('columns.room')}</th>
              <th className="px-3 py-2">{t('columns.passwordLogin')}</th>
              <th className="px-3 py-2">{t('columns.status')}</th>
              <th className="px-3 py-2 text-right">{t('columns.actions')}</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {data?.rows.map((r) => (
              <CandidateRow
                key={r.candidateId}
                row={r}
                busy={toggle.isPending || unregister.isPending}
                onToggle={(enabled) => toggle.mutate({ candidateId: r.candidateId, enabled, examId })}
                onEdit={() => setEditing(r)}
                onPassword={() => setPasswordFor(r)}
                onUnregister={() => {
                  if (window.confirm(t('confirmUnregister', { name: r.name }))) unregister.mutate({ examId, candidateId: r.candidateId });
                }}
              />
            ))}
          </tbody>
        </table>
        {data && data.rows.length === 0 && (
          <p className="px-3 py-8 text-center text-sm text-slate-500" data-testid="candidate-list-empty">
            {data.counts.all === 0 ? t('empty') : t('noMatch')}
          </p>
        )}
        {!data && list.isLoading && <p className="px-3 py-8 text-center text-sm text-slate-500">{tCommon('loading')}</p>}
      </div>

      {data && data.total > 0 && (
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
          <span>
            <span data-testid="candidate-total">{t('total', { count: data.total })}</span>
            {data.withoutPhoto > 0 && (
              <span className="ml-3 rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800" data-testid="candidate-without-photo">
                {tPhoto('missingCount', { count: data.withoutPhoto })}
              </span>
            )}
          </span>
          {pages > 1 && (
            <div className="flex items-center gap-2">
              <Button variant="secondary" className="px-2 py-1" disabled={page <= 1} onClick={() => setPage(page - 1)} data-testid="candidate-prev">
                ‹
              </Button>
              <span className="tabular-nums">
                {page} / {pages}
              </span>
              <Button variant="secondary" className="px-2 py-1" disabled={page >= pages} onClick={() => setPage(page + 1)} data-testid="candidate-next">
                ›
              </Button>
            </div>
          )}
        </div>
      )}

      {editing && (
        <EditCandidateDialog
          examId={examId}
          candidate={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      {passwordFor && <PasswordDialog examId={examId} candidate={passwordFor} onClose={() => setPasswordFor(null)} onSet={refresh} />}
    </section>
  );
}

function CandidateRow({
  row,
  busy,
  onToggle,
  onEdit,
  onPassword,
  onUnregister,
}: {
  row: Row;
  busy: boolean;
  onToggle: (enabled: boolean) => void;
  onEdit: () => void;
  onPassword: () => void;
  onUnregister: () => void;
}) {
  const t = useTranslations('adminCandidates.list');
  const tPhoto = useTranslations('adminPhotos.list');
  const status = row.finishedAt ? 'finished' : row.enteredAt ? 'entered' : 'notEntered';
  const hasHistory = !!row.enteredAt;
  return (
    <tr data-testid="candidate-row" data-candidate-id={row.candidateId} className="align-middle">
      <td className="px-3 py-2 font-medium text-slate-900">{row.name}</td>
      <td className="px-3 py-2" data-testid="candidate-photo-state" data-has-photo={row.hasPhoto}>
        {row.hasPhoto ? (
          <span className="text-xs text-slate-500">{tPhoto('has')}</span>
        ) : (
          <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">{tPhoto('missing')}</span>
        )}
      </td>
      <td className="px-3 py-2 font-mono text-xs text-slate-700">{row.idNumber}</td>
      <td className="px-3 py-2 text-slate-600">
        <div className="tabular-nums">{row.phone}</div>
        <div className="break-all text-xs text-slate-500">{row.email}</div>
      </td>
      <td className="px-3 py-2">
        {row.roomName ? (
          <span>
            {row.roomName} · {t('seat', { seat: row.seat ?? '' })}
          </span>
        ) : (
          <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">{t('unplaced')}</span>
        )}
      </td>
      <td className="px-3 py-2">
        <button
          type="button"
          role="switch"
          aria-checked={row.passwordLoginEnabled}
          aria-label={t('toggleLogin', { name: row.name })}
          disabled={busy}
          onClick={() => onToggle(!row.passwordLoginEnabled)}
          className="flex items-center gap-2 disabled:opacity-60"
          data-testid="candidate-login-toggle"
        >
          <span className={`relative inline-block h-5 w-9 rounded-full transition-colors ${row.passwordLoginEnabled ? 'bg-blue-600' : 'bg-slate-300'}`}>
            <span
              className={`absolute top-0.5 h-4 w-4 rounded-full bg-white shadow transition-all ${row.passwordLoginEnabled ? 'left-[1.125rem]' : 'left-0.5'}`}
            />
          </span>
          <span className="text-xs text-slate-700">{row.passwordLoginEnabled ? t('passwordLoginOn') : t('passwordLoginOff')}</span>
        </button>
        {!row.hasPassword && <div className="mt-0.5 text-xs text-slate-400">{t('noPassword')}</div>}
      </td>
      <td className="px-3 py-2">
        <span className={`text-xs ${status === 'finished' ? 'text-slate-500' : status === 'entered' ? 'text-green-700' : 'text-slate-600'}`}>
          {t(`status.${status}`)}
        </span>
      </td>
      <td className="px-3 py-2">
        <div className="flex flex-wrap justify-end gap-1">
          <Button variant="ghost" className="px-2 py-1 text-xs" onClick={onEdit} data-testid="candidate-edit">
            {t('edit')}
          </Button>
          <Button variant="ghost" className="px-2 py-1 text-xs" onClick={onPassword} data-testid="candidate-set-password">
            {t('setPassword')}
          </Button>
          {!hasHistory && (
            <Button variant="ghost" className="px-2 py-1 text-xs text-red-700" onClick={onUnregister} data-testid="candidate-unregister">
              {t('unregister')}
            </Button>
          )}
        </div>
      </td>
    </tr>
  );
}
