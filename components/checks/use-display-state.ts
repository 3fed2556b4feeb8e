'use client';

import { useEffect, useState } from 'react';

export type DisplayState = 'single' | 'extended' | 'unknown';

type ScreenWithExtended = Screen & { isExtended?: boolean } & Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>;

/**
 * Whether the device has more than one display, from the Window Management API's
 * `screen.isExtended` (Chromium 100+). Other browsers do not say: 'unknown', never a guess.
 * Follows changes live (a monitor plugged in during the exam fires `change` on screen).
 */
export function readDisplayState(): DisplayState {
  if (typeof window === 'undefined') return 'unknown';
  const s = window.screen as ScreenWithExtended;
  if (typeof s.isExtended !== 'boolean') return 'unknown';
  return s.isExtended ? 'extended' : 'single';
}

export function useDisplayState(): DisplayState {
  const [state, setState] = useState<DisplayState>('unknown');
  useEffect(() => {
    const update = () => setState(readDisplayState());
    update();
    const screen = window.screen as ScreenWithExtended;
    screen.addEventListener?.('change', update);
    const poll = setInterval(update, 5000);
    return () => {
      screen.removeEventListener?.('change', update);
      clearInterval(poll);
    };
  }, []);
  return state;
}
