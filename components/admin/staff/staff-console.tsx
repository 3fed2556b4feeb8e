'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { field, fieldErrorsOf } from '@/components/admin/rooms/form';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { ErrorRow } from '../error-row';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterOutputs } from '@trpc/server';

type StaffRow = inferRouterOutputs<AppRouter>['admin']['staff']['list'][number];
type Role = StaffRow['role'];
const ROLES: Role[] = ['invigilator', 'support', 'admin'];

/** A password without look-alike characters, made in the browser for the create form. */
function generatePassword(length = 12) {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint32Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** Staff accounts: filter by role, search, create, edit, reset passwords, archive, and support agents' desk settings. */
export function StaffConsole({ currentUserId }: { currentUserId: number }) {
  const t = useTranslations('adminStaff');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [role, setRole] = useState<Role | 'all'>('all');
  const [q, setQ] = useState('');
  const [includeArchived, setIncludeArchived] = useState(false);
  const [shown, setShown] = useState<{ name: string; password: string } | null>(null);
  const list = trpc.admin.staff.list.useQuery(
    { role: role === 'all' ? undefined : role, q: q.trim() || undefined, includeArchived },
    { placeholderData: (prev) => prev },
  );
  const refresh = () => void utils.admin.staff.list.invalidate();

  return (
    <div className="space-y-5" data-testid="staff-console">
      <CreateStaffForm onCreated={refresh} />

      {shown && (
        <div
          className="flex flex-wrap items-center gap-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950"
          role="status"
          data-testid="reset-password-result"
        >
          <span>{t('reset.done', { name: shown.name })}</span>
          <code
            className="rounded bg-white px-2 py-1 font-mono text-base tracking-wider text-slate-900 ring-1 ring-amber-200"
            data-testid="reset-password-value"
          >
            {shown.password}
          </code>
          <Button variant="secondary" className="ml-auto px-2.5 py-1 text-xs" onClick={() => setShown(null)} data-testid="reset-password-dismiss">
            {t('reset.dismiss')}
          </Button>
        </div>
      )}

      <div className="flex flex-wrap items-center gap-3">
        <div className="flex rounded-md border border-slate-300 bg-white p-0.5" role="tablist">
          {(['all', ...ROLES] as const).map((r) => (
            <button
              key={r}
              type="button"
              role="tab"
              aria-selected={role === r}
              onClick={() => setRole(r)}
              className={`rounded px-3 py-1.5 text-sm ${role === r ? 'bg-blue-600 font-medium text-white' : 'text-slate-700 hover:bg-slate-100'}`}
              data-testid={`staff-tab-${r}`}
            >
              {t(`roles.${r}`)}
            </button>
          ))}
        </div>
        <input
          className={`${field} w-64`}
          value={q}
          maxLength={50}
          placeholder={t('filters.search')}
          aria-label={t('filters.search')}
          onChange={(e) => setQ(e.target.value)}
          data-testid="staff-search"
        />
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} data-testid="staff-include-archived" />
          {t('filters.includeArchived')}
        </label>
      </div>

      {list.error && <Alert>{errorText(list.error)}</Alert>}
      {list.data && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <table className="w-full text-left text-sm" data-testid="staff-table">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-2 font-medium">{t('table.name')}</th>
                <th className="px-4 py-2 font-medium">{t('table.username')}</th>
                <th className="px-4 py-2 font-medium">{t('table.role')}</th>
                <th className="px-4 py-2 font-medium">{t('table.status')}</th>
                <th className="px-4 py-2 font-medium">
                  {t('table.rooms')} / {t('table.desk')}
                </th>
                <th className="px-4 py-2 font-medium">{t('table.actions')}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data.length === 0 && (
                <tr>
                  <td colSpan={6} className="px-4 py-8 text-center text-slate-500" data-testid="staff-empty">
                    {t('table.empty')}
                  </td>
                </tr>
              )}
              {list.data.map((u) => (
                <StaffRowView
                  key={u.id}
                  user={u}
                  self={u.id === currentUserId}
                  onChanged={refresh}
                  onPassword={(password) => setShown({ name: u.name, password })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CreateStaffForm({ onCreated }: { onCreated: () => void }) {
  const t = useTranslations('adminStaff');
  const errorText = useErrorText();
  const [role, setRole] = useState<Role>('invigilator');
  const [name, setName] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const create = trpc.admin.staff.create.useMutation({
    onSuccess: () => {
      setName('');
      setUsername('');
      setPassword('');
      onCreated();
    },
  });
  const errors = fieldErrorsOf(create.error);

  return (
    <form
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ role, name, username, password });
      }}
      noValidate
      data-testid="staff-create-form"
    >
      <h2 className="mb-3 font-semibold">{t('create.heading')}</h2>
      <div className="flex flex-wrap items-start gap-3">
        <label className="flex flex-col gap-1 text-sm">
          <span className="text-slate-700">{t('create.role')}</span>
          <select className={field} value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="staff-create-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span className="text-slate-700">{t('create.name')}</span>
          <input className={`${field} w-40`} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} data-testid="staff-create-name" />
          {errors.name && <span className="text-xs text-red-700">{errors.name}</span>}
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span className="text-slate-700">{t('create.username')}</span>
          <input
            className={`${field} w-48 font-mono`}
            value={username}
            maxLength={32}
            autoCapitalize="none"
            autoComplete="off"
            onChange={(e) => setUsername(e.target.value)}
            data-testid="staff-create-username"
          />
          {errors.username && <span className="text-xs text-red-700">{errors.username}</span>}
          <span className="text-xs text-slate-500">{t('create.usernameHint')}</span>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span className="text-slate-700">{t('create.password')}</span>
          <span className="flex gap-1.5">
            <input
              className={`${field} w-44 font-mono`}
              value={password}
              maxLength={128}
              autoComplete="new-password"
              onChange={(e) => setPassword(e.target.value)}
              data-testid="staff-create-password"
            />
            <Button variant="secondary" className="px-2.5" onClick={() => setPassword(generatePassword())} data-testid="staff-create-generate">
              {t('create.generate')}
            </Button>
          </span>
          <span className={`text-xs ${errors.password ? 'text-red-700' : 'text-slate-500'}`}>{errors.password ?? t('create.passwordHint')}</span>
        </label>
        <Button type="submit" className="mt-6" disabled={create.isPending} data-testid="staff-create-submit">
          {t('create.submit')}
        </Button>
      </div>
      {create.isSuccess && (
        <p className="mt-3 text-sm text-green-700" role="status" data-testid="staff-created">
          {t('create.created', { username: create.data.username })}
        </p>
      )}
      {create.error && !Object.keys(errors).length && (
        <div className="mt-3">
          <Alert>{errorText(create.error)}</Alert>
        </div>
      )}
    </form>
  );
}

function StaffRowView({
  user: u,
  self,
  onChanged,
  onPassword,
}: {
  user: StaffRow;
  self: boolean;
  onChanged: () => void;
  onPassword: (password: string) => void;
}) {
  const t = useTranslations('adminStaff');
  const errorText = useErrorText();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(u.name);
  const [role, setRole] = useState<Role>(u.role);
  const update = trpc.admin.staff.update.useMutation({ onSuccess: () => (setEditing(false), onChanged()) });
  const reset = trpc.admin.staff.resetPassword.useMutation({ onSuccess: (r) => onPassword(r.password) });
  const archive = trpc.admin.staff.archive.useMutation({ onSuccess: onChanged });
  const unarchive = trpc.admin.staff.unarchive.useMutation({ onSuccess: onChanged });
  const error = [update, reset, archive, unarchive].find((m) => m.error)?.error;
  const archived = u.archivedAt != null;
  const testid = (s: string) => `staff-${u.username ?? u.id}-${s}`;

  return (
    <>
      <tr className={archived ? 'bg-slate-50 text-slate-500' : ''} data-testid={`staff-row-${u.username ?? u.id}`}>
        <td className="px-4 py-3 align-top">
          {editing ? (
            <input className={`${field} w-36 py-1`} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} data-testid={testid('name-input')} />
          ) : (
            <span className="font-medium text-slate-900">
              {u.name}
              {self && <span className="ml-1 text-xs font-normal text-slate-500">{t('table.you')}</span>}
            </span>
          )}
        </td>
        <td className="px-4 py-3 align-top font-mono text-xs">{u.username}</td>
        <td className="px-4 py-3 align-top">
          {editing && !self ? (
            <select className={`${field} py-1`} value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid={testid('role-select')}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          ) : (
            <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700">{t(`roles.${u.role}`)}</span>
          )}
        </td>
        <td className="px-4 py-3 align-top">
          {archived ? (
            <span className="rounded bg-amber-100 px-2 py-0.5 text-xs text-amber-800">{t('table.archived')}</span>
          ) : (
            <span className="rounded bg-green-100 px-2 py-0.5 text-xs text-green-800">{t('table.active')}</span>
          )}
        </td>
        <td className="px-4 py-3 align-top">
          {u.role === 'invigilator' && <span className="text-slate-600">{t('table.roomsCount', { count: u.rooms })}</span>}
          {u.agent && !archived && <DeskSettings userId={u.id} testid={testid} agent={u.agent} onSaved={onChanged} />}
        </td>
        <td className="px-4 py-3 align-top">
          <div className="flex flex-wrap gap-1.5">
            {editing ? (
              <>
                <Button
                  className="px-2.5 py-1 text-xs"
                  disabled={update.isPending}
                  onClick={() => update.mutate({ userId: u.id, name, ...(self ? {} : { role }) })}
                  data-testid={testid('save')}
                >
                  {t('table.save')}
                </Button>
                <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={() => (setEditing(false), update.reset())}>
                  {t('table.cancel')}
                </Button>
              </>
            ) : (
              <Button
                variant="secondary"
                className="px-2.5 py-1 text-xs"
                onClick={() => {
                  setName(u.name);
                  setRole(u.role);
                  setEditing(true);
                }}
                data-testid={testid('edit')}
              >
                {t('table.edit')}
              </Button>
            )}
            {!archived && (
              <Button
                variant="secondary"
                className="px-2.5 py-1 text-xs"
                disabled={reset.isPending}
                onClick={() => window.confirm(t('table.confirmReset', { name: u.name })) && reset.mutate({ userId: u.id })}
                data-testid={testid('reset')}
              >
                {t('table.resetPassword')}
              </Button>
            )}
            {archived ? (
              <Button variant="secondary" className="px-2.5 py-1 text-xs" onClick={() => unarchive.mutate({ userId: u.id })} data-testid={testid('unarchive')}>
                {t('table.unarchive')}
              </Button>
            ) : (
              !self && (
                <Button
                  variant="ghost"
                  className="px-2.5 py-1 text-xs text-red-700 hover:bg-red-50"
                  onClick={() => window.confirm(t('table.confirmArchive', { name: u.name })) && archive.mutate({ userId: u.id })}
                  data-testid={testid('archive')}
                >
                  {t('table.archive')}
                </Button>
              )
            )}
          </div>
        </td>
      </tr>
      <ErrorRow error={error} colSpan={6} testId={testid('error')} />
    </>
  );
}

