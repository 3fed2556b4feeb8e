'use client';

import type { LocalVideoTrack } from 'livekit-client';
import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import { useChunkRecorder } from '@/components/recording/use-chunk-recorder';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import type { AppRouter } from '@/server/routers/_app';
import { BatteryLabel } from './battery-label';
import { useBatteryReport } from './use-battery-report';
import { usePhonePublisher, type Facing, type PhoneLinkState } from './use-phone-publisher';

type Me = inferRouterOutputs<AppRouter>['phone']['me'];
export type PhoneOverview = Extract<Me, { kind: 'active' }>;

type Step = 'confirm' | 'guide' | 'live';
const stepKey = (deviceId: number) => `phone-witness-step:${deviceId}`;

const STATE_TONE: Record<PhoneLinkState | 'ended', string> = {
  connecting: 'bg-slate-600',
  live: 'bg-green-600',
  reconnecting: 'bg-amber-500',
  lost: 'bg-red-600',
  removed: 'bg-red-600',
  ended: 'bg-slate-500',
};

/**
 * The bound phone: confirm exam and person, read the filming guide, then film. A reload goes
 * straight back to filming (the step is kept for this device in the tab's session).
 */
export function PhoneWitness({ overview, onRemoved }: { overview: PhoneOverview; onRemoved: () => void }) {
  const [step, setStep] = useState<Step>('confirm');
  useEffect(() => {
    const kept = sessionStorage.getItem(stepKey(overview.deviceId));
    if (kept === 'guide' || kept === 'live') setStep(kept);
  }, [overview.deviceId]);
  const go = (s: Step) => {
    sessionStorage.setItem(stepKey(overview.deviceId), s);
    setStep(s);
  };
  if (step === 'confirm') return <ConfirmInfo overview={overview} onConfirm={() => go('guide')} />;
  if (step === 'guide') return <FilmingGuide onDone={() => go('live')} />;
  return <LiveWitness overview={overview} onRemoved={onRemoved} />;
}

function ConfirmInfo({ overview, onConfirm }: { overview: PhoneOverview; onConfirm: () => void }) {
  const t = useTranslations('phone.mobile');
  const format = useFormatter();
  return (
    <section className="space-y-4" data-testid="phone-confirm">
      <h2 className="text-base font-semibold">{t('confirmTitle')}</h2>
      <Info overview={overview} />
      <p className="text-xs text-slate-500">
        {format.dateTime(overview.exam.startsAt, 'dayTime')} · {t('notMe')}
      </p>
      <Button className="w-full py-3 text-base" onClick={onConfirm} data-testid="phone-confirm-button">
        {t('confirm')}
      </Button>
    </section>
  );
}

function Info({ overview, compact = false }: { overview: PhoneOverview; compact?: boolean }) {
  const t = useTranslations('phone.mobile');
  return (
    <dl
      data-testid="phone-info"
      className={`grid grid-cols-[auto_1fr] gap-x-3 rounded-lg border border-slate-200 bg-white ${compact ? 'gap-y-0.5 px-3 py-2 text-xs' : 'gap-y-2 p-4 text-sm'}`}
    >
      <dt className="text-slate-500">{t('exam')}</dt>
      <dd className="font-medium">{overview.exam.title}</dd>
      <dt className="text-slate-500">{t('name')}</dt>
      <dd className="font-medium" data-testid="phone-info-name">
        {overview.candidate.name}
      </dd>
      <dt className="text-slate-500">{t('idNumber')}</dt>
      <dd className="font-mono" data-testid="phone-info-id">
        {overview.candidate.idNumber}
      </dd>
      {!compact && (
        <>
          <dt className="text-slate-500">{t('room')}</dt>
          <dd>{t('seat', { room: overview.room.name, seat: overview.room.seat })}</dd>
        </>
      )}
    </dl>
  );
}

function FilmingGuide({ onDone }: { onDone: () => void }) {
  const t = useTranslations('phone.mobile');
  const items = ['position', 'distance', 'view', 'power'] as const;
  return (
    <section className="space-y-4" data-testid="phone-guide">
      <h2 className="text-base font-semibold">{t('guideTitle')}</h2>
      <GuideSketch />
      <ol className="space-y-2 text-sm">
        {items.map((k, i) => (
          <li key={k} className="flex gap-2 rounded-md bg-white px-3 py-2 shadow-sm">
            <span className="flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-blue-600 text-xs font-semibold text-white">{i + 1}</span>
            <span>{t(`guide.${k}`)}</span>
          </li>
        ))}
      </ol>
      <Button className="w-full py-3 text-base" onClick={onDone} data-testid="phone-guide-done">
        {t('guideDone')}
      </Button>
    </section>
  );
}

/** Top view: desk and screen in front, the candidate, the phone 45 degrees behind about 1 m away. */
function GuideSketch() {
  return (
    <svg viewBox="0 0 240 150" className="mx-auto w-full max-w-xs rounded-lg bg-white" aria-hidden>
      <rect x="70" y="14" width="100" height="26" rx="3" fill="#cbd5e1" />
      <rect x="95" y="18" width="50" height="6" rx="1" fill="#1e293b" />
      <circle cx="120" cy="66" r="13" fill="#93c5fd" />
      <rect x="104" y="80" width="32" height="16" rx="6" fill="#93c5fd" />
      <line x1="120" y1="66" x2="196" y2="130" stroke="#94a3b8" strokeDasharray="4 3" />
      <path d="M 146 88 A 34 34 0 0 1 150 66" fill="none" stroke="#f59e0b" strokeWidth="2" />
      <text x="152" y="82" fontSize="10" fill="#b45309">
        45°
      </text>
      <text x="160" y="112" fontSize="10" fill="#475569">
        ~1 m
      </text>
      <rect x="190" y="118" width="14" height="24" rx="3" fill="#0f172a" transform="rotate(-45 197 130)" />
      <path d="M 190 122 L 140 40 M 190 122 L 78 30" stroke="#22c55e" strokeWidth="1" opacity="0.7" />
    </svg>
  );
}

