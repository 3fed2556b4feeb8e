'use client';

import { useCallback, useEffect, useState } from 'react';

export type DeviceOption = { deviceId: string; label: string };

/**
 * Cameras and microphones, refreshed when devices are plugged in or out and on demand.
 * Until the page has camera/microphone permission the browser hides labels and real ids (one
 * entry per kind with an empty id, meaning "the default device"); `labelled` tells them apart.
 */
export function useMediaDevices() {
  const [cameras, setCameras] = useState<DeviceOption[]>([]);
  const [microphones, setMicrophones] = useState<DeviceOption[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [refreshing, setRefreshing] = useState(false);

  const refresh = useCallback(async () => {
    const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!md?.enumerateDevices) {
      setLoaded(true);
      return;
    }
    setRefreshing(true);
    try {
      const all = await md.enumerateDevices();
      const pick = (kind: MediaDeviceKind) =>
        all
          .filter((d) => d.kind === kind)
          // Some browsers list the same device twice; one entry per id is enough to choose from.
          .filter((d, i, list) => list.findIndex((x) => x.deviceId === d.deviceId) === i)
          .map((d) => ({ deviceId: d.deviceId, label: d.label }));
      setCameras(pick('videoinput'));
      setMicrophones(pick('audioinput'));
    } finally {
      setLoaded(true);
      setRefreshing(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
    const md = navigator.mediaDevices;
    const onChange = () => void refresh();
    md?.addEventListener?.('devicechange', onChange);
    return () => md?.removeEventListener?.('devicechange', onChange);
  }, [refresh]);

  const labelled = cameras.some((d) => d.label) || microphones.some((d) => d.label);
  return { cameras, microphones, loaded, labelled, refreshing, refresh };
}

export type MediaDevices = ReturnType<typeof useMediaDevices>;
