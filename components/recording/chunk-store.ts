/**
 * The device-side copy of every recording: sessions (one MediaRecorder run of one track) and their
 * chunks, in IndexedDB. A chunk is written here before any upload is tried and removed only once
 * the server confirmed it, so a lost network, a closed tab or a crashed browser loses nothing that
 * was recorded.
 */

export type RecordingTrack = 'screen' | 'camera' | 'witness';

export type StoredSession = {
  clientKey: string;
  /** Whose recording this is on this device (`candidate:12`, `phone:12`): never uploaded by someone else. */
  owner: string;
  examId: number;
  track: RecordingTrack;
  mimeType: string;
  startedAt: number;
  /** The server's id, once `recordings.start` answered. */
  recordingId?: number;
  /** Chunks written so far (the next seq). */
  produced: number;
  lastChunkAt?: number;
  /** The recorder stopped (or was found abandoned after a crash): `produced` is final. */
  endedAt?: number;
  /** `recordings.finish` confirmed. */
  finished?: boolean;
  /** The server refused the recording for good (why, as its message); kept, never retried. */
  refused?: string;
};

export type StoredChunk = {
  clientKey: string;
  seq: number;
  blob: Blob;
  size: number;
  sha256: string;
  offsetMs: number;
  /** The tus upload this chunk is going into, to resume it rather than start over. */
  uploadUrl?: string;
  refused?: string;
};

const DB_NAME = 'exam-recordings';
const SESSIONS = 'sessions';
const CHUNKS = 'chunks';

let opening: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(SESSIONS, { keyPath: 'clientKey' });
      db.createObjectStore(CHUNKS, { keyPath: ['clientKey', 'seq'] });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB blocked'));
  }).catch((err: unknown) => {
    opening = null;
    throw err;
  });
  return opening;
}

function done(tx: IDBTransaction) {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function result<T>(req: IDBRequest<T>) {
  return new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const chunkRange = (clientKey: string) => IDBKeyRange.bound([clientKey, 0], [clientKey, Number.MAX_SAFE_INTEGER]);

export const chunkStore = {
  async putSession(session: StoredSession) {
    const db = await openDb();
    const tx = db.transaction(SESSIONS, 'readwrite');
    tx.objectStore(SESSIONS).put(session);
    await done(tx);
  },

  async getSession(clientKey: string): Promise<StoredSession | undefined> {
    const db = await openDb();
    return result(db.transaction(SESSIONS).objectStore(SESSIONS).get(clientKey) as IDBRequest<StoredSession | undefined>);
  },

  async sessions(owner: string): Promise<StoredSession[]> {
    const db = await openDb();
    const all = await result(db.transaction(SESSIONS).objectStore(SESSIONS).getAll() as IDBRequest<StoredSession[]>);
    return all.filter((s) => s.owner === owner).sort((a, b) => a.startedAt - b.startedAt);
  },

  async updateSession(clientKey: string, patch: Partial<StoredSession>) {
    const db = await openDb();
    const tx = db.transaction(SESSIONS, 'readwrite');
    const store = tx.objectStore(SESSIONS);
    const current = await result(store.get(clientKey) as IDBRequest<StoredSession | undefined>);
    if (current) store.put({ ...current, ...patch });
    await done(tx);
  },

  /** The chunk and the session's counter in one transaction: the count never runs ahead of the data. */
  async addChunk(chunk: StoredChunk, at: number) {
    const db = await openDb();
    const tx = db.transaction([SESSIONS, CHUNKS], 'readwrite');
    tx.objectStore(CHUNKS).put(chunk);
    const sessions = tx.objectStore(SESSIONS);
    const current = await result(sessions.get(chunk.clientKey) as IDBRequest<StoredSession | undefined>);
    if (current) sessions.put({ ...current, produced: Math.max(current.produced, chunk.seq + 1), lastChunkAt: at });
    await done(tx);
  },

  async chunks(clientKey: string): Promise<StoredChunk[]> {
    const db = await openDb();
    return result(db.transaction(CHUNKS).objectStore(CHUNKS).getAll(chunkRange(clientKey)) as IDBRequest<StoredChunk[]>);
  },

  /** Sizes of the chunks still on the device, without reading their data. */
  async pending(clientKey: string): Promise<{ seq: number; size: number; refused: boolean }[]> {
    const rows = await this.chunks(clientKey);
    return rows.map((c) => ({ seq: c.seq, size: c.size, refused: !!c.refused }));
  },

  async updateChunk(clientKey: string, seq: number, patch: Partial<StoredChunk>) {
    const db = await openDb();
    const tx = db.transaction(CHUNKS, 'readwrite');
    const store = tx.objectStore(CHUNKS);
    const current = await result(store.get([clientKey, seq]) as IDBRequest<StoredChunk | undefined>);
    if (current) store.put({ ...current, ...patch });
    await done(tx);
  },

  async deleteChunk(clientKey: string, seq: number) {
    const db = await openDb();
    const tx = db.transaction(CHUNKS, 'readwrite');
    tx.objectStore(CHUNKS).delete([clientKey, seq]);
    await done(tx);
  },

  async deleteSession(clientKey: string) {
    const db = await openDb();
    const tx = db.transaction(SESSIONS, 'readwrite');
    tx.objectStore(SESSIONS).delete(clientKey);
    await done(tx);
  },
};
