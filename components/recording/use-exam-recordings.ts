'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useChunkRecorder } from './use-chunk-recorder';
import { candidateOwner } from './use-upload-backlog';

type Kind = 'screen' | 'camera' | 'microphone';
type Sources = Record<Kind, MediaStreamTrack | undefined>;

/** Long enough for the first publish of screen, camera and microphone; recording starts without them after. */
const ARM_AFTER_MS = 15_000;

const deviceOf = (t: MediaStreamTrack) => t.getSettings().deviceId ?? '';

/**
 * Records the candidate's screen, and camera with microphone, from the tracks the exam page
 * publishes. It records clones of them: a clone outlives the published track, so a network cut
 * that makes LiveKit drop and re-create its tracks does not cut the recording (the device keeps
 * capturing, MediaRecorder keeps writing). A new recording is started only when the clone itself
 * ends (the screen share was stopped) or the candidate switched to another camera or microphone.
 */
export function useExamRecordings({
  examId,
  candidateId,
  sources,
  ready,
}: {
  examId: number;
  candidateId: number;
  /** The tracks being published now (they come and go with the room connection). */
  sources: Sources;
  /** The first publish of every source has been tried: recording may start. */
  ready: boolean;
}) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (armed) return;
    if (ready) return setArmed(true);
    const t = setTimeout(() => setArmed(true), ARM_AFTER_MS);
    return () => clearTimeout(t);
  }, [ready, armed]);

  const clones = useRef<Record<Kind, MediaStreamTrack | null>>({ screen: null, camera: null, microphone: null });
  const [version, setVersion] = useState(0);
  const [over, setOver] = useState(false);
  const { screen, camera, microphone } = sources;

  useEffect(() => {
    if (!armed || over) return;
    let changed = false;
    for (const kind of ['screen', 'camera', 'microphone'] as const) {
      const cur = clones.current[kind];
      const src = sources[kind];
      const srcLive = src?.readyState === 'live';
      const curLive = cur?.readyState === 'live';
      // The screen has no device id to compare: a live clone is the same screen.
      if (curLive && (!srcLive || kind === 'screen' || deviceOf(cur) === deviceOf(src!))) continue;
      if (srcLive) {
        cur?.stop();
        const clone = src!.clone();
        clone.addEventListener('ended', () => setVersion((v) => v + 1));
        clones.current[kind] = clone;
        changed = true;
      } else if (cur) {
        clones.current[kind] = null;
        changed = true;
      }
    }
    if (changed) setVersion((v) => v + 1);
    // `sources` is read through the ids below: a new track object means a new id.
  }, [armed, over, screen?.id, camera?.id, microphone?.id, version]);

  const stopClones = useCallback(() => {
    for (const kind of ['screen', 'camera', 'microphone'] as const) {
      clones.current[kind]?.stop();
      clones.current[kind] = null;
    }
  }, []);
  useEffect(() => stopClones, [stopClones]);

  const c = clones.current;
  const screenStream = useMemo(() => (c.screen ? new MediaStream([c.screen]) : null), [c.screen]);
  const cameraStream = useMemo(() => {
    const tracks = [c.camera, c.microphone].filter((t): t is MediaStreamTrack => !!t);
    return tracks.length ? new MediaStream(tracks) : null;
  }, [c.camera, c.microphone]);

  const owner = candidateOwner(candidateId);
  const enabled = armed && !over;
  const screenRec = useChunkRecorder({ examId, track: 'screen', stream: screenStream, enabled, auth: 'candidate', owner });
  const cameraRec = useChunkRecorder({ examId, track: 'camera', stream: cameraStream, enabled, auth: 'candidate', owner });

  const { stop: stopScreen } = screenRec;
  const { stop: stopCamera } = cameraRec;
  /** The exam is over: the last chunks are stored on the device (they upload from the next screen). */
  const stop = useCallback(async () => {
    setOver(true);
    await Promise.all([stopScreen(), stopCamera()]).catch(() => {});
    stopClones();
  }, [stopScreen, stopCamera, stopClones]);

  return {
    recording: { screen: screenRec.recording, camera: cameraRec.recording },
    backlog: screenRec.backlog,
    stop,
  };
}
