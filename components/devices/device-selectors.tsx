'use client';

import { useTranslations } from 'next-intl';
import { useId } from 'react';
import { Button } from '@/components/ui/button';
import type { DeviceOption } from './use-media-devices';

export type DeviceChoice = { cameraId: string; microphoneId: string };

/** The browser's label, or "Camera 2" before permission reveals labels. */
export function useDeviceLabel() {
  const t = useTranslations('deviceCheck');
  return (kind: 'camera' | 'microphone', devices: DeviceOption[], id: string) => {
    const i = devices.findIndex((d) => d.deviceId === id);
    const found = devices[i];
    if (found?.label) return found.label;
    return t(kind === 'camera' ? 'cameraN' : 'microphoneN', { n: i < 0 ? 1 : i + 1 });
  };
}

export function DeviceSelect({
  kind,
  devices,
  value,
  onChange,
  disabled,
  hideLabel = false,
}: {
  kind: 'camera' | 'microphone';
  devices: DeviceOption[];
  value: string;
  onChange: (deviceId: string) => void;
  disabled?: boolean;
  /** When a heading nearby already names the device. */
  hideLabel?: boolean;
}) {
  const t = useTranslations('deviceCheck');
  const label = useDeviceLabel();
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className={hideLabel ? 'sr-only' : 'mb-1 block text-sm font-medium text-slate-700'}>
        {t(kind)}
      </label>
      <select
        id={id}
        data-testid={`${kind}-select`}
        value={devices.some((d) => d.deviceId === value) ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        disabled={disabled || devices.length === 0}
        className="block w-full truncate rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-800 focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500 disabled:bg-slate-50 disabled:text-slate-400"
      >
        {devices.length === 0 && <option value="">{t(kind === 'camera' ? 'noCamera' : 'noMicrophone')}</option>}
        {devices.map((d) => (
          <option key={d.deviceId || 'default'} value={d.deviceId}>
            {label(kind, devices, d.deviceId)}
          </option>
        ))}
      </select>
    </div>
  );
}

export function RefreshDevicesButton({ onRefresh, refreshing, disabled }: { onRefresh: () => void; refreshing?: boolean; disabled?: boolean }) {
  const t = useTranslations('deviceCheck');
  return (
    <Button variant="ghost" className="px-2 py-1 text-blue-700" onClick={onRefresh} disabled={disabled || refreshing} data-testid="refresh-devices">
      <span aria-hidden className={refreshing ? 'animate-spin' : ''}>
        ↻
      </span>
      {t('refreshDevices')}
    </Button>
  );
}

/** Camera and microphone choice with a "Refresh device list" button (for a camera plugged in late). */
export function DeviceSelectors({
  cameras,
  microphones,
  value,
  onChange,
  onRefresh,
  refreshing,
  disabled,
}: {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  value: DeviceChoice;
  onChange: (choice: DeviceChoice) => void;
  onRefresh: () => void;
  refreshing?: boolean;
  disabled?: boolean;
}) {
  return (
    <div className="space-y-3">
      <DeviceSelect kind="camera" devices={cameras} value={value.cameraId} disabled={disabled} onChange={(cameraId) => onChange({ ...value, cameraId })} />
      <DeviceSelect
        kind="microphone"
        devices={microphones}
        value={value.microphoneId}
        disabled={disabled}
        onChange={(microphoneId) => onChange({ ...value, microphoneId })}
      />
      <div className="flex justify-end">
        <RefreshDevicesButton onRefresh={onRefresh} refreshing={refreshing} disabled={disabled} />
      </div>
    </div>
  );
}
