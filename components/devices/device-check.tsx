'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { useHotline } from '@/components/help/hotline';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { CameraPreview } from './camera-preview';
import { DeviceProblem } from './device-problem';
import { DeviceSelectors, useDeviceLabel } from './device-selectors';
import { LevelBar } from './level-bar';
import { NextStep } from './next-step';
import { fixWebmDuration, RECORD_SECONDS, recordFor } from './recorder';
import { SpeakersTest } from './speakers-test';
import { storeDevices } from './stored-devices';
import { useAudioLevel } from './use-audio-level';
import { useDeviceSelection } from './use-device-selection';
import { Stepper } from '@/components/ui/stepper';

/** Below this peak (about -48 dBFS) nothing audible reached the microphone while recording. */
const QUIET_PEAK = 0.2;

type Phase = 'setup' | 'live' | 'recording' | 'review' | 'done';
/** The manual's steps, with the speakers (the spoken instructions need them) before the recording is played back. */
const STEPS = ['choose', 'start', 'speakers', 'record', 'produce', 'playback'] as const;
/** The step each phase is at; the ones before it are done. */
const STEP_AT: Record<Phase, number> = { setup: 0, live: 3, recording: 3, review: 5, done: 6 };

type Take = { url: string; durationMs: number; peak: number };

function Steps({ phase, speakersAnswered }: { phase: Phase; speakersAnswered: boolean }) {
  const t = useTranslations('deviceCheck.steps');
  return <Stepper labels={STEPS.map((s) => t(s))} at={phase === 'live' && !speakersAnswered ? 2 : STEP_AT[phase]} />;
}

function LastResult() {
  const t = useTranslations('deviceCheck');
  const format = useFormatter();
  const checks = trpc.candidate.checks.useQuery();
  const last = checks.data?.device;
  if (!checks.data) return null;
  if (!last) return <p className="text-sm text-slate-500">{t('result.none')}</p>;
  return (
    <div
      data-testid="device-check-result"
      data-passed={last.passed}
      className={`flex flex-wrap items-center gap-x-3 gap-y-1 rounded-lg border px-4 py-2.5 text-sm ${
        last.passed ? 'border-green-200 bg-green-50 text-green-900' : 'border-amber-200 bg-amber-50 text-amber-900'
      }`}
    >
      <span className="font-medium">{t(last.passed ? 'result.passed' : 'result.failed')}</span>
      <span className="text-slate-600">{format.dateTime(last.createdAt, 'dayTime')}</span>
      <span className="min-w-0 truncate text-slate-600">{t('result.devices', { camera: last.camera, microphone: last.microphone })}</span>
    </div>
  );
}

/**
 * The manual's device check: choose devices -> start devices -> record 10 seconds while reading
 * a caption aloud -> produce the video -> play it back and say whether picture and sound are OK.
 */
