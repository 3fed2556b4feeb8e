'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Button } from '@/components/ui/button';
import { ErrorRow } from '../error-row';
import { field } from './form';
import type { InvigilatorOption, RoomsList } from './rooms-console';

type Room = RoomsList['rooms'][number];

export function RoomsTable({
  rooms,
  invigilators,
  readOnly,
  underWay,
  onChanged,
}: {
  rooms: Room[];
  invigilators: InvigilatorOption[];
  readOnly: boolean;
  underWay: boolean;
  onChanged: () => void;
}) {
  const t = useTranslations('adminRooms.table');
  if (!rooms.length)
    return (
      <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-8 text-center text-sm text-slate-500" data-testid="rooms-empty">
        {t('empty')}
      </p>
    );
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm" data-testid="rooms-table">
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-4 py-2 font-medium">{t('name')}</th>
            <th className="px-4 py-2 font-medium">{t('placed')}</th>
            <th className="px-4 py-2 font-medium">{t('invigilators')}</th>
            <th className="px-4 py-2 font-medium">{t('actions')}</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rooms.map((room) => (
            <RoomRow key={room.id} room={room} invigilators={invigilators} readOnly={readOnly} underWay={underWay} onChanged={onChanged} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RoomRow({
  room,
  invigilators,
  readOnly,
  underWay,
  onChanged,
}: {
  room: Room;
  invigilators: InvigilatorOption[];
  readOnly: boolean;
  underWay: boolean;
  onChanged: () => void;
}) {
  const t = useTranslations('adminRooms.table');
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(room.name);
  const [capacity, setCapacity] = useState(String(room.capacity));
  const [pick, setPick] = useState('');
  const opts = { onSuccess: onChanged };
  const update = trpc.admin.rooms.update.useMutation({ onSuccess: () => (setEditing(false), onChanged()) });
  const archive = trpc.admin.rooms.archive.useMutation(opts);
  const unarchive = trpc.admin.rooms.unarchive.useMutation(opts);
  const remove = trpc.admin.rooms.delete.useMutation(opts);
  const assign = trpc.admin.rooms.assignInvigilator.useMutation({ onSuccess: () => (setPick(''), onChanged()) });
  const unassign = trpc.admin.rooms.unassign.useMutation(opts);
  const error = [update, archive, unarchive, remove, assign, unassign].find((m) => m.error)?.error;
  const archived = room.archivedAt != null;
  const pct = Math.min(100, Math.round((room.count / Math.max(1, room.capacity)) * 100));
  const full = room.count >= room.capacity;
  const free = invigilators.filter((i) => !room.invigilators.some((x) => x.id === i.id));
  const testid = (s: string) => `room-${room.id}-${s}`;

  return (
    <>
      <tr className={archived ? 'bg-slate-50 text-slate-500' : ''} data-testid={`room-row-${room.id}`} data-room-name={room.name}>
        <td className="px-4 py-3 align-top">
          {editing ? (
            <div className="flex flex-col gap-2">
              <input className={`${field} w-44`} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} data-testid={testid('name-input')} />
              <input
                className={`${field} w-28`}
                type="number"
                min={1}
                max={500}
                value={capacity}
                onChange={(e) => setCapacity(e.target.value)}
                data-testid={testid('capacity-input')}
              />
            </div>
          ) : (
            <>
              <div className="font-medium text-slate-900">
                {room.name}
                {archived && <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-normal text-amber-800">{t('archived')}</span>}
              </div>
              <div className="mt-0.5 font-mono text-xs text-slate-400" title={t('livekit')}>
                {room.livekitRoom}
              </div>
            </>
          )}
        </td>
        <td className="w-56 px-4 py-3 align-top">
          <div className="flex items-baseline justify-between text-xs text-slate-600" data-testid={testid('count')}>
            <span>
              {room.count} / {room.capacity}
            </span>
            {full && <span className="font-medium text-amber-700">{t('full')}</span>}
          </div>
          <div className="mt-1 h-2 overflow-hidden rounded-full bg-slate-100" aria-hidden>
            <div className={`h-full rounded-full ${full ? 'bg-amber-500' : 'bg-blue-500'}`} style={{ width: `${pct}%` }} />
          </div>
        </td>
        <td className="px-4 py-3 align-top">
          <div className="flex flex-wrap gap-1.5" data-testid={testid('invigilators')}>
            {room.invigilators.length === 0 && <span className="text-xs text-slate-400">{t('noInvigilators')}</span>}
            {room.invigilators.map((i) => (
              <span
                key={i.id}
                className="inline-flex items-center gap-1 rounded-full bg-blue-50 py-0.5 pl-2.5 pr-1 text-xs text-blue-900"
                data-testid={testid(`invigilator-${i.id}`)}
              >
                {i.name}
                {i.archived && <span className="text-slate-500">{t('archivedAccount')}</span>}
                {!readOnly && (
                  <button
                    type="button"
                    className="rounded-full px-1 text-blue-700 hover:bg-blue-100"
                    aria-label={t('remove', { name: i.name })}
                    title={t('remove', { name: i.name })}
                    onClick={() => unassign.mutate({ roomId: room.id, userId: i.id })}
                    disabled={unassign.isPending}
                    data-testid={testid(`unassign-${i.id}`)}
                  >
                    ×
                  </button>
                )}
              </span>
            ))}
          </div>
          {!readOnly && !archived && (
            <div className="mt-2 flex gap-1.5">
              <select
                className={`${field} w-44 py-1`}
                value={pick}
                onChange={(e) => setPick(e.target.value)}
                aria-label={t('addInvigilator')}
                data-testid={testid('assign-select')}
              >
                <option value="">{t('chooseInvigilator')}</option>
                {free.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.name}
                    {i.username ? ` (${i.username})` : ''}
                  </option>
                ))}
              </select>
              <Button
                variant="secondary"
                className="px-2.5 py-1"
                disabled={!pick || assign.isPending}
                onClick={() => assign.mutate({ roomId: room.id, userId: Number(pick) })}
                data-testid={testid('assign-button')}
              >
                {t('add')}
              </Button>
            </div>
          )}
        </td>
        <td className="px-4 py-3 align-top">
          <div className="flex flex-wrap items-center gap-1.5">
            <Link
              href={`/rooms/${room.id}`}
              className="rounded-md bg-slate-800 px-3 py-1.5 text-xs font-medium text-white hover:bg-slate-700"
              data-testid={testid('enter')}
            >
              {t('enter')}
            </Link>
            {!readOnly &&
              (editing ? (
                <>
                  <Button
                    className="px-2.5 py-1 text-xs"
                    disabled={update.isPending}
                    onClick={() => update.mutate({ roomId: room.id, name, capacity: Number(capacity) })}
                    data-testid={testid('save')}
                  >
                    {t('save')}
                  </Button>
                  <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={() => (setEditing(false), update.reset())}>
                    {t('cancel')}
                  </Button>
                </>
              ) : (
                <>
                  <Button
                    variant="secondary"
                    className="px-2.5 py-1 text-xs"
                    onClick={() => {
                      setName(room.name);
                      setCapacity(String(room.capacity));
                      setEditing(true);
                    }}
                    data-testid={testid('edit')}
                  >
                    {t('edit')}
                  </Button>
                  {archived ? (
                    <Button
                      variant="secondary"
                      className="px-2.5 py-1 text-xs"
                      onClick={() => unarchive.mutate({ roomId: room.id })}
                      data-testid={testid('unarchive')}
                    >
                      {t('unarchive')}
                    </Button>
                  ) : (
                    <Button
                      variant="secondary"
                      className="px-2.5 py-1 text-xs"
                      onClick={() => window.confirm(t('confirmArchive', { name: room.name })) && archive.mutate({ roomId: room.id })}
                      data-testid={testid('archive')}
                    >
                      {t('archive')}
                    </Button>
                  )}
                  {!underWay && (
                    <Button
                      variant="ghost"
                      className="px-2.5 py-1 text-xs text-red-700 hover:bg-red-50"
                      onClick={() => window.confirm(t('confirmDelete', { name: room.name })) && remove.mutate({ roomId: room.id })}
                      data-testid={testid('delete')}
                    >
                      {t('delete')}
                    </Button>
                  )}
                </>
              ))}
          </div>
        </td>
      </tr>
      <ErrorRow error={error} colSpan={4} testId={testid('error')} />
    </>
  );
}
