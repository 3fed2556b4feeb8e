/**
 * The media types a recording may have. The device names its recording's type and playback
 * serves it back as the Content-Type of bytes the device also chose, so the type is never the
 * device's string: it is normalised and must be one of this closed list of what MediaRecorder
 * produces for our recorders (components/recording/chunk-recorder.ts asks for WebM with VP8 and
 * Opus, Safari answers MP4 with H.264 and AAC). Anything else is refused at the start.
 */
export const RECORDING_MEDIA_TYPES = [
  'video/webm',
  'video/webm;codecs=vp8',
  'video/webm;codecs=vp9',
  'video/webm;codecs=av1',
  'video/webm;codecs=avc1',
  'video/webm;codecs=vp8,opus',
  'video/webm;codecs=vp9,opus',
  'video/webm;codecs=av1,opus',
  'video/webm;codecs=avc1,opus',
  'audio/webm',
  'audio/webm;codecs=opus',
  'video/mp4',
  'video/mp4;codecs=avc1',
  'video/mp4;codecs=avc1,mp4a',
  'video/mp4;codecs=avc1,opus',
  'audio/mp4',
  'audio/mp4;codecs=mp4a',
] as const;
export type RecordingMediaType = (typeof RECORDING_MEDIA_TYPES)[number];

const KNOWN = new Set<string>(RECORDING_MEDIA_TYPES);

/** Served for a stored type that is not on the list (a row from before the list existed). */
export const FALLBACK_MEDIA_TYPE: RecordingMediaType = 'video/webm';

/** Codec names as browsers spell them, folded to one name each (profiles and levels dropped). */
function codecName(raw: string): string | null {
  if (raw === 'vp8' || raw === 'vp8.0') return 'vp8';
  if (raw === 'vp9' || raw === 'vp9.0' || /^vp09(\.\d{1,2}){0,8}$/.test(raw)) return 'vp9';
  if (raw === 'av1' || /^av01(\.[0-9a-z]{1,4}){0,10}$/.test(raw)) return 'av1';
  if (raw === 'h264' || raw === 'avc1' || /^avc1\.[0-9a-f]{6}$/.test(raw)) return 'avc1';
  if (raw === 'opus') return 'opus';
  if (raw === 'mp4a' || /^mp4a\.40\.\d{1,2}$/.test(raw)) return 'mp4a';
  return null;
}

/**
 * The canonical form of a recording's media type (case, spaces, quotes and codec profiles
 * folded), or null if it is not one we record. `video/webm; codecs="vp8, opus"` (Firefox) and
 * `video/webm;codecs=VP8,OPUS` both give `video/webm;codecs=vp8,opus`.
 */
export function recordingMediaType(raw: string): RecordingMediaType | null {
  if (raw.length > 200) return null;
  const folded = raw.toLowerCase().replace(/[\s"]/g, '');
  const m = /^([a-z]+\/[a-z0-9.+-]+)(?:;codecs=([a-z0-9.,]+))?;?$/.exec(folded);
  if (!m) return null;
  const codecs = m[2] ? m[2].split(',').map(codecName) : [];
  if (codecs.some((c) => c == null)) return null;
  const canonical = codecs.length ? `${m[1]};codecs=${codecs.join(',')}` : m[1]!;
  return KNOWN.has(canonical) ? (canonical as RecordingMediaType) : null;
}

/** What playback may serve for a stored type: the type if it is on the list, else a plain media type. */
export const servedMediaType = (stored: string): RecordingMediaType => recordingMediaType(stored) ?? FALLBACK_MEDIA_TYPE;

/** The file name offered with a recording (the type's extension). */
export function recordingFileName(rec: { id: number; track: string }, type: RecordingMediaType) {
  return `recording-${rec.id}-${rec.track}.${type.includes('mp4') ? 'mp4' : 'webm'}`;
}
