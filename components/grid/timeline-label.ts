'use client';

import { useTranslations } from 'next-intl';
import type { FaceDetail } from '@/server/face/signals';
import type { TimelineItem } from '@/server/services/invigilate';

/**
 * The words for one item of a candidate's merged timeline, shared by the invigilator's focus
 * view and the help desk's candidate context so both read the same. `null` for an event type
 * that has no wording (bookkeeping): the caller decides whether to show the raw type or skip it.
 */
export function useTimelineLabel() {
  const t = useTranslations('grid');
  const tf = useTranslations('flags');
  /** Which client LiveKit says holds the feed (see `checkClient` on the server). */
  const clientOf = (c: unknown) => {
    if (!c || typeof c !== 'object') return '';
    const { examPage, protocol } = c as { examPage?: boolean; protocol?: number };
    return examPage ? t('timeline.client.examPage') : t('timeline.client.other', { protocol: Number(protocol ?? 0) });
  };
  /** What a face check saw, in brackets: faces, similarity, head pose, how long (see FaceDetail). */
  const faceOf = (f: unknown) => {
    if (!f || typeof f !== 'object') return '';
    const { faces, similarity, yaw, pitch, seconds } = f as FaceDetail;
    const parts = [
      typeof faces === 'number' && faces >= 2 ? t('timeline.face.faces', { n: faces }) : '',
      typeof similarity === 'number' ? t('timeline.face.similarity', { s: similarity.toFixed(2) }) : '',
      typeof yaw === 'number' && typeof pitch === 'number' ? t('timeline.face.pose', { yaw: Math.round(yaw), pitch: Math.round(pitch) }) : '',
      typeof seconds === 'number' ? t('timeline.face.seconds', { s: seconds }) : '',
    ].filter(Boolean);
    return parts.length ? `（${parts.join(t('timeline.face.separator'))}）` : '';
  };
  return (i: Pick<TimelineItem, 'kind' | 'type' | 'source' | 'device' | 'flagType' | 'detail'>): string | null => {
    switch (i.kind) {
      case 'event': {
        const key = `timeline.event.${i.type}`;
        if (!t.has(key)) return null;
        const source = i.source && t.has(`timeline.source.${i.source}`) ? t(`timeline.source.${i.source}`) : i.source;
        const device = i.device === 'phone' ? t('timeline.phone') : '';
        if (i.detail?.disconnectReason === 'DUPLICATE_IDENTITY') return [device, t('timeline.client.replaced')].join('');
        return [device, t(key), source ? `（${source}）` : '', clientOf(i.detail?.client), faceOf(i.detail?.face)].join('');
      }
      case 'flag': {
        const type = i.flagType && tf.has(`type.${i.flagType}`) ? tf(`type.${i.flagType}`) : (i.flagType ?? '');
        return t(`timeline.flag.${i.type === 'raised' ? 'raised' : i.type === 'confirmed' ? 'confirmed' : 'dismissed'}`, { type });
      }
      case 'message':
        return i.type === 'acknowledged' ? t('timeline.messageAcknowledged') : t('timeline.messageSent');
      case 'action':
        if (i.type === 'time.added') return t('timeline.timeAdded', { m: Number(i.detail?.minutes ?? 0) });
        if (i.type === 'exam.ended') return t('timeline.examEnded');
        return i.type;
    }
  };
}
