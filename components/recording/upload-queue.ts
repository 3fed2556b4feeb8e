import { Upload, type DetailedError } from 'tus-js-client';
import { lockName } from './chunk-recorder';
import { chunkStore, type StoredChunk, type StoredSession } from './chunk-store';
import { GuardedHttpStack } from './guarded-http';

export const UPLOAD_ENDPOINT = '/api/uploads';

/**
 * An upload request that moves no byte for this long is given up and tried again. A chunk is a
 * few hundred KB, and the browser reports its progress as it leaves, so even a slow uplink shows
 * progress well within this; after the last byte, the server answers in well under a second.
 */
const UPLOAD_STALL_MS = 15_000;
const httpStack = typeof window === 'undefined' ? undefined : new GuardedHttpStack(UPLOAD_STALL_MS);

/** The server side of the protocol the queue needs (tRPC's recordings.start and .finish). */
export type RecordingApi = {
  start(input: { examId: number; track: StoredSession['track']; clientKey: string; mimeType: string; startedAt: Date }): Promise<{ recordingId: number }>;
  finish(input: { recordingId: number; chunks: number; endedAt: Date }): Promise<unknown>;
};

export type Backlog = {
  /** Chunks and bytes on this device not yet confirmed by the server. */
  chunks: number;
  bytes: number;
  /** Recordings whose end the server has not been told yet. */
  unfinished: number;
  /** Confirmed by the server since this page opened. */
  uploadedBytes: number;
  uploadedChunks: number;
  /** Kept on the device because the server refused them for good. */
  refused: number;
  online: boolean;
  /** The queue is waiting for a login (the server said the session cannot upload these). */
  needsLogin: boolean;
  /** Read from IndexedDB at least once. */
  ready: boolean;
  /** When this page began its first upload and got its latest confirmation (ms since epoch), for drain rates. */
  firstUploadAt: number | null;
  lastConfirmedAt: number | null;
};

const EMPTY: Backlog = {
  chunks: 0,
  bytes: 0,
  unfinished: 0,
  uploadedBytes: 0,
  uploadedChunks: 0,
  refused: 0,
  online: true,
  needsLogin: false,
  ready: false,
  firstUploadAt: null,
  lastConfirmedAt: null,
};

type Failure = 'transient' | 'refused' | 'auth';

function statusOf(err: unknown): number {
  const tus = (err as DetailedError | undefined)?.originalResponse?.getStatus?.();
  if (typeof tus === 'number') return tus;
  const trpc = (err as { data?: { httpStatus?: number } } | undefined)?.data?.httpStatus;
  return typeof trpc === 'number' ? trpc : 0;
}

/** Network trouble and server errors pass; a refusal of the data itself does not. */
function classify(err: unknown): Failure {
  const status = statusOf(err);
  if (status === 401 || status === 403) return 'auth';
  if (status === 0 || status >= 500 || status === 404 || status === 408 || status === 423 || status === 429) return 'transient';
  return status >= 400 ? 'refused' : 'transient';
}

const messageOf = (err: unknown) => {
  const body = (err as DetailedError | undefined)?.originalResponse?.getBody?.();
  return (body || (err instanceof Error ? err.message : String(err))).slice(0, 300);
};

const isOnline = () => typeof navigator === 'undefined' || navigator.onLine;

/**
 * Uploads one owner's recordings from IndexedDB, oldest first: tells the server about each
 * recording, sends each chunk with tus (resuming a half-sent one from its stored upload URL),
 * deletes a chunk only once the server confirmed it, and reports each recording's end with its
 * chunk count. Waits while offline and starts again on `online`; backs off on server errors.
 * One queue per owner and page, shared by every component that shows or feeds it.
 */
export class UploadQueue {
  private api: RecordingApi | null = null;
  private listeners = new Set<() => void>();
  private snapshot: Backlog = EMPTY;
  private running = false;
  private again = false;
  private failures = 0;
  private wake: (() => void) | null = null;
  private inflightBytes = 0;

