import { ScreenSharePresets, VideoPreset, VideoPresets } from 'livekit-client';

/**
 * The layers each picture a candidate publishes is sent in, lowest first: the invigilator grid
 * decodes the LOW one, forty at a time, in a small inset; the focus view asks for the top one.
 * The exam page and the phone publish with these, and the exam-day simulator encodes its clips
 * from them, so a load test sends what candidates send.
 */
export const PUBLISH_LAYERS = {
  /** The whole monitor: 360p at 3 fps for the grid, 1080p at 15 fps. */
  screen: [ScreenSharePresets.h360fps3, ScreenSharePresets.h1080fps15],
  /** 180p at 10 fps within 90 kbps (LiveKit's h180 allows 160 kbps at 20 fps); captured at 540p. */
  camera: [new VideoPreset(320, 180, 90_000, 10), VideoPresets.h540],
  /** The phone's side view: small and slow is plenty in the grid; captured at 540p. */
  witness: [new VideoPreset(320, 180, 80_000, 10), VideoPresets.h540],
} as const;

export type PublishedPicture = keyof typeof PUBLISH_LAYERS;
