import { chunkStore, type RecordingTrack, type StoredChunk } from './chunk-store';

/** MediaRecorder hands over a chunk this often: a crash or a cut loses at most this much. The server bounds a recording's chunk count by it (CHUNK_MS). */
export const TIMESLICE_MS = 4000;

/** What the recorder asks MediaRecorder for, best first; the server keeps only types on its list (server/services/recordings-media.ts). */
export const MIME_TYPES: Record<RecordingTrack, string[]> = {
  screen: ['video/webm;codecs=vp8', 'video/webm'],
  camera: ['video/webm;codecs=vp8,opus', 'video/webm'],
  witness: ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4'],
};

/** Enough for a readable screen at 1080p15 and a face at 540p, small enough to drain a backlog quickly. */
const VIDEO_BITS: Record<RecordingTrack, number> = { screen: 1_000_000, camera: 600_000, witness: 600_000 };

export function recordingMimeType(track: RecordingTrack, hasAudio: boolean): string | undefined {
  if (typeof MediaRecorder === 'undefined') return undefined;
  const list = hasAudio ? MIME_TYPES[track] : MIME_TYPES[track].filter((t) => !t.includes('opus'));
  return list.find((t) => MediaRecorder.isTypeSupported(t));
}

async function sha256Hex(data: ArrayBuffer) {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export type RecordedChunk = { clientKey: string; track: RecordingTrack; seq: number; size: number; sha256: string; offsetMs: number };

declare global {
  interface Window {
    /** Every chunk this page recorded, as it hashed it: what the server's ledger must match. */
    __recordedChunks?: RecordedChunk[];
  }
}

/**
 * One MediaRecorder run over one stream: every chunk gets its sequence number, its SHA-256 and
 * its offset from the start, and is in IndexedDB before anyone may upload it. Holds a Web Lock
 * named after the session while recording, so an uploader in another page (or after a crash) can
 * tell a session still being recorded from one whose recorder is gone.
 */
export class ChunkRecorder {
  readonly clientKey = crypto.randomUUID();
  readonly startedAt = Date.now();
  readonly mimeType: string;
  private readonly recorder: MediaRecorder;
  private seq = 0;
  private boundary = 0;
  private t0 = 0;
  /** Chunks are hashed and stored strictly in order. */
  private writing: Promise<void> = Promise.resolve();
  private releaseLock: () => void = () => {};
  private stopped: Promise<void>;
  private stopping: Promise<{ clientKey: string; chunks: number }> | null = null;

  constructor(
    private readonly opts: {
      stream: MediaStream;
      track: RecordingTrack;
      examId: number;
      owner: string;
      onChunk: (c: RecordedChunk) => void;
      onError?: (err: unknown) => void;
      /** The recorder stopped by itself (every track of the stream ended). */
      onEnded?: () => void;
    },
  ) {
    const hasAudio = opts.stream.getAudioTracks().length > 0;
    const mimeType = recordingMimeType(opts.track, hasAudio);
    this.recorder = new MediaRecorder(opts.stream, {
      ...(mimeType ? { mimeType } : {}),
      videoBitsPerSecond: VIDEO_BITS[opts.track],
      ...(hasAudio ? { audioBitsPerSecond: 64_000 } : {}),
    });
    this.mimeType = this.recorder.mimeType || mimeType || 'video/webm';
    this.stopped = new Promise((resolve) => {
      this.recorder.addEventListener(
        'stop',
        () => {
          resolve();
          if (!this.stopping) opts.onEnded?.();
        },
        { once: true },
      );
    });
    this.recorder.addEventListener('dataavailable', (e) => this.onData(e.data));
    this.recorder.addEventListener('error', (e) => opts.onError?.((e as unknown as { error?: unknown }).error ?? e));
  }

  async start() {
    const { owner, examId, track } = this.opts;
    // The lock first: an uploader must never see this session stored but unlocked (it would
    // take it for one abandoned by a crash).
    if (typeof navigator !== 'undefined' && navigator.locks) {
      await new Promise<void>((held) => {
        void navigator.locks.request(lockName(this.clientKey), () => {
          held();
          return new Promise<void>((release) => (this.releaseLock = release));
        });
      });
    }
    if (this.stopping) return this.releaseLock();
    await chunkStore.putSession({ clientKey: this.clientKey, owner, examId, track, mimeType: this.mimeType, startedAt: this.startedAt, produced: 0 });
    if (this.stopping) return this.releaseLock();
    this.t0 = performance.now();
    this.recorder.start(TIMESLICE_MS);
  }

  private onData(blob: Blob) {
    const now = performance.now();
    const offsetMs = Math.round(this.boundary);
    this.boundary = now - this.t0;
    if (blob.size === 0) return;
    const seq = this.seq++;
    const at = Date.now();
    this.writing = this.writing.then(async () => {
      try {
        const sha256 = await sha256Hex(await blob.arrayBuffer());
        const chunk: StoredChunk = { clientKey: this.clientKey, seq, blob, size: blob.size, sha256, offsetMs };
        await chunkStore.addChunk(chunk, at);
        const recorded = { clientKey: this.clientKey, track: this.opts.track, seq, size: blob.size, sha256, offsetMs };
        (window.__recordedChunks ??= []).push(recorded);
        this.opts.onChunk(recorded);
      } catch (err) {
        this.opts.onError?.(err);
      }
    });
  }

  get chunks() {
    return this.seq;
  }

  get state() {
    return this.recorder.state;
  }

  /** Stops, waits for the last chunk to be stored, and marks the session ended with its count. */
  stop(): Promise<{ clientKey: string; chunks: number }> {
    this.stopping ??= (async () => {
      // Already inactive: stopped by itself (its last chunk is in `writing`) or never started.
      if (this.recorder.state !== 'inactive') {
        this.recorder.stop();
        await this.stopped;
      }
      await this.writing;
      await chunkStore.updateSession(this.clientKey, { endedAt: Date.now(), produced: this.seq });
      this.releaseLock();
      return { clientKey: this.clientKey, chunks: this.seq };
    })();
    return this.stopping;
  }
}

export const lockName = (clientKey: string) => `exam-recording:${clientKey}`;
