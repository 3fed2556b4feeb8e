/** Small stroke icons for the health strip: they read at a glance in any language. */
const base = {
  width: 14,
  height: 14,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const;

export const ScreenIcon = () => (
  <svg {...base} aria-hidden>
    <rect x="3" y="4" width="18" height="12" rx="1.5" />
    <path d="M8 20h8M12 16v4" />
  </svg>
);

export const CameraIcon = () => (
  <svg {...base} aria-hidden>
    <rect x="3" y="6" width="13" height="12" rx="2" />
    <path d="m16 10 5-3v10l-5-3" />
  </svg>
);

export const MicIcon = () => (
  <svg {...base} aria-hidden>
    <rect x="9" y="3" width="6" height="11" rx="3" />
    <path d="M5 11a7 7 0 0 0 14 0M12 18v3" />
  </svg>
);

export const PhoneIcon = () => (
  <svg {...base} aria-hidden>
    <rect x="7" y="2" width="10" height="20" rx="2" />
    <path d="M11 18h2" />
  </svg>
);

export const FaceIcon = () => (
  <svg {...base} aria-hidden>
    <circle cx="12" cy="12" r="9" />
    <path d="M9 10h.01M15 10h.01M9 15.5a4 4 0 0 0 6 0" />
  </svg>
);

export const FlagIcon = () => (
  <svg {...base} aria-hidden>
    <path d="M5 21V4M5 4h11l-2 4 2 4H5" />
  </svg>
);

export const SpeakerIcon = ({ muted }: { muted: boolean }) => (
  <svg {...base} aria-hidden>
    <path d="M4 9v6h4l5 4V5L8 9H4z" />
    {muted ? <path d="m17 9 5 6M22 9l-5 6" /> : <path d="M17 8a5 5 0 0 1 0 8M19.5 5.5a8.5 8.5 0 0 1 0 13" />}
  </svg>
);

/** Three bars, filled by LiveKit's connection quality. */
export function QualityBars({ level, className = '' }: { level: 0 | 1 | 2 | 3; className?: string }) {
  return (
    <svg width="14" height="12" viewBox="0 0 14 12" aria-hidden className={className}>
      {[0, 1, 2].map((i) => (
        <rect key={i} x={i * 5} y={8 - i * 4} width="3.5" height={4 + i * 4} rx="0.5" fill="currentColor" opacity={i < level ? 1 : 0.25} />
      ))}
    </svg>
  );
}
