'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { field } from './form';
import type { RoomsList } from './rooms-console';

type Room = RoomsList['rooms'][number];

/** Placing one candidate by hand: find them by name or ID number, then pick a room and (optionally) a seat. */
export function PlaceCandidate({ examId, rooms, onPlaced }: { examId: number; rooms: Room[]; onPlaced: () => void }) {
  const t = useTranslations('adminRooms.place');
  const errorText = useErrorText();
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const found = trpc.admin.rooms.findCandidates.useQuery({ examId, q: query }, { enabled: query.length > 0 });

  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="place-panel">
      <h2 className="font-semibold">{t('heading')}</h2>
      <p className="text-xs text-slate-500">{t('hint')}</p>
      <form
        className="flex flex-wrap gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <input
          className={`${field} w-72`}
          value={q}
          maxLength={50}
          placeholder={t('search')}
          aria-label={t('search')}
          onChange={(e) => setQ(e.target.value)}
          data-testid="place-search"
        />
        <Button type="submit" variant="secondary" data-testid="place-search-submit">
          {t('searchButton')}
        </Button>
      </form>
      {found.error && <Alert>{errorText(found.error)}</Alert>}
      {found.data && found.data.length === 0 && <p className="text-sm text-slate-500">{t('noResults')}</p>}
      {found.data && found.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="place-results">
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                <th className="py-2 pr-4 font-medium">{t('candidate')}</th>
                <th className="py-2 pr-4 font-medium">{t('idNumber')}</th>
                <th className="py-2 pr-4 font-medium">{t('current')}</th>
                <th className="py-2 font-medium" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {found.data.map((c) => (
                <PlaceRow
                  key={c.candidateId}
                  examId={examId}
                  candidate={c}
                  rooms={rooms}
                  onPlaced={() => {
                    void found.refetch();
                    onPlaced();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

type Found = {
  candidateId: number;
  name: string;
  idNumber: string | null;
  roomId: number | null;
  roomName: string | null;
  seat: number | null;
  entered: boolean;
};

function PlaceRow({ examId, candidate: c, rooms, onPlaced }: { examId: number; candidate: Found; rooms: Room[]; onPlaced: () => void }) {
  const t = useTranslations('adminRooms.place');
  const errorText = useErrorText();
  const [roomId, setRoomId] = useState(String(c.roomId ?? rooms[0]?.id ?? ''));
  const [seat, setSeat] = useState('');
  const place = trpc.admin.rooms.place.useMutation({ onSuccess: () => (setSeat(''), onPlaced()) });
  const unplace = trpc.admin.rooms.unplace.useMutation({ onSuccess: onPlaced });
  const error = place.error ?? unplace.error;
  const placedRoom = rooms.find((r) => r.id === place.data?.roomId);

  return (
    <tr data-testid={`place-row-${c.candidateId}`}>
      <td className="py-2 pr-4 align-middle font-medium">{c.name}</td>
      <td className="py-2 pr-4 align-middle font-mono text-xs">{c.idNumber}</td>
      <td className="py-2 pr-4 align-middle">
        {c.roomName ? t('seatOf', { room: c.roomName, seat: c.seat ?? '' }) : <span className="text-amber-700">{t('unplaced')}</span>}
        {c.entered && <span className="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-xs text-green-800">{t('entered')}</span>}
      </td>
      <td className="py-2 align-middle">
        <div className="flex flex-wrap items-center gap-1.5">
          <select
            className={`${field} py-1`}
            value={roomId}
            onChange={(e) => setRoomId(e.target.value)}
            aria-label={t('room')}
            data-testid={`place-room-${c.candidateId}`}
          >
            {rooms.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.count}/{r.capacity})
              </option>
            ))}
          </select>
          <input
            className={`${field} w-24 py-1`}
            type="number"
            min={1}
            value={seat}
            placeholder={t('seatPlaceholder')}
            aria-label={t('seat')}
            onChange={(e) => setSeat(e.target.value)}
            data-testid={`place-seat-${c.candidateId}`}
          />
          <Button
            className="px-2.5 py-1 text-xs"
            disabled={!roomId || place.isPending || c.entered}
            onClick={() => place.mutate({ examId, candidateId: c.candidateId, roomId: Number(roomId), ...(seat ? { seat: Number(seat) } : {}) })}
            data-testid={`place-submit-${c.candidateId}`}
          >
            {t('place')}
          </Button>
          {c.roomId != null && (
            <Button
              variant="ghost"
              className="px-2.5 py-1 text-xs"
              disabled={unplace.isPending || c.entered}
              onClick={() => unplace.mutate({ examId, candidateId: c.candidateId })}
              data-testid={`place-unplace-${c.candidateId}`}
            >
              {t('unplace')}
            </Button>
          )}
        </div>
        {place.data && placedRoom && (
          <p className="mt-1 text-xs text-green-700" role="status">
            {t('placed', { room: placedRoom.name, seat: place.data.seat })}
          </p>
        )}
        {unplace.isSuccess && (
          <p className="mt-1 text-xs text-green-700" role="status">
            {t('unplacedDone')}
          </p>
        )}
        {error && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {errorText(error)}
          </p>
        )}
      </td>
    </tr>
  );
}
