'use client';

import { useCallback, useEffect, useState } from 'react';
import type { DeviceChoice } from './device-selectors';
import { readStoredDevices } from './stored-devices';
import { useLocalStream } from './use-local-stream';
import { useMediaDevices, type DeviceOption } from './use-media-devices';

/**
 * The chosen camera and microphone, their live streams while `active`, and the device lists.
 * Starts from the last stored choice; once the browser reveals device ids, a choice that is no
 * longer connected falls back to the first device, and an opened default device is recorded
 * under its real id so the lists show what is actually in use.
 */
export function useDeviceSelection({ active }: { active: boolean }) {
  const devices = useMediaDevices();
  // null until the stored choice is read: localStorage exists only in the browser.
  const [choice, setChoice] = useState<DeviceChoice | null>(null);
  useEffect(() => setChoice(readStoredDevices() ?? { cameraId: '', microphoneId: '' }), []);

  const settle = (list: DeviceOption[], id: string) => (!devices.labelled || list.some((d) => d.deviceId === id) ? id : (list[0]?.deviceId ?? id));
  const cameraId = choice ? settle(devices.cameras, choice.cameraId) : null;
  const microphoneId = choice ? settle(devices.microphones, choice.microphoneId) : null;

  const camera = useLocalStream('video', active ? cameraId : null);
  const microphone = useLocalStream('audio', active ? microphoneId : null);

  useEffect(() => {
    const id = camera.deviceId;
    if (id) setChoice((c) => (c && c.cameraId !== id ? { ...c, cameraId: id } : c));
  }, [camera.deviceId]);
  useEffect(() => {
    const id = microphone.deviceId;
    if (id) setChoice((c) => (c && c.microphoneId !== id ? { ...c, microphoneId: id } : c));
  }, [microphone.deviceId]);

  // Labels and real ids appear once permission is granted, which opening a stream does.
  const { labelled, refresh } = devices;
  const anyLive = Boolean(camera.stream || microphone.stream);
  useEffect(() => {
    if (anyLive && !labelled) void refresh();
  }, [anyLive, labelled, refresh]);

  const setCameraId = useCallback((id: string) => setChoice((c) => ({ cameraId: id, microphoneId: c?.microphoneId ?? '' })), []);
  const setMicrophoneId = useCallback((id: string) => setChoice((c) => ({ cameraId: c?.cameraId ?? '', microphoneId: id })), []);

  return {
    devices,
    value: { cameraId: cameraId ?? '', microphoneId: microphoneId ?? '' },
    setCameraId,
    setMicrophoneId,
    setChoice,
    camera,
    microphone,
  };
}

export type DeviceSelection = ReturnType<typeof useDeviceSelection>;