  constructor(readonly owner: string) {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => {
        this.failures = 0;
        this.set({ online: true });
        this.kick();
      });
      window.addEventListener('offline', () => this.set({ online: false }));
    }
  }

  setApi(api: RecordingApi) {
    this.api = api;
    if (this.snapshot.needsLogin) this.set({ needsLogin: false });
    this.kick();
  }

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = () => this.snapshot;

  private set(patch: Partial<Backlog>) {
    this.snapshot = { ...this.snapshot, ...patch };
    if (typeof window !== 'undefined') window.__recordingBacklog = this.snapshot;
    for (const fn of this.listeners) fn();
  }

  /** Something changed (a new chunk, the network back): look for work now. */
  kick() {
    this.wake?.();
    if (this.running) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump() {
    this.running = true;
    try {
      do {
        this.again = false;
        while (this.api && !this.snapshot.needsLogin) {
          if (!isOnline()) {
            this.set({ online: false });
            // New chunks keep arriving offline: the backlog shown must grow with them.
            await this.refresh();
            await this.sleep(60_000);
            continue;
          }
          const step = await this.nextStep();
          await this.refresh();
          if (!step) break;
          try {
            await step();
            this.failures = 0;
          } catch (err) {
            const kind = classify(err);
            if (kind === 'auth') {
              this.set({ needsLogin: true });
              break;
            }
            if (kind === 'refused') continue;
            // A refusal was recorded on the item by the step itself; anything else waits and retries.
            this.failures++;
            await this.sleep(Math.min(1000 * 2 ** this.failures, 30_000));
          }
        }
        await this.refresh();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /** Waits `ms`, or less if the network comes back or new work arrives. */
  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async refresh() {
    const sessions = await chunkStore.sessions(this.owner);
    let chunks = 0;
    let bytes = 0;
    let refused = 0;
    for (const s of sessions) {
      for (const c of await chunkStore.pending(s.clientKey)) {
        if (c.refused) refused++;
        else {
          chunks++;
          bytes += c.size;
        }
      }
    }
    const unfinished = sessions.filter((s) => !s.finished && !s.refused).length;
    this.set({ chunks, bytes: Math.max(0, bytes - this.inflightBytes), unfinished, refused, ready: true });
  }

  private async heldLocks(): Promise<Set<string> | null> {
    if (typeof navigator === 'undefined' || !navigator.locks) return null;
    const { held = [] } = await navigator.locks.query();
    return new Set(held.map((l) => l.name ?? ''));
  }

  /** The next thing to do, oldest recording first, or null when there is nothing left. */
  private async nextStep(): Promise<(() => Promise<void>) | null> {
    const api = this.api!;
    const sessions = await chunkStore.sessions(this.owner);
    const held = await this.heldLocks();

    for (const s of sessions) {
      if (s.refused) continue;
      if (s.recordingId == null) return () => this.start(api, s);
      // A recorder gone without stopping (tab closed, browser crashed): what it stored is all there is.
      const recording = held ? held.has(lockName(s.clientKey)) : Date.now() - (s.lastChunkAt ?? s.startedAt) < 30_000;
      if (s.endedAt == null && !recording) {
        return () => chunkStore.updateSession(s.clientKey, { endedAt: s.lastChunkAt ?? s.startedAt });
      }
      if (s.endedAt != null && !s.finished) return () => this.finish(api, s);
    }
    for (const s of sessions) {
      if (s.refused || s.recordingId == null) continue;
      const chunks = (await chunkStore.chunks(s.clientKey)).filter((c) => !c.refused);
      const next = chunks.sort((a, b) => a.seq - b.seq)[0];
      if (next) return () => this.upload(s, next);
      if (s.finished) return () => chunkStore.deleteSession(s.clientKey);
    }
    return null;
  }

  private async start(api: RecordingApi, s: StoredSession) {
    try {
      const { recordingId } = await api.start({
        examId: s.examId,
        track: s.track,
        clientKey: s.clientKey,
        mimeType: s.mimeType,
        startedAt: new Date(s.startedAt),
      });
      await chunkStore.updateSession(s.clientKey, { recordingId });
    } catch (err) {
      if (classify(err) === 'refused') await chunkStore.updateSession(s.clientKey, { refused: messageOf(err) });
      throw err;
    }
  }

  private async finish(api: RecordingApi, s: StoredSession) {
    try {
      await api.finish({ recordingId: s.recordingId!, chunks: s.produced, endedAt: new Date(s.endedAt!) });
      await chunkStore.updateSession(s.clientKey, { finished: true });
    } catch (err) {
      if (classify(err) === 'refused') await chunkStore.updateSession(s.clientKey, { finished: true, refused: messageOf(err) });
      throw err;
    }
  }

  private async upload(s: StoredSession, chunk: StoredChunk) {
    if (this.snapshot.firstUploadAt == null) this.set({ firstUploadAt: Date.now() });
    try {
      await new Promise<void>((resolve, reject) => {
        const upload: Upload = new Upload(chunk.blob, {
          endpoint: UPLOAD_ENDPOINT,
          uploadUrl: chunk.uploadUrl ?? null,
          uploadSize: chunk.size,
          metadata: {
            recordingId: String(s.recordingId),
            seq: String(chunk.seq),
            sha256: chunk.sha256,
            offsetMs: String(chunk.offsetMs),
            filetype: s.mimeType,
          },
          // The queue owns resuming (the URL lives beside the chunk in IndexedDB), not localStorage.
          storeFingerprintForResuming: false,
          httpStack,
          retryDelays: [0, 1000, 3000],
          onShouldRetry: (err) => classify(err) === 'transient' && isOnline(),
          onUploadUrlAvailable: () => {
            if (upload.url) void chunkStore.updateChunk(chunk.clientKey, chunk.seq, { uploadUrl: upload.url });
          },
          onProgress: (sent) => {
            this.inflightBytes = sent;
          },
          onSuccess: () => resolve(),
          onError: reject,
        });
        upload.start();
      });
    } catch (err) {
      if (classify(err) === 'refused') await chunkStore.updateChunk(chunk.clientKey, chunk.seq, { refused: messageOf(err) });
      throw err;
    } finally {
      this.inflightBytes = 0;
    }
    // Confirmed by the server: only now may the device's copy go.
    await chunkStore.deleteChunk(chunk.clientKey, chunk.seq);
    this.set({ uploadedBytes: this.snapshot.uploadedBytes + chunk.size, uploadedChunks: this.snapshot.uploadedChunks + 1, lastConfirmedAt: Date.now() });
  }
}

declare global {
  interface Window {
    __recordingBacklog?: Backlog;
  }
}

const queues = new Map<string, UploadQueue>();

/** The page's queue for this owner (created on first use; lives as long as the page). */
export function uploadQueue(owner: string) {
  let q = queues.get(owner);
  if (!q) {
    q = new UploadQueue(owner);
    queues.set(owner, q);
  }
  return q;
}

export const emptyBacklog = EMPTY;

export type UploadPhase = 'checking' | 'uploading' | 'offline' | 'login' | 'done';

export function uploadPhase(b: Backlog): UploadPhase {
  if (!b.ready) return 'checking';
  if (b.chunks === 0 && b.unfinished === 0) return 'done';
  if (b.needsLogin) return 'login';
  return b.online ? 'uploading' : 'offline';
}
