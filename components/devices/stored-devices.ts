/** Where the candidate's chosen camera and microphone are kept, so the exam publishes with them. */
export const DEVICES_STORAGE_KEY = 'exam.devices';

export type StoredDevices = { cameraId: string; microphoneId: string };

export function readStoredDevices(): StoredDevices | null {
  try {
    const raw = window.localStorage.getItem(DEVICES_STORAGE_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredDevices>;
    return typeof v.cameraId === 'string' && typeof v.microphoneId === 'string' ? { cameraId: v.cameraId, microphoneId: v.microphoneId } : null;
  } catch {
    // Private mode or a hand-edited value: behave as if nothing was chosen.
    return null;
  }
}

export function storeDevices(devices: StoredDevices) {
  try {
    window.localStorage.setItem(DEVICES_STORAGE_KEY, JSON.stringify({ cameraId: devices.cameraId, microphoneId: devices.microphoneId }));
  } catch {
    // Storage full or disabled: the exam falls back to the default devices.
  }
}
