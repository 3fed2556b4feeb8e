'use client';

import type { RemoteVideoTrack } from 'livekit-client';
import { memo, useEffect, useRef } from 'react';

/** When a picture last moved; written by the video element, read by the health strip. */
export type FrameWatch = { lastFrameAt: number; attachedAt: number };

export const newFrameWatch = (): FrameWatch => ({ lastFrameAt: 0, attachedAt: 0 });

/** Every live grid video, for the CPU guard to sample dropped frames from. */
export const liveVideos = new Set<HTMLVideoElement>();

/**
 * A remote video track in a `<video>`, with a frame callback that records when the last frame
 * was painted: a frozen picture is as bad as a missing one, and only the page can see it.
 */
export const LiveVideo = memo(function LiveVideo({
  track,
  watch,
  className,
  testId,
  onElement,
}: {
  track: RemoteVideoTrack;
  watch?: FrameWatch;
  className?: string;
  testId?: string;
  onElement?: (el: HTMLVideoElement | null) => void;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    track.attach(el);
    liveVideos.add(el);
    onElement?.(el);
    if (watch) {
      watch.attachedAt = Date.now();
      watch.lastFrameAt = 0;
    }
    let handle = 0;
    let stopped = false;
    if (watch && 'requestVideoFrameCallback' in el) {
      const onFrame = () => {
        watch.lastFrameAt = Date.now();
        if (!stopped) handle = el.requestVideoFrameCallback(onFrame);
      };
      handle = el.requestVideoFrameCallback(onFrame);
    }
    return () => {
      stopped = true;
      if (handle) el.cancelVideoFrameCallback(handle);
      liveVideos.delete(el);
      onElement?.(null);
      track.detach(el);
    };
  }, [track, watch, onElement]);
  return <video ref={ref} data-testid={testId} muted playsInline autoPlay className={className} />;
});
