'use client';

import { ConnectionState } from 'livekit-client';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import { useAlarm } from './alarm';
import { BroadcastDialog } from './broadcast-dialog';
import { CandidateTile, displayStatus, type TileLayout } from './candidate-tile';
import { capRemovedLive, columnsFor, FOOTER_PX, GAP_PX } from './plan';
import { FlagsPanel } from './flags-panel';
import { FocusView } from './focus-view';
import { GridToolbar } from './grid-toolbar';
import { MediaServerBanner, useMediaServerReachable } from './media-server-banner';
import { IncidentBanner } from './incident-banner';
import { FlagIcon, SpeakerIcon } from './icons';
import { LEVEL_RANK, tileHealth, type Health } from './tile-health';
import { useGridSettings } from './use-grid-settings';
import { useMediaVersion, useRoomMedia } from './use-room-media';
import { useHelpBadges } from './use-help-badges';
import { heldByIncident, useIncidents } from './use-incidents';
import { useRoomTiles, type GridTile, type RoomEventUpdate } from './use-room-tiles';
import { useVideoBudget } from './use-video-budget';
import { useViewRecorder } from './use-view-recorder';

const MIN_ROW_PX = 150;

function useBoxSize() {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 1300, h: 600 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const { width, height } = entry.contentRect;
      setSize((s) => (Math.abs(s.w - width) < 4 && Math.abs(s.h - height) < 4 ? s : { w: width, h: height }));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, ...size };
}

