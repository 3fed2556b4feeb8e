/** A recording run as the playback lines it up: absolute start and end, in ms since the epoch. */
export type Segment = { recordingId: number; track: 'screen' | 'camera' | 'witness'; startMs: number; endMs: number };

export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

/** The recording of `track` that covers the moment `atMs`, if any (the latest-started one wins an overlap). */
export function segmentAt(segments: Segment[], track: Segment['track'], atMs: number): Segment | null {
  let found: Segment | null = null;
  for (const s of segments) if (s.track === track && s.startMs <= atMs && atMs < s.endMs && (!found || s.startMs > found.startMs)) found = s;
  return found;
}

/**
 * How far a video may drift from the shared clock before it is moved back into step. Seeking
 * costs a keyframe search, so the faster the playback, the more drift is tolerated.
 */
export const driftToleranceS = (speed: number) => 0.35 + 0.15 * speed;

/** Where on the scrubber (0-100 %) an absolute moment lies. */
export const percentOf = (atMs: number, fromMs: number, toMs: number) =>
  toMs > fromMs ? Math.min(100, Math.max(0, ((atMs - fromMs) / (toMs - fromMs)) * 100)) : 0;

/** The seconds a recording run has been going at `atMs` (what its video's currentTime should be). */
export const mediaTimeAt = (segment: Segment, atMs: number) => Math.max(0, (atMs - segment.startMs) / 1000);
