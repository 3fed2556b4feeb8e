import type { TimelineEvent } from '@/db/schema';
import { FACE_ALERT_OF, FACE_SIGNALS, faceStartOf, isFaceStart, shownCondition, type FaceStartSignal, type FaceState } from '../face/signals';

export const FEED_SOURCES = ['screen_share', 'camera', 'microphone'] as const;
export type FeedSource = (typeof FEED_SOURCES)[number];

export type ConnectionStatus = 'not_joined' | 'live' | 'reconnecting' | 'left';

export type DeviceStatus = {
  status: ConnectionStatus;
  /** Sources whose tracks are published right now. */
  tracks: FeedSource[];
  /** When the status last changed, epoch ms. */
  since: number | null;
};

export const initialDeviceStatus = (): DeviceStatus => ({ status: 'not_joined', tracks: [], since: null });

const isFeed = (s: string | null): s is FeedSource => !!s && (FEED_SOURCES as readonly string[]).includes(s);

/**
 * Folds one timeline event into a device's status. Pure, so the snapshot (all events so far)
 * and the live stream (one event at a time) agree by construction.
 */
export function applyEvent(prev: DeviceStatus, e: Pick<TimelineEvent, 'type' | 'trackSource' | 'occurredAt'>): DeviceStatus {
  const at = e.occurredAt.getTime();
  switch (e.type) {
    case 'participant_joined':
      return { status: 'live', tracks: [], since: at };
    case 'participant_connection_aborted':
      return { ...prev, status: 'reconnecting', since: at };
    case 'participant_left':
      return { status: 'left', tracks: [], since: at };
    case 'track_published':
      if (!isFeed(e.trackSource) || prev.tracks.includes(e.trackSource)) return prev;
      // A track can only be published by a connected participant, whatever came before.
      return { status: 'live', tracks: [...prev.tracks, e.trackSource].sort(), since: prev.status === 'live' ? prev.since : at };
    case 'track_unpublished':
      return isFeed(e.trackSource) ? { ...prev, tracks: prev.tracks.filter((t) => t !== e.trackSource) } : prev;
    default:
      return prev;
  }
}

export function foldEvents(events: Pick<TimelineEvent, 'type' | 'trackSource' | 'occurredAt'>[]) {
  return events.reduce(applyEvent, initialDeviceStatus());
}

/* ------------------------------------------------------------------ face state */

/** Timeline event types of the face signals (`integrity.face_missing`, …). */
export const FACE_EVENT_TYPES = FACE_SIGNALS.map((s) => `integrity.${s}`);

export type FaceStatus = {
  /** The condition shown (the most telling in force), or `ok`. */
  state: FaceState;
  /** Since when the state shown holds, epoch ms. */
  since: number;
  /** Every condition in force, with its start (epoch ms). */
  active: Partial<Record<FaceStartSignal, number>>;
};

/**
 * Folds one face signal into a candidate's face status; null until the page reports the first.
 * Pure, like `applyEvent`: the snapshot and the live stream agree. Events fold in the order they
 * were stored, which is the order the page's outbox sent them.
 */
export function applyFaceEvent(prev: FaceStatus | null, e: Pick<TimelineEvent, 'type' | 'occurredAt'>): FaceStatus | null {
  if (!e.type.startsWith('integrity.')) return prev;
  const signal = e.type.slice('integrity.'.length);
  const at = e.occurredAt.getTime();
  const active = { ...prev?.active };
  if (isFaceStart(signal)) active[signal] ??= at;
  else {
    const ended = faceStartOf(signal);
    if (!ended) return prev;
    delete active[ended];
  }
  const shown = shownCondition(Object.keys(active) as FaceStartSignal[]);
  const state: FaceState = shown ? FACE_ALERT_OF[shown] : 'ok';
  const since = prev && prev.state === state ? prev.since : shown ? active[shown]! : at;
  return { state, since, active };
}
