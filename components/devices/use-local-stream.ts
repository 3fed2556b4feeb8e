'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

export type DeviceKind = 'video' | 'audio';
/** Why a device could not be used; each has its own help text. */
export type DeviceErrorKind = 'denied' | 'notFound' | 'inUse' | 'ended' | 'unsupported' | 'failed';

const CONSTRAINTS: Record<DeviceKind, MediaTrackConstraints> = {
  video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } },
  audio: { echoCancellation: true, noiseSuppression: true },
};

export function classifyMediaError(err: unknown): DeviceErrorKind {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'notFound';
  // Windows reports a camera held by another program (a meeting app) as not readable.
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'inUse';
  return 'failed';
}

export function stopStream(stream: MediaStream | null | undefined) {
  stream?.getTracks().forEach((t) => t.stop());
}

export function trackDeviceId(stream: MediaStream | null | undefined): string | null {
  return stream?.getTracks()[0]?.getSettings().deviceId ?? null;
}

type State = { stream: MediaStream | null; error: DeviceErrorKind | null; starting: boolean };

/**
 * One live camera or microphone stream. `deviceId`: null keeps the device off, '' opens the
 * browser's default, anything else that exact device (falling back to the default when it is
 * gone, e.g. unplugged since it was stored). Switching devices stops the old stream first: some
 * laptop cameras cannot be opened twice. The stream is stopped on unmount.
 */
export function useLocalStream(kind: DeviceKind, deviceId: string | null) {
  const [state, setState] = useState<State>({ stream: null, error: null, starting: deviceId !== null });
  const [attempt, setAttempt] = useState(0);
  const current = useRef<MediaStream | null>(null);

  useEffect(() => {
    if (deviceId === null) {
      stopStream(current.current);
      current.current = null;
      setState({ stream: null, error: null, starting: false });
      return;
    }
    const live = current.current?.getTracks()[0];
    // Re-choosing the device that is already open (its id learnt after the default opened).
    if (live?.readyState === 'live' && (deviceId === '' || live.getSettings().deviceId === deviceId)) return;

    const md = navigator.mediaDevices;
    if (!md?.getUserMedia) {
      setState({ stream: null, error: 'unsupported', starting: false });
      return;
    }
    let cancelled = false;
    stopStream(current.current);
    current.current = null;
    setState({ stream: null, error: null, starting: true });
    const open = (id: string) => md.getUserMedia({ [kind]: id ? { ...CONSTRAINTS[kind], deviceId: { exact: id } } : CONSTRAINTS[kind] });
    (async () => {
      let stream: MediaStream;
      try {
        stream = await open(deviceId);
      } catch (err) {
        if (!deviceId || classifyMediaError(err) !== 'notFound') throw err;
        stream = await open('');
      }
      if (cancelled) return stopStream(stream);
      current.current = stream;
      setState({ stream, error: null, starting: false });
    })().catch((err: unknown) => {
      if (!cancelled) setState({ stream: null, error: classifyMediaError(err), starting: false });
    });
    return () => {
      cancelled = true;
    };
  }, [kind, deviceId, attempt]);

  // A device unplugged (or taken away by the system) mid-use ends its track.
  useEffect(() => {
    const track = state.stream?.getTracks()[0];
    if (!track) return;
    const onEnded = () => {
      if (current.current === state.stream) current.current = null;
      setState({ stream: null, error: 'ended', starting: false });
    };
    track.addEventListener('ended', onEnded);
    return () => track.removeEventListener('ended', onEnded);
  }, [state.stream]);

  useEffect(
    () => () => {
      stopStream(current.current);
      current.current = null;
    },
    [],
  );

  const retry = useCallback(() => {
    stopStream(current.current);
    current.current = null;
    setAttempt((n) => n + 1);
  }, []);

  return { ...state, deviceId: trackDeviceId(state.stream), retry };
}

export type LocalStream = ReturnType<typeof useLocalStream>;
