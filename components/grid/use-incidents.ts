'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { RoomEventUpdate, RoomState } from './use-room-tiles';

export type RoomIncident = RoomState['incidents'][number];

/** Room events that carry an incident as it is after the change (server/services/feed-incidents.ts). */
const INCIDENT_EVENTS = new Set(['incident_opened', 'incident_updated', 'incident_cleared', 'incident_decided']);

/**
 * The room's incidents (many candidates lost at once): the snapshot's, then each incident event
 * of the room's live stream, which carries the whole incident. A snapshot older than an event
 * already applied is ignored, as the tiles do.
 */
export function useIncidents(snapshot: { incidents: RoomIncident[]; lastEventId: number } | undefined) {
  const [incidents, setIncidents] = useState<RoomIncident[]>([]);
  const lastSeen = useRef(0);

  useEffect(() => {
    if (snapshot && snapshot.lastEventId >= lastSeen.current) setIncidents(snapshot.incidents);
  }, [snapshot]);

  const onEvent = useCallback(({ event }: RoomEventUpdate) => {
    if (!INCIDENT_EVENTS.has(event.type)) return;
    lastSeen.current = Math.max(lastSeen.current, event.id);
    const incident = (event.payload as { incident?: RoomIncident } | null)?.incident;
    if (!incident) return;
    setIncidents((prev) => [incident, ...prev.filter((i) => i.id !== incident.id)].sort((a, b) => b.id - a.id));
  }, []);

  return { incidents, onEvent };
}

/** Candidates whose alarm is their open incident's (one alarm for the incident, none per candidate). */
export function heldByIncident(incidents: readonly RoomIncident[]) {
  return new Set(incidents.filter((i) => i.state === 'open').flatMap((i) => i.candidateIds));
}
