'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterOutputs } from '@trpc/server';
import { field } from './form';
import { NewRoomForm } from './new-room-form';
import { PlaceCandidate } from './place-candidate';
import { RoomsTable } from './rooms-table';

type Outputs = inferRouterOutputs<AppRouter>['admin']['rooms'];
export type RoomsList = Outputs['list'];
export type InvigilatorOption = Outputs['invigilators'][number];

/** The data of the rooms page: the exam's rooms (polled, for placed counts) and the invigilators to pick from. */
export function useExamRooms(examId: number) {
  const utils = trpc.useUtils();
  const list = trpc.admin.rooms.list.useQuery({ examId }, { refetchInterval: 15_000 });
  const invigilators = trpc.admin.rooms.invigilators.useQuery();
  // Placements show on every tab (candidates, overview, the exams list): all of them refetch.
  return { list, invigilators: invigilators.data ?? [], refresh: () => void utils.admin.invalidate() };
}

/** Rooms of one exam: distribution, the chief invigilator, new rooms, the rooms table and manual placement. */
export function RoomsConsole({ examId }: { examId: number }) {
  const t = useTranslations('adminRooms');
  const { list, invigilators, refresh } = useExamRooms(examId);
  const errorText = useErrorText();

  if (list.error) return <Alert>{errorText(list.error)}</Alert>;
  if (!list.data) return <p className="text-sm text-slate-500">{t('table.empty')}</p>;
  const data = list.data;
  const readOnly = data.archived;
  const active = data.rooms.filter((r) => !r.archivedAt);
  const placed = data.rooms.reduce((s, r) => s + r.count, 0);
  const capacity = active.reduce((s, r) => s + r.capacity, 0);

  return (
    <div className="space-y-5" data-testid="rooms-console">
      <p className="text-sm text-slate-500">{t('intro')}</p>
      {readOnly ? <Alert tone="warning">{t('examArchived')}</Alert> : data.underWay && <Alert tone="info">{t('underWay')}</Alert>}

      <div className="flex flex-wrap gap-x-6 gap-y-1 text-sm text-slate-700" data-testid="rooms-summary">
        <span>{t('summary.rooms', { count: active.length })}</span>
        <span>{t('summary.seats', { placed, capacity })}</span>
        <span className={data.unplaced ? 'font-medium text-amber-700' : ''} data-testid="rooms-unplaced">
          {t('summary.unplaced', { count: data.unplaced })}
        </span>
      </div>

      {!readOnly && (
        <div className="grid items-start gap-5 lg:grid-cols-2">
          <DistributePanel examId={examId} unplaced={data.unplaced} rooms={active.length} underWay={data.underWay} onDone={refresh} />
          <ChiefPanel examId={examId} chief={data.chief} invigilators={invigilators} onDone={refresh} />
        </div>
      )}

      {!readOnly && <NewRoomForm examId={examId} onCreated={refresh} />}

      <RoomsTable rooms={data.rooms} invigilators={invigilators} readOnly={readOnly} underWay={data.underWay} onChanged={refresh} />

      {!readOnly && <PlaceCandidate examId={examId} rooms={active} onPlaced={refresh} />}
    </div>
  );
}

function DistributePanel({
  examId,
  unplaced,
  rooms,
  underWay,
  onDone,
}: {
  examId: number;
  unplaced: number;
  rooms: number;
  underWay: boolean;
  onDone: () => void;
}) {
  const t = useTranslations('adminRooms.distribute');
  const tc = useTranslations('admin.common');
  const errorText = useErrorText();
  const [confirming, setConfirming] = useState<'unplaced' | 'rebalance' | null>(null);
  const run = trpc.admin.rooms.distribute.useMutation({ onSuccess: onDone, onSettled: () => setConfirming(null) });

  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="distribute-panel">
      <h2 className="font-semibold">{t('heading')}</h2>
      <ul className="list-disc space-y-1 pl-5 text-xs text-slate-500">
        <li>{t('unplacedHint')}</li>
        <li>{t('rebalanceHint')}</li>
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button
          onClick={() => {
            run.reset();
            setConfirming('unplaced');
          }}
          disabled={run.isPending || unplaced === 0 || rooms === 0}
          data-testid="distribute-unplaced"
        >
          {t('unplaced')}
        </Button>
        <Button
          variant="secondary"
          onClick={() => {
            run.reset();
            setConfirming('rebalance');
          }}
          disabled={run.isPending || underWay || rooms === 0}
          data-testid="distribute-rebalance"
        >
          {t('rebalance')}
        </Button>
      </div>
      {unplaced === 0 && !run.data && <p className="text-xs text-slate-500">{t('nothingToDo')}</p>}
      {confirming && (
        <div
          className="flex flex-wrap items-center gap-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
          data-testid="distribute-confirm"
        >
          <span className="min-w-0 flex-1">{confirming === 'unplaced' ? t('confirmUnplaced', { count: unplaced, rooms }) : t('confirmRebalance')}</span>
          <Button onClick={() => run.mutate({ examId, mode: confirming })} disabled={run.isPending} data-testid="distribute-confirm-yes">
            {tc('confirm')}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(null)} data-testid="distribute-confirm-no">
            {tc('cancel')}
          </Button>
        </div>
      )}
      {run.error && <Alert>{errorText(run.error)}</Alert>}
      {run.data && (
        <div className="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-900" role="status" data-testid="distribute-result">
          <p className="font-medium">{t('result', { placed: run.data.placed, moved: run.data.moved })}</p>
          <p className="mt-1 flex flex-wrap gap-x-4 text-xs">
            {run.data.rooms.map((r) => (
              <span key={r.id}>{t('resultRoom', { name: r.name, count: r.count })}</span>
            ))}
          </p>
        </div>
      )}
    </section>
  );
}

function ChiefPanel({
  examId,
  chief,
  invigilators,
  onDone,
}: {
  examId: number;
  chief: RoomsList['chief'];
  invigilators: InvigilatorOption[];
  onDone: () => void;
}) {
  const t = useTranslations('adminRooms.chief');
  const errorText = useErrorText();
  const set = trpc.admin.rooms.setChief.useMutation({ onSuccess: onDone });
  // The current chief stays in the list even if their account was archived meanwhile.
  const options = chief && !invigilators.some((i) => i.id === chief.id) ? [chief, ...invigilators] : invigilators;
  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="chief-panel">
      <label className="block">
        <span className="font-semibold">{t('label')}</span>
        <select
          className={`${field} mt-2 block w-full max-w-sm`}
          value={chief?.id ?? ''}
          onChange={(e) => set.mutate({ examId, userId: e.target.value ? Number(e.target.value) : null })}
          disabled={set.isPending}
          data-testid="chief-select"
        >
          <option value="">{t('none')}</option>
          {options.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
              {i.username ? ` (${i.username})` : ''}
            </option>
          ))}
        </select>
      </label>
      <p className="text-xs text-slate-500">{t('hint')}</p>
      {set.isSuccess && (
        <p className="text-xs text-green-700" role="status">
          {t('saved')}
        </p>
      )}
      {set.error && <Alert>{errorText(set.error)}</Alert>}
    </section>
  );
}
