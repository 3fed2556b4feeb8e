import { describe, expect, it } from 'vitest';
import { summariseTracks } from '@/components/recording/ledger-summary';
import { driftToleranceS, mediaTimeAt, percentOf, segmentAt, type Segment } from '@/components/recording/playback-clock';
import { emptyBacklog, uploadPhase } from '@/components/recording/upload-queue';

const seg = (recordingId: number, track: Segment['track'], startMs: number, endMs: number): Segment => ({ recordingId, track, startMs, endMs });

describe('playback clock', () => {
  const segments = [seg(1, 'screen', 1000, 5000), seg(2, 'screen', 4000, 9000), seg(3, 'camera', 1500, 9000)];

  it('picks the run of a track covering a moment, the later-started one in an overlap, none in a gap', () => {
    expect(segmentAt(segments, 'screen', 1000)?.recordingId).toBe(1);
    expect(segmentAt(segments, 'screen', 4500)?.recordingId).toBe(2);
    expect(segmentAt(segments, 'screen', 9000)).toBeNull();
    expect(segmentAt(segments, 'camera', 1200)).toBeNull();
    expect(segmentAt(segments, 'witness', 3000)).toBeNull();
  });

  it("maps the shared clock onto each video's own time and onto the scrubber", () => {
    expect(mediaTimeAt(segments[2]!, 4000)).toBe(2.5);
    expect(mediaTimeAt(segments[2]!, 0)).toBe(0);
    expect(percentOf(5000, 1000, 9000)).toBe(50);
    expect(percentOf(0, 1000, 9000)).toBe(0);
    expect(percentOf(5000, 1000, 1000)).toBe(0);
    expect(driftToleranceS(8)).toBeGreaterThan(driftToleranceS(1));
  });
});

describe('ledger summary per track', () => {
  const entry = (track: 'screen' | 'camera' | 'witness', received: number, expected: number | null, bytes: number, complete: boolean) => ({
    recordingId: received,
    examId: 1,
    candidateId: 1,
    track,
    mimeType: 'video/webm',
    startedAt: new Date(0),
    endedAt: null,
    expected,
    received,
    bytes,
    gapCount: 0,
    gaps: [],
    complete,
    completedAt: null,
  });

  it('sums the runs of a track, is complete only when every run is, and orders screen, camera, witness', () => {
    const out = summariseTracks([
      entry('witness', 1, 1, 10, true),
      entry('camera', 3, 3, 30, true),
      entry('camera', 2, 4, 20, false),
      entry('screen', 5, null, 50, false),
    ]);
    expect(out.map((s) => s.track)).toEqual(['screen', 'camera', 'witness']);
    expect(out[1]).toEqual({ track: 'camera', runs: 2, received: 5, expected: 7, bytes: 50, complete: false });
    expect(out[0]!.expected).toBeNull();
    expect(out[2]!.complete).toBe(true);
  });
});

describe('upload phase shown to the candidate', () => {
  it('is done only when no chunk and no unreported end is left on the device', () => {
    expect(uploadPhase(emptyBacklog)).toBe('checking');
    const ready = { ...emptyBacklog, ready: true };
    expect(uploadPhase(ready)).toBe('done');
    expect(uploadPhase({ ...ready, unfinished: 1 })).toBe('uploading');
    expect(uploadPhase({ ...ready, chunks: 3, online: false })).toBe('offline');
    expect(uploadPhase({ ...ready, chunks: 3, needsLogin: true })).toBe('login');
  });
});
