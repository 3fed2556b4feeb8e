'use client';

import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A live camera picture, mirrored as people expect to see themselves. `children` overlay the
 * picture (a placeholder while the camera starts, a help text when it fails).
 */
export function CameraPreview({
  stream,
  mirrored = true,
  className = '',
  children,
}: {
  stream: MediaStream | null;
  mirrored?: boolean;
  className?: string;
  children?: ReactNode;
}) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    v.srcObject = stream;
    if (stream) void v.play().catch(() => {});
  }, [stream]);

  return (
    <div className={`relative aspect-video w-full overflow-hidden rounded-lg bg-slate-900 ${className}`}>
      <video
        ref={video}
        data-testid="camera-preview"
        autoPlay
        muted
        playsInline
        className={`h-full w-full object-cover ${mirrored ? '-scale-x-100' : ''} ${stream ? '' : 'invisible'}`}
      />
      {children && <div className="absolute inset-0 flex items-center justify-center p-6">{children}</div>}
    </div>
  );
}
