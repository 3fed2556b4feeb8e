'use client';

import { useEffect, useId, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

/**
 * A modal over the grid; Escape or the backdrop closes it unless it is busy. Portalled to the
 * body, and submit events stop at its edge: a dialog opened from inside a form (presets from
 * the message box) must not submit that form too.
 */
export function GridDialog({
  open,
  title,
  onClose,
  busy = false,
  testId,
  children,
  width = 'max-w-md',
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  busy?: boolean;
  testId?: string;
  children: ReactNode;
  width?: string;
}) {
  const titleId = useId();
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !busy) {
        // The focus view below listens for Escape too: one press closes one layer.
        e.preventDefault();
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [open, busy, onClose]);
  if (!open) return null;
  return createPortal(
    <div
      className="fixed inset-0 z-[60] flex items-center justify-center bg-slate-900/50 p-4"
      onMouseDown={(e) => {
        e.stopPropagation();
        if (e.target === e.currentTarget && !busy) onClose();
      }}
      onSubmit={(e) => e.stopPropagation()}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
    >
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        className={`w-full ${width} rounded-lg bg-white p-5 text-slate-800 shadow-xl`}
      >
        <h2 id={titleId} className="text-lg font-semibold">
          {title}
        </h2>
        <div className="mt-3">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
