'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ChunkRecorder } from './chunk-recorder';
import type { RecordingTrack } from './chunk-store';
import { uploadQueue } from './upload-queue';
import { useUploadBacklog } from './use-upload-backlog';

export type ChunkRecorderOptions = {
  examId: number;
  track: RecordingTrack;
  /** A new stream object starts a new recording (a session on the server); null records nothing. */
  stream: MediaStream | null;
  enabled: boolean;
  auth: 'candidate' | 'phone';
  /**
   * Whose recordings these are on this device, e.g. `candidate:12` (see candidateOwner): the
   * uploader only sends its own owner's chunks. Defaults to `auth`.
   */
  owner?: string;
};

/**
 * Records `stream` in chunks of TIMESLICE_MS while `enabled`, keeps every chunk in IndexedDB and
 * uploads them in the background (see UploadQueue). `stop()` ends the recording for good (the
 * exam is over): it resolves once the last chunk is stored on the device, not uploaded.
 */
export function useChunkRecorder({ examId, track, stream, enabled, auth, owner: ownerKey }: ChunkRecorderOptions) {
  const owner = ownerKey ?? auth;
  const backlog = useUploadBacklog(owner);
  const [chunks, setChunks] = useState(0);
  const [recording, setRecording] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const current = useRef<ChunkRecorder | null>(null);
  const [stopped, setStopped] = useState(false);

  useEffect(() => {
    const live = stream?.getTracks().some((t) => t.readyState === 'live');
    if (!enabled || stopped || !stream || !live || typeof MediaRecorder === 'undefined') return;
    const queue = uploadQueue(owner);
    let rec: ChunkRecorder;
    try {
      rec = new ChunkRecorder({
        stream,
        track,
        examId,
        owner,
        onChunk: () => {
          setChunks((n) => n + 1);
          queue.kick();
        },
        onError: setError,
        onEnded: () => {
          setRecording(false);
          void rec.stop().then(() => queue.kick());
        },
      });
    } catch (err) {
      setError(err);
      return;
    }
    current.current = rec;
    rec.start().then(
      () => {
        setRecording(rec.state === 'recording');
        queue.kick();
      },
      (err: unknown) => setError(err),
    );
    return () => {
      if (current.current === rec) current.current = null;
      setRecording(false);
      void rec.stop().then(() => queue.kick());
    };
  }, [enabled, stopped, stream, track, examId, owner]);

  const stop = useCallback(async () => {
    setStopped(true);
    const rec = current.current;
    current.current = null;
    setRecording(false);
    if (rec) await rec.stop();
    uploadQueue(owner).kick();
  }, [owner]);

  return { recording, chunks, error, backlog, stop };
}
