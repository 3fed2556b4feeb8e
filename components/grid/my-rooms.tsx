'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';

export function MyRooms() {
  const t = useTranslations('rooms');
  const tk = useTranslations('exams.kind');
  const format = useFormatter();
  const errorText = useErrorText();
  const rooms = trpc.room.listMine.useQuery();
  const chief = trpc.invigilate.myChiefExams.useQuery();
  const when = (d: Date) => format.dateTime(d, 'dayTime');
  return (
    <div className="space-y-6">
      {/* Above the rooms and outside their cards: a room card keeps a single link. */}
      {chief.data && chief.data.length > 0 && (
        <section className="space-y-3">
          <h2 className="text-sm font-semibold text-slate-600">{t('chiefSection')}</h2>
          <ul className="grid gap-3 sm:grid-cols-2">
            {chief.data.map((exam) => (
              <li key={exam.id} data-testid={`chief-exam-${exam.id}`} className="rounded-lg border border-blue-200 bg-blue-50/40 p-4 shadow-sm">
                <p className="text-xs text-slate-500">
                  {tk(exam.kind)} · {t('chiefRooms', { count: exam.rooms })}
                </p>
                <h3 className="mt-1 text-lg font-medium">{exam.title}</h3>
                <p className="mt-1 text-sm text-slate-600">{t('startsAt', { time: when(exam.startsAt) })}</p>
                <Link
                  href={`/chief/${exam.id}`}
                  className="mt-3 inline-block rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700"
                >
                  {t('chiefOpen')}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {rooms.error && <Alert>{errorText(rooms.error)}</Alert>}
      {rooms.data?.length === 0 && !chief.data?.length && <p className="py-10 text-center text-slate-500">{t('empty')}</p>}
      {rooms.data && rooms.data.length > 0 && (
        <ul className="grid gap-3 sm:grid-cols-2">
          {rooms.data.map((room) => (
            <li key={room.id} data-testid={`room-${room.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <p className="text-xs text-slate-500">
                {tk(room.examKind)} · {room.examTitle}
              </p>
              <h2 className="mt-1 text-lg font-medium">{room.name}</h2>
              <p className="mt-1 text-sm text-slate-600">
                {t('candidates', { count: room.candidates })} · {t('startsAt', { time: when(room.startsAt) })}
              </p>
              <Link href={`/rooms/${room.id}`} className="mt-3 inline-block rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700">
                {t('open')}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
