'use client';

import { useTranslations } from 'next-intl';
import { Button } from '@/components/ui/button';
import { CameraPreview } from './camera-preview';
import { DeviceProblem } from './device-problem';
import { DeviceSelect, RefreshDevicesButton, useDeviceLabel } from './device-selectors';
import { LevelBar } from './level-bar';
import { MicTest } from './mic-test';
import { storeDevices } from './stored-devices';
import { useAudioLevel } from './use-audio-level';
import { useDeviceSelection } from './use-device-selection';

export type ConfirmedDevices = { cameraId: string; microphoneId: string; cameraLabel: string; microphoneLabel: string };

/**
 * The interview's device confirmation: camera preview and choice on the left, microphone choice,
 * green level bar and playback test on the right. Confirming stores the choice (`exam.devices`)
 * for the exam page to publish with.
 */
export function DeviceConfirmation({ onConfirmed }: { onConfirmed: (d: ConfirmedDevices) => void }) {
  const t = useTranslations('deviceCheck');
  const label = useDeviceLabel();
  const { devices, value, setCameraId, setMicrophoneId, camera, microphone } = useDeviceSelection({ active: true });
  const { level, peak } = useAudioLevel(microphone.stream);
  const ready = Boolean(camera.stream && microphone.stream);

  function confirm() {
    storeDevices(value);
    onConfirmed({
      ...value,
      cameraLabel: label('camera', devices.cameras, value.cameraId),
      microphoneLabel: label('microphone', devices.microphones, value.microphoneId),
    });
  }

  return (
    <section data-testid="device-confirmation" className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <div className="grid gap-6 p-5 md:grid-cols-[3fr_2fr]">
        <div className="space-y-3">
          <h2 className="font-medium text-slate-800">{t('cameraHeading')}</h2>
          <CameraPreview stream={camera.stream}>
            {camera.error ? (
              <DeviceProblem kind="camera" error={camera.error} onRetry={camera.retry} dark />
            ) : (
              !camera.stream && <span className="text-sm text-slate-300">{t('startingCamera')}</span>
            )}
          </CameraPreview>
          <div className="flex items-center gap-2">
            <div className="min-w-0 flex-1">
              <DeviceSelect kind="camera" devices={devices.cameras} value={value.cameraId} onChange={setCameraId} hideLabel />
            </div>
            <RefreshDevicesButton onRefresh={() => void devices.refresh()} refreshing={devices.refreshing} />
          </div>
        </div>
        <div className="space-y-4">
          <h2 className="font-medium text-slate-800">{t('microphoneHeading')}</h2>
          <DeviceSelect kind="microphone" devices={devices.microphones} value={value.microphoneId} onChange={setMicrophoneId} hideLabel />
          <div className="space-y-1.5">
            <LevelBar level={level} peak={peak} />
            <p className="text-sm text-slate-500">{t('levelHint')}</p>
          </div>
          {microphone.error && <DeviceProblem kind="microphone" error={microphone.error} onRetry={microphone.retry} />}
          <MicTest stream={microphone.stream} />
        </div>
      </div>
      <footer className="flex items-center justify-end gap-4 border-t border-slate-100 px-5 py-3">
        <p className="text-sm text-slate-500">{t('confirmHint')}</p>
        <Button onClick={confirm} disabled={!ready} data-testid="confirm-devices">
          {t('confirmDevices')}
        </Button>
      </footer>
    </section>
  );
}