function DeskSettings({
  userId,
  agent,
  testid,
  onSaved,
}: {
  userId: number;
  agent: { capacity: number; accepting: boolean; lead: boolean };
  testid: (s: string) => string;
  onSaved: () => void;
}) {
  const t = useTranslations('adminStaff.table');
  const errorText = useErrorText();
  const [capacity, setCapacity] = useState(String(agent.capacity));
  const [accepting, setAccepting] = useState(agent.accepting);
  const [lead, setLead] = useState(agent.lead);
  const save = trpc.admin.staff.setAgent.useMutation({ onSuccess: onSaved });
  const dirty = Number(capacity) !== agent.capacity || accepting !== agent.accepting || lead !== agent.lead;
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs text-slate-700">
      <label className="flex items-center gap-1">
        {t('capacity')}
        <input
          className={`${field} w-16 px-2 py-1`}
          type="number"
          min={1}
          max={50}
          value={capacity}
          onChange={(e) => setCapacity(e.target.value)}
          data-testid={testid('capacity')}
        />
      </label>
      <label className="flex items-center gap-1">
        <input type="checkbox" checked={accepting} onChange={(e) => setAccepting(e.target.checked)} data-testid={testid('accepting')} />
        {t('accepting')}
      </label>
      <label className="flex items-center gap-1" title={t('leadHint')}>
        <input type="checkbox" checked={lead} onChange={(e) => setLead(e.target.checked)} data-testid={testid('lead')} />
        {t('lead')}
      </label>
      <Button
        variant="secondary"
        className="px-2 py-1 text-xs"
        disabled={!dirty || save.isPending}
        onClick={() => save.mutate({ userId, capacity: Number(capacity), accepting, lead })}
        data-testid={testid('desk-save')}
      >
        {t('saveDesk')}
      </Button>
      {save.isSuccess && !dirty && <span className="text-green-700">{t('deskSaved')}</span>}
      {save.error && <span className="w-full text-red-700">{errorText(save.error)}</span>}
    </div>
  );
}