export function DeviceCheck() {
  const t = useTranslations('deviceCheck');
  const { args: call } = useHotline();
  const errorText = useErrorText();
  const label = useDeviceLabel();
  const [phase, setPhase] = useState<Phase>('setup');
  const { devices, value, setChoice, camera, microphone } = useDeviceSelection({ active: phase !== 'setup' });
  const { level, peak, resetPeak, peakRef } = useAudioLevel(microphone.stream);
  const [left, setLeft] = useState(RECORD_SECONDS);
  const [take, setTake] = useState<Take | null>(null);
  const [recordError, setRecordError] = useState(false);
  const recording = useRef<{ cancel: () => void; tick: ReturnType<typeof setInterval> } | null>(null);
  const utils = trpc.useUtils();
  const report = trpc.candidate.reportDeviceCheck.useMutation({ onSuccess: () => utils.candidate.checks.invalidate() });
  const [verdict, setVerdict] = useState<boolean | null>(null);
  const [speakersOk, setSpeakersOk] = useState<boolean | null>(null);

  const stopRecording = () => {
    recording.current?.cancel();
    if (recording.current) clearInterval(recording.current.tick);
    recording.current = null;
  };

  useEffect(() => () => stopRecording(), []);
  useEffect(() => () => void (take && URL.revokeObjectURL(take.url)), [take]);
  // A device lost mid-recording spoils the take; its help text is already on screen.
  const lost = phase === 'recording' && (!camera.stream || !microphone.stream);
  useEffect(() => {
    if (lost) {
      stopRecording();
      setPhase('live');
    }
  }, [lost]);

  function start() {
    const video = camera.stream?.getVideoTracks()[0];
    const audio = microphone.stream?.getAudioTracks()[0];
    if (!video || !audio) return;
    setRecordError(false);
    setTake(null);
    setVerdict(null);
    report.reset();
    resetPeak();
    let rec: ReturnType<typeof recordFor>;
    try {
      rec = recordFor(new MediaStream([video, audio]), RECORD_SECONDS * 1000, 'video');
    } catch {
      setRecordError(true);
      return;
    }
    const started = Date.now();
    setLeft(RECORD_SECONDS);
    setPhase('recording');
    const tick = setInterval(() => setLeft(Math.max(0, Math.ceil(RECORD_SECONDS - (Date.now() - started) / 1000))), 200);
    recording.current = { cancel: rec.cancel, tick };
    rec.done
      .then(({ blob, durationMs }) => {
        clearInterval(tick);
        recording.current = null;
        setTake({ url: URL.createObjectURL(blob), durationMs, peak: Math.round(peakRef.current * 100) / 100 });
        setPhase('review');
      })
      .catch(() => {
        clearInterval(tick);
        recording.current = null;
        setRecordError(true);
        setPhase('live');
      });
  }

  function decide(passed: boolean) {
    if (!take) return;
    setVerdict(passed);
    if (passed) storeDevices(value);
    report.mutate(
      {
        passed,
        camera: label('camera', devices.cameras, value.cameraId).slice(0, 200),
        microphone: label('microphone', devices.microphones, value.microphoneId).slice(0, 200),
        peakLevel: Math.min(1, Math.max(0, take.peak)),
        recordedMs: Math.min(120_000, take.durationMs),
        speakersOk: speakersOk ?? false,
      },
      { onSuccess: () => setPhase('done') },
    );
  }

  function again() {
    setTake(null);
    setVerdict(null);
    report.reset();
    setPhase('live');
  }

  const live = phase === 'live' || phase === 'recording';
  const ready = Boolean(camera.stream && microphone.stream);

  return (
    <div data-testid="device-check" data-phase={phase} className="space-y-4">
      <LastResult />
      <div className="rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm">
        <Steps phase={phase} speakersAnswered={speakersOk != null} />
      </div>
      <div className="grid gap-4 lg:grid-cols-[3fr_2fr]">
        <div className="space-y-3">
          {take && (phase === 'review' || phase === 'done') ? (
            <video
              key={take.url}
              data-testid="playback"
              src={take.url}
              controls
              playsInline
              onLoadedMetadata={(e) => {
                const v = e.currentTarget;
                void fixWebmDuration(v).then(() => (phase === 'review' ? v.play().catch(() => {}) : undefined));
              }}
              className="aspect-video w-full rounded-lg bg-black"
            />
          ) : (
            <CameraPreview stream={live ? camera.stream : null}>
              {phase === 'setup' ? (
                <span className="text-sm text-slate-300">{t('previewIdle')}</span>
              ) : camera.error ? (
                <DeviceProblem kind="camera" error={camera.error} onRetry={camera.retry} dark />
              ) : !camera.stream ? (
                <span className="text-sm text-slate-300">{t('startingCamera')}</span>
              ) : phase === 'recording' ? (
                <div className="absolute inset-x-0 bottom-0 bg-black/65 px-5 py-3 text-center">
                  <p className="text-xs text-slate-300">{t('readAloud')}</p>
                  <p data-testid="caption" className="mt-1 text-lg leading-relaxed font-medium text-white">
                    {t('caption')}
                  </p>
                </div>
              ) : null}
            </CameraPreview>
          )}
        </div>

        <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          {phase !== 'done' && (
            <>
              <DeviceSelectors
                cameras={devices.cameras}
                microphones={devices.microphones}
                value={value}
                onChange={setChoice}
                onRefresh={() => void devices.refresh()}
                refreshing={devices.refreshing}
                disabled={phase === 'recording'}
              />
              <div className="space-y-1.5">
                <p className="text-sm font-medium text-slate-700">{t('micLevel')}</p>
                <LevelBar level={live ? level : 0} peak={live ? peak : undefined} />
                <p className="text-xs text-slate-500">{phase === 'setup' ? t('levelIdle') : t('levelHint')}</p>
              </div>
              {live && microphone.error && <DeviceProblem kind="microphone" error={microphone.error} onRetry={microphone.retry} />}
              {recordError && <Alert>{t('recordFailed')}</Alert>}
            </>
          )}

          {/* Once recorded, the result and the way on come first: the selectors are back with "check again". */}
          <div className={phase === 'done' ? '' : 'border-t border-slate-100 pt-4'}>
            {phase === 'setup' && (
              <Button className="w-full" onClick={() => setPhase('live')} data-testid="start-devices">
                {t('startDevices')}
              </Button>
            )}
            {phase === 'live' && (
              <div className="space-y-3">
                <SpeakersTest answer={speakersOk} onAnswer={setSpeakersOk} />
                {speakersOk != null && (
                  <div className="space-y-2 border-t border-slate-100 pt-3">
                    <p className="text-sm text-slate-600">{t('beforeRecording', { seconds: RECORD_SECONDS })}</p>
                    <Button className="w-full" onClick={start} disabled={!ready} data-testid="start-recording">
                      {t('startRecording')}
                    </Button>
                  </div>
                )}
              </div>
            )}
            {phase === 'recording' && (
              <div className="space-y-2">
                <p className="flex items-center gap-2 text-sm font-medium text-red-700">
                  <span aria-hidden className="h-2.5 w-2.5 animate-pulse rounded-full bg-red-600" />
                  <span data-testid="recording-countdown" data-seconds={left} aria-live="polite">
                    {t('recording', { seconds: left })}
                  </span>
                </p>
                <div className="h-1.5 overflow-hidden rounded-full bg-slate-200">
                  <div
                    className="h-full bg-red-500 transition-[width] duration-200 ease-linear"
                    style={{ width: `${((RECORD_SECONDS - left) / RECORD_SECONDS) * 100}%` }}
                  />
                </div>
                <p className="text-sm text-slate-500">{t('recordingHint')}</p>
              </div>
            )}
            {phase === 'review' && take && (
              <div className="space-y-3">
                <p className="text-sm text-slate-700">{t('reviewPrompt')}</p>
                {take.peak < QUIET_PEAK && <Alert tone="warning">{t('quiet')}</Alert>}
                {report.error && <Alert>{errorText(report.error)}</Alert>}
                <div className="grid grid-cols-2 gap-2">
                  <Button variant="secondary" onClick={() => decide(false)} disabled={report.isPending} data-testid="confirm-problem">
                    {t('confirmProblem')}
                  </Button>
                  <Button onClick={() => decide(true)} disabled={report.isPending} data-testid="confirm-ok">
                    {t('confirmOk')}
                  </Button>
                </div>
                <Button variant="ghost" className="w-full" onClick={again} disabled={report.isPending}>
                  {t('recordAgain')}
                </Button>
              </div>
            )}
            {phase === 'done' && (
              <div className="space-y-3">
                {verdict ? (
                  <>
                    <Alert tone="info">{t('donePassed')}</Alert>
                    {speakersOk === false && <Alert tone="warning">{t('speakers.notHeardDone')}</Alert>}
                    <NextStep />
                  </>
                ) : (
                  <Alert tone="warning">
                    <p className="font-medium">{t('doneFailed')}</p>
                    <ul className="mt-1 list-disc space-y-0.5 pl-5">
                      {(['tip1', 'tip2', 'tip3', 'tip4'] as const).map((k) => (
                        <li key={k}>{t(`tips.${k}`, call)}</li>
                      ))}
                    </ul>
                  </Alert>
                )}
                <Button variant="secondary" className="w-full" onClick={again}>
                  {t('checkAgain')}
                </Button>
              </div>
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