function useNow(everyMs: number) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function RoomGrid({ roomId }: { roomId: number }) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [focusId, setFocusId] = useState<number | null>(null);
  const focusRef = useRef(focusId);
  focusRef.current = focusId;

  const incidentsRef = useRef<(u: RoomEventUpdate) => void>(() => {});
  // Lists that are not part of the tile are refetched when an event says they changed.
  const onEvent = useCallback(
    (update: RoomEventUpdate) => {
      const { event } = update;
      if (event.type === 'flag_raised' || event.type === 'flag_resolved') void utils.invigilate.flags.invalidate({ roomId });
      if (event.candidateId != null && event.candidateId === focusRef.current) {
        void utils.invigilate.timeline.invalidate({ roomId, candidateId: event.candidateId });
      }
      incidentsRef.current(update);
    },
    [utils, roomId],
  );
  const { view, tiles } = useRoomTiles(roomId, onEvent);
  const { incidents, onEvent: onIncidentEvent } = useIncidents(view.data);
  incidentsRef.current = onIncidentEvent;
  const helpThreads = useHelpBadges(roomId);
  const { media, error: mediaError } = useRoomMedia(roomId);
  // Candidates' LiveKit identities are opaque: the tiles say whose feed is whose.
  useEffect(() => media?.setIdentities(tiles), [media, tiles]);
  const mediaVersion = useMediaVersion(media);
  const connection = media?.connection ?? ConnectionState.Disconnected;
  const mediaServerReachable = useMediaServerReachable();
  const { settings, update } = useGridSettings();
  const budget = useVideoBudget(settings.videoCap);
  const now = useNow(5000);
  const box = useBoxSize();

  const [stalled, setStalled] = useState<ReadonlySet<number>>(() => new Set());
  const onStalled = useCallback((id: number, isStalled: boolean) => {
    setStalled((prev) => {
      if (prev.has(id) === isStalled) return prev;
      const next = new Set(prev);
      if (isStalled) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  const viewedHere = useRef(new Map<number, number>());
  const [viewVersion, setViewVersion] = useState(0);
  const unseenMs = settings.unseenMinutes * 60_000;

  const healths = useMemo(() => {
    const out = new Map<number, Health>();
    for (const tile of tiles) {
      const id = tile.candidateId;
      const seen = Math.max(viewedHere.current.get(id) ?? 0, tile.lastViewedAt?.getTime() ?? 0);
      const since = seen || (tile.pc.since ?? now);
      const unseen = tile.pc.status === 'live' && tile.phase !== 'finished' && now - since > unseenMs;
      out.set(id, tileHealth(tile, media?.media(id) ?? null, { now, stalled: stalled.has(id), unseen }));
    }
    return out;
    // mediaVersion and viewVersion stand for changes inside the store and the ref.
  }, [tiles, media, mediaVersion, now, stalled, unseenMs, viewVersion]);

  const ordered = useMemo(() => {
    if (!settings.urgentFirst) return tiles;
    const rank = (tile: GridTile) => LEVEL_RANK[healths.get(tile.candidateId)?.level ?? 'ok'];
    return [...tiles].sort((a, b) => rank(a) - rank(b) || a.seat - b.seat);
  }, [tiles, healths, settings.urgentFirst]);

  const pageSize = settings.pageSize;
  const pageCount = Math.max(1, Math.ceil(ordered.length / pageSize));
  const [pageState, setPage] = useState(0);
  const page = Math.min(pageState, pageCount - 1);
  // A new order or page size starts from the first page: that is where urgent tiles sort to.
  useEffect(() => setPage(0), [pageSize, settings.urgentFirst]);
  const shown = ordered.slice(page * pageSize, (page + 1) * pageSize);
  const shownKey = shown.map((s) => s.candidateId).join(',');

  const [patrol, setPatrol] = useState(false);
  // Paused while a candidate is in focus: the invigilator is looking at something.
  const patrolling = patrol && focusId == null;
  useEffect(() => {
    if (!patrolling || pageCount < 2) return;
    const timer = setInterval(() => setPage((p) => (p + 1) % pageCount), settings.patrolSeconds * 1000);
    return () => clearInterval(timer);
  }, [patrolling, pageCount, settings.patrolSeconds]);

  useEffect(() => {
    media?.setView({ page: shownKey ? shownKey.split(',').map(Number) : [], cap: budget.cap, focusId });
  }, [media, shownKey, budget.cap, focusId]);

  const liveShown = shown.filter((s) => s.pc.status === 'live').map((s) => s.candidateId);
  const onRecorded = useCallback(() => setViewVersion((v) => v + 1), []);
  useViewRecorder(roomId, liveShown, viewedHere.current, onRecorded);

  const urgentIds = tiles.filter((tile) => healths.get(tile.candidateId)?.level === 'urgent').map((tile) => tile.candidateId);
  // Candidates of an open incident sound as one: the incident (a negative id, no candidate's).
  const held = heldByIncident(incidents);
  const alarmIds = [...urgentIds.filter((id) => !held.has(id)), ...incidents.filter((i) => i.state === 'open').map((i) => -i.id)];
  const alarm = useAlarm(alarmIds, !!view.data);

  const [flagsOpen, setFlagsOpen] = useState(false);
  const [broadcastOpen, setBroadcastOpen] = useState(false);
  const openFlags = tiles.reduce((n, tile) => n + tile.openFlags.length, 0);

  const slots = pageCount > 1 ? pageSize : Math.max(1, shown.length);
  const cols = columnsFor(slots, box.w, box.h);
  const rows = Math.ceil(slots / cols);
  const tileW = (box.w - GAP_PX * (cols - 1)) / cols;
  const tileH = Math.max(MIN_ROW_PX, (box.h - GAP_PX * (rows - 1)) / rows);
  // A wide tile keeps the insets beside the screen; a narrow one lays them over its corner.
  const layout: TileLayout = tileW / Math.max(1, tileH - FOOTER_PX) > 2.1 ? 'side' : 'overlay';
  // Two 4:3 insets stacked in the picture's height, less the padding and the badge row.
  const insetW = Math.max(60, Math.floor(((tileH - FOOTER_PX - 30) / 2) * (4 / 3)));

  if (view.error) {
    return (
      <main className="mx-auto max-w-xl space-y-4 px-4 py-16">
        <Alert>{errorText(view.error)}</Alert>
        <Link href="/rooms" className="text-sm text-blue-700 underline">
          {t('back')}
        </Link>
      </main>
    );
  }

  const count = (pred: (tile: GridTile) => boolean) => tiles.filter(pred).length;
  const focusTile = focusId != null ? tiles.find((tile) => tile.candidateId === focusId) : undefined;
  const subscribedVideos = media ? media.subscribedVideoCount() : 0;

  return (
    <main className="mx-auto flex h-[calc(100dvh-3.5rem)] max-w-[1920px] flex-col gap-2 px-4 py-2">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <Link href="/rooms" className="text-sm text-blue-700 hover:underline">
          ← {t('back')}
        </Link>
        <h1 className="text-lg font-semibold">{view.data ? t('title', { room: view.data.room.name }) : ''}</h1>
        {view.data && <span className="hidden truncate text-sm text-slate-500 2xl:inline">{view.data.exam.title}</span>}
        <p className="text-sm text-slate-600" data-testid="grid-summary">
          {t('summary', {
            total: tiles.length,
            live: count((tile) => displayStatus(tile, media?.media(tile.candidateId) ?? null) === 'live' && tile.phase !== 'finished'),
            notJoined: count((tile) => tile.pc.status === 'not_joined' && tile.phase !== 'finished'),
            left: count((tile) => tile.pc.status === 'left' && tile.phase !== 'finished'),
            finished: count((tile) => tile.phase === 'finished'),
          })}
          {urgentIds.length > 0 && (
            <span className="ml-2 rounded bg-red-600 px-1.5 py-0.5 text-xs font-medium text-white" data-testid="urgent-count">
              {t('urgentCount', { count: urgentIds.length })}
            </span>
          )}
        </p>
        <div className="ml-auto flex items-center gap-2">
          <span data-testid="video-state" data-state={connection} className="text-xs text-slate-500">
            {connection !== ConnectionState.Connected && !mediaError ? t('connecting') : null}
          </span>
          <button
            type="button"
            data-testid="alarm-mute"
            aria-pressed={alarm.muted}
            title={alarm.muted ? t('alarmUnmute') : t('alarmMute')}
            className={`inline-flex items-center gap-1 rounded-md border px-2 py-1 text-sm ${alarm.muted ? 'border-slate-300 bg-slate-100 text-slate-500' : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'}`}
            onClick={() => alarm.setMuted(!alarm.muted)}
          >
            <SpeakerIcon muted={alarm.muted} />
            {alarm.muted ? t('alarmMuted') : t('alarmOn')}
          </button>
          <button
            type="button"
            data-testid="flags-open"
            aria-expanded={flagsOpen}
            className={`inline-flex items-center gap-1 rounded-md border px-2.5 py-1 text-sm font-medium ${openFlags > 0 ? 'border-amber-400 bg-amber-50 text-amber-900 hover:bg-amber-100' : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'}`}
            onClick={() => setFlagsOpen((o) => !o)}
          >
            <FlagIcon />
            {t('flagsButton', { count: openFlags })}
          </button>
          <button
            type="button"
            data-testid="broadcast-open"
            className="rounded-md bg-blue-600 px-3 py-1 text-sm font-medium text-white hover:bg-blue-700"
            onClick={() => setBroadcastOpen(true)}
          >
            {t('broadcast')}
          </button>
        </div>
      </div>
      <MediaServerBanner reachable={mediaServerReachable} connection={connection} />
      <GridToolbar
        settings={settings}
        update={update}
        page={page}
        pageCount={pageCount}
        setPage={setPage}
        patrol={patrol}
        setPatrol={setPatrol}
        unseen={tiles.filter((tile) => healths.get(tile.candidateId)?.reasons.includes('not_seen')).length}
        cap={budget.cap}
        constrained={capRemovedLive({ wanted: media ? media.wantedVideoCount() : 0, cap: budget.cap, configured: settings.videoCap })}
      />
      {incidents.map((incident) => (
        <IncidentBanner key={incident.id} incident={incident} />
      ))}
      {mediaError && <Alert>{t('videoError', { reason: mediaError })}</Alert>}
      <div className="relative flex min-h-0 flex-1">
        <div
          ref={box.ref}
          data-testid="grid"
          data-subscribed-videos={subscribedVideos}
          data-receiving-from={media ? media.receivingFrom().join(',') : ''}
          data-cap={budget.cap}
          data-page-ids={shownKey}
          className="grid min-h-0 flex-1 content-start gap-2 overflow-auto"
          style={
            {
              gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`,
              gridAutoRows: `${Math.floor(tileH)}px`,
              '--inset-w': `${insetW}px`,
            } as CSSProperties
          }
        >
          {shown.map((tile) => {
            const h = healths.get(tile.candidateId);
            return (
              <CandidateTile
                key={tile.candidateId}
                tile={tile}
                media={media}
                level={h?.level ?? 'idle'}
                reasons={h?.reasons.join(',') ?? ''}
                layout={layout}
                helpThreadId={helpThreads.get(tile.candidateId) ?? null}
                onOpen={setFocusId}
                onStalled={onStalled}
              />
            );
          })}
          {view.data && tiles.length === 0 && <p className="col-span-full py-16 text-center text-slate-500">{t('noCandidates')}</p>}
        </div>
        {flagsOpen && view.data && <FlagsPanel roomId={roomId} onClose={() => setFlagsOpen(false)} onOpenCandidate={setFocusId} />}
      </div>
      {focusTile && view.data && (
        <FocusView
          roomId={roomId}
          examId={view.data.exam.id}
          tile={focusTile}
          health={healths.get(focusTile.candidateId)}
          media={media}
          onClose={() => setFocusId(null)}
        />
      )}
      {view.data && (
        <BroadcastDialog open={broadcastOpen} roomId={roomId} examId={view.data.exam.id} recipients={tiles.length} onClose={() => setBroadcastOpen(false)} />
      )}
    </main>
  );
}