function LiveWitness({ overview, onRemoved }: { overview: PhoneOverview; onRemoved: () => void }) {
  const t = useTranslations('phone.mobile');
  const ended = overview.finished;
  const publisher = usePhonePublisher({ enabled: !ended, onRemoved });
  const battery = useBatteryReport(!ended);
  const { track, capture } = publisher;
  // One recording per capture: a reconnect (new track) or a switched lens starts a new one.
  const stream = useMemo(
    () => (track ? new MediaStream([track.mediaStreamTrack]) : null),
    // `capture` too: switching the lens swaps the track's mediaStreamTrack under the same object.
    [track, capture],
  );
  const recorder = useChunkRecorder({ examId: overview.exam.id, track: 'witness', stream, enabled: !ended, auth: 'phone' });
  useWakeLock(!ended);
  const [facing, setFacing] = useState<Facing>('environment');
  const cameras = useCameras(publisher.track);
  const [deviceId, setDeviceId] = useState('');
  const state: PhoneLinkState | 'ended' = ended ? 'ended' : publisher.state;
  const insecure = typeof window !== 'undefined' && !window.isSecureContext;

  return (
    <section className="space-y-3" data-testid="phone-live" data-state={state}>
      <Info overview={overview} compact />
      <div className="relative aspect-[3/4] overflow-hidden rounded-lg bg-slate-900">
        <Preview track={publisher.track} mirrored={facing === 'user'} />
        <span className={`absolute left-2 top-2 rounded px-2 py-0.5 text-xs font-medium text-white ${STATE_TONE[state]}`} data-testid="phone-state">
          {t(`state.${state === 'removed' ? 'lost' : state}`)}
        </span>
        {recorder.recording && (
          <span data-testid="phone-recording" className="absolute right-2 top-2 flex items-center gap-1 rounded bg-black/50 px-1.5 py-0.5 text-xs text-white">
            <span className="h-1.5 w-1.5 rounded-full bg-red-500" />
            {t('recording')}
          </span>
        )}
        {battery && (
          <span className="absolute bottom-2 left-2 rounded bg-black/50 px-1.5 py-0.5 text-xs text-white" data-testid="phone-battery">
            <BatteryLabel level={battery.level} charging={battery.charging} ns="phone.mobile" />
          </span>
        )}
      </div>
      {insecure && <Alert tone="warning">{t('insecure')}</Alert>}
      {publisher.cameraError && <Alert>{t('cameraDenied')}</Alert>}
      {battery && battery.level < 0.2 && !battery.charging && <Alert tone="warning">{t('lowBattery')}</Alert>}
      {!ended && (
        <div className="flex items-center gap-2">
          <Button
            variant="secondary"
            className="shrink-0"
            data-testid="phone-switch-camera"
            onClick={() => {
              const next: Facing = facing === 'environment' ? 'user' : 'environment';
              setFacing(next);
              setDeviceId('');
              void publisher.switchCamera({ facing: next });
            }}
          >
            {t('switchCamera')} · {t(facing === 'environment' ? 'rear' : 'front')}
          </Button>
          {cameras.length > 1 && (
            <select
              aria-label={t('camera')}
              data-testid="phone-camera-select"
              className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
              value={deviceId}
              onChange={(e) => {
                setDeviceId(e.target.value);
                void publisher.switchCamera({ facing, deviceId: e.target.value || undefined });
              }}
            >
              <option value="">{t('camera')}</option>
              {cameras.map((c, i) => (
                <option key={c.deviceId} value={c.deviceId}>
                  {c.label || `${t('camera')} ${i + 1}`}
                </option>
              ))}
            </select>
          )}
        </div>
      )}
      <p className="text-center text-xs text-slate-500">{ended ? t('examOver') : t('keepOpen')}</p>
    </section>
  );
}

function Preview({ track, mirrored }: { track: LocalVideoTrack | null; mirrored: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!track || !el) return;
    track.attach(el);
    return () => {
      track.detach(el);
    };
  }, [track]);
  return <video ref={ref} data-testid="phone-preview" muted playsInline autoPlay className={`h-full w-full object-cover ${mirrored ? '-scale-x-100' : ''}`} />;
}

/** Cameras of this phone, listed once the camera is open (labels are hidden before permission). */
function useCameras(track: LocalVideoTrack | null) {
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    if (!track || !navigator.mediaDevices?.enumerateDevices) return;
    void navigator.mediaDevices.enumerateDevices().then((all) => setCameras(all.filter((d) => d.kind === 'videoinput')));
  }, [track]);
  return cameras;
}

/** Keeps the phone's screen on while filming, where the browser allows (it is released when hidden). */
function useWakeLock(enabled: boolean) {
  useEffect(() => {
    if (!enabled || !('wakeLock' in navigator)) return;
    let lock: { release: () => Promise<void> } | null = null;
    const take = () => {
      if (document.visibilityState !== 'visible') return;
      void (navigator as Navigator & { wakeLock: { request: (t: 'screen') => Promise<{ release: () => Promise<void> }> } }).wakeLock
        .request('screen')
        .then((l) => (lock = l))
        .catch(() => {});
    };
    take();
    document.addEventListener('visibilitychange', take);
    return () => {
      document.removeEventListener('visibilitychange', take);
      void lock?.release().catch(() => {});
    };
  }, [enabled]);
}
