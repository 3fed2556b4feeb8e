import type { TimelineEvent } from '@/db/schema';

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
