'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { TIMESLICE_MS } from './chunk-recorder';
import { formatMb, summariseTracks } from './ledger-summary';
import { driftToleranceS, mediaTimeAt, percentOf, segmentAt, SPEEDS, type Segment } from './playback-clock';

const TRACKS = ['screen', 'camera', 'witness'] as const;
type Track = (typeof TRACKS)[number];

type Marker = { id: string; at: number; label: string; kind: string };

/** Timeline noise that says nothing about the candidate. */
const HIDDEN_EVENTS = new Set(['recording_progress']);
const MARKER_TONE: Record<string, string> = { event: 'bg-slate-500', flag: 'bg-amber-500', message: 'bg-blue-500', action: 'bg-red-500' };

/**
 * A candidate's three recordings side by side on one clock: play, pause, seek and a speed of
 * 0.5x-8x move all of them together, and the candidate's timeline events sit on the scrubber as
 * markers. The clock is the page's, not any video's: a track with no recording at that moment
 * (the phone not bound yet, a gap) simply shows so while the others play on.
 */
export function RecordingPlayback({ examId, candidateId, roomId }: { examId: number; candidateId: number; roomId: number | null }) {
  const t = useTranslations('recording');
  const tg = useTranslations('grid');
  const format = useFormatter();
  const errorText = useErrorText();
  const ledger = trpc.recordings.ledger.useQuery(
    { examId, candidateId },
    { refetchInterval: (q) => (q.state.data?.some((r) => !r.complete) ? 10_000 : false) },
  );
  const timeline = trpc.invigilate.timeline.useQuery({ roomId: roomId ?? 0, candidateId, limit: 500 }, { enabled: roomId != null });

  const segments = useMemo<Segment[]>(
    () =>
      (ledger.data ?? []).map((r) => {
        const startMs = r.startedAt.getTime();
        // Not ended yet: as far as the chunks received reach.
        const endMs = r.endedAt?.getTime() ?? startMs + Math.max(r.received, 1) * TIMESLICE_MS;
        return { recordingId: r.recordingId, track: r.track, startMs, endMs };
      }),
    [ledger.data],
  );
  const fromMs = segments.length ? Math.min(...segments.map((s) => s.startMs)) : 0;
  const toMs = segments.length ? Math.max(...segments.map((s) => s.endMs)) : 0;

  const markers = useMemo<Marker[]>(() => {
    const items = (timeline.data ?? []) as { id: string; at: Date; kind: string; type: string; flagType?: string; detail?: Record<string, unknown> }[];
    return items
      .filter((i) => !HIDDEN_EVENTS.has(i.type))
      .map((i) => {
        const key = `timeline.event.${i.type}`;
        const label =
          i.kind === 'event' && tg.has(key)
            ? tg(key)
            : i.kind === 'flag'
              ? tg('timeline.flag.raised', { type: i.flagType ?? '' })
              : i.kind === 'message'
                ? tg('timeline.messageSent')
                : i.type === 'exam.ended'
                  ? tg('timeline.examEnded')
                  : i.type === 'time.added'
                    ? tg('timeline.timeAdded', { m: Number(i.detail?.minutes ?? 0) })
                    : i.type;
        return { id: i.id, at: i.at.getTime(), label, kind: i.kind };
      })
      .filter((m) => m.at >= fromMs && m.at <= toMs)
      .sort((a, b) => a.at - b.at);
  }, [timeline.data, tg, fromMs, toMs]);

  const [position, setPosition] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const videos = useRef(new Map<Track, HTMLVideoElement>());
  const clock = useRef({ position: 0, playing: false, speed: 1 });
  clock.current = { position, playing, speed };
  useEffect(() => {
    if (fromMs && position === 0) setPosition(fromMs);
  }, [fromMs, position]);

  /** Puts every video where the shared clock says, at its speed, playing or paused. */
  const sync = useCallback(
    (atMs: number, isPlaying: boolean, rate: number, force = false) => {
      for (const track of TRACKS) {
        const v = videos.current.get(track);
        const seg = segmentAt(segments, track, atMs);
        if (!v || !seg || Number(v.dataset.recordingId) !== seg.recordingId) continue;
        const want = mediaTimeAt(seg, atMs);
        if (force || Math.abs(v.currentTime - want) > driftToleranceS(rate)) v.currentTime = want;
        if (v.playbackRate !== rate) v.playbackRate = rate;
        if (isPlaying && v.paused) void v.play().catch(() => {});
        if (!isPlaying && !v.paused) v.pause();
      }
    },
    [segments],
  );

  // The clock ticks with the screen's frames while playing; videos are nudged back when they drift.
  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    let frame = requestAnimationFrame(function tick(now) {
      const { position: pos, speed: rate } = clock.current;
      const next = Math.min(toMs, pos + (now - last) * rate);
      last = now;
      setPosition(next);
      sync(next, next < toMs, rate);
      if (next >= toMs) setPlaying(false);
      else frame = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, toMs, sync]);

  useEffect(() => {
    if (!playing) sync(position, false, speed, true);
    // Only on pause and seek: while playing, the ticking clock syncs.
  }, [playing, position]);

  const seek = (atMs: number) => {
    const at = Math.min(toMs, Math.max(fromMs, atMs));
    setPosition(at);
    sync(at, clock.current.playing, clock.current.speed, true);
  };

  if (ledger.error) return <Alert>{errorText(ledger.error)}</Alert>;
  if (!ledger.data) return <p className="p-8 text-slate-500">{t('playback.loading')}</p>;
  if (!segments.length)
    return (
      <p className="p-8 text-slate-500" data-testid="playback-empty">
        {t('playback.empty')}
      </p>
    );

  const summaries = summariseTracks(ledger.data);
  const clockTime = (ms: number) => format.dateTime(new Date(ms), 'timeSeconds');
  const elapsed = (ms: number) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };

  return (
    <main className="mx-auto max-w-screen-2xl space-y-4 px-4 py-4" data-testid="playback" data-position={Math.round(position - fromMs)} data-playing={playing}>
      <h1 className="text-lg font-semibold text-slate-900">
        {t('playback.title')}
        <span className="ml-2 text-sm font-normal text-slate-500">{format.dateTime(new Date(fromMs), 'dateTime')}</span>
      </h1>
      <div className="grid grid-cols-3 gap-3">
        {TRACKS.map((track) => {
          const seg = segmentAt(segments, track, position);
          const summary = summaries.find((s) => s.track === track);
          return (
            <figure key={track} className="flex flex-col overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
              <div className="relative aspect-video bg-slate-900">
                {seg ? (
                  <video
                    key={seg.recordingId}
                    ref={(el) => {
                      if (el) videos.current.set(track, el);
                      else videos.current.delete(track);
                    }}
                    data-testid={`playback-${track}`}
                    data-recording-id={seg.recordingId}
                    src={`/api/recordings/${seg.recordingId}/file`}
                    preload="auto"
                    playsInline
                    muted={track !== 'camera'}
                    onLoadedMetadata={(e) => {
                      const v = e.currentTarget;
                      v.currentTime = mediaTimeAt(seg, clock.current.position);
                      v.playbackRate = clock.current.speed;
                      if (clock.current.playing) void v.play().catch(() => {});
                    }}
                    className="absolute inset-0 h-full w-full object-contain"
                  />
                ) : (
                  <span className="absolute inset-0 flex items-center justify-center text-sm text-slate-400" data-testid={`playback-${track}-none`}>
                    {summary ? t('playback.noRecordingAt') : t('playback.missing')}
                  </span>
                )}
              </div>
              <figcaption className="flex items-center gap-2 px-3 py-2 text-sm">
                <span className="font-medium text-slate-800">{t(`track.${track}`)}</span>
                {summary && (
                  <>
                    <span className="text-xs tabular-nums text-slate-500">
                      {summary.expected != null
                        ? t('playback.ledger', { received: summary.received, expected: summary.expected, size: formatMb(summary.bytes) })
                        : t('playback.ledgerOpen', { received: summary.received, size: formatMb(summary.bytes) })}
                    </span>
                    {summary.runs > 1 && <span className="text-xs text-slate-400">{t('playback.segments', { count: summary.runs })}</span>}
                    <span
                      data-testid={`playback-${track}-complete`}
                      data-complete={summary.complete}
                      className={`ml-auto rounded px-1.5 text-xs ${summary.complete ? 'bg-green-50 text-green-700' : 'bg-amber-50 text-amber-800'}`}
                    >
                      {summary.complete ? t('playback.complete') : t('playback.incomplete')}
                    </span>
                  </>
                )}
              </figcaption>
            </figure>
          );
        })}
      </div>

      <section className="rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm">
        <div className="flex items-center gap-3">
          <Button
            data-testid="playback-toggle"
            className="w-20"
            onClick={() => {
              if (!playing && position >= toMs) seek(fromMs);
              setPlaying(!playing);
            }}
          >
            {playing ? t('playback.pause') : t('playback.play')}
          </Button>
          <span className="tabular-nums text-sm text-slate-700" data-testid="playback-time">
            {clockTime(position)} · {elapsed(position - fromMs)} / {elapsed(toMs - fromMs)}
          </span>
          <label className="ml-auto flex items-center gap-2 text-sm text-slate-600">
            {t('playback.speed')}
            <select
              data-testid="playback-speed"
              value={speed}
              onChange={(e) => setSpeed(Number(e.target.value))}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}x
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="relative mt-3 pt-4">
          <div className="absolute inset-x-0 top-0 h-4" aria-label={t('playback.events')}>
            {markers.map((m) => (
              <button
                key={m.id}
                type="button"
                data-testid="playback-marker"
                data-type={m.label}
                title={`${clockTime(m.at)} ${m.label}`}
                onClick={() => seek(m.at)}
                style={{ left: `${percentOf(m.at, fromMs, toMs)}%` }}
                className={`absolute top-0 h-4 w-1.5 -translate-x-1/2 rounded-sm ${MARKER_TONE[m.kind] ?? 'bg-slate-500'} hover:scale-x-150`}
              />
            ))}
          </div>
          <input
            type="range"
            data-testid="playback-scrubber"
            aria-label={t('playback.position')}
            min={fromMs}
            max={toMs}
            step={100}
            value={position}
            onChange={(e) => seek(Number(e.target.value))}
            className="w-full accent-blue-600"
          />
        </div>
        <ol className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-500" data-testid="playback-events">
          {markers.length === 0 && <li>{t('playback.noEvents')}</li>}
          {markers.map((m) => (
            <li key={m.id}>
              <button type="button" className="hover:text-blue-700 hover:underline" onClick={() => seek(m.at)}>
                <span className="tabular-nums">{clockTime(m.at)}</span> {m.label}
              </button>
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
