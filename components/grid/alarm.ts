'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

const MUTE_KEY = 'grid.alarmMuted';
let ctx: AudioContext | null = null;

/** Browsers start audio only after a gesture: any click on the page unlocks the beep. */
function unlock() {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
  } catch {
    // No WebAudio (locked-down browser): the tiles still turn red.
  }
}

/** Two short tones, synthesised, so there is no asset to load or to fail. */
export function beep() {
  unlock();
  if (!ctx || ctx.state !== 'running') return;
  const t0 = ctx.currentTime;
  for (const [i, freq] of [880, 660].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const start = t0 + i * 0.18;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.16);
  }
}

/**
 * Sounds when an id newly becomes urgent (not for those already urgent when the page opens), at
 * most once every few seconds however many turn urgent together. An id is a candidate's, or an
 * incident's negated (the grid passes an open incident instead of its candidates).
 */
export function useAlarm(urgentIds: readonly number[], ready: boolean) {
  const [muted, setMutedState] = useState(false);
  const known = useRef<Set<number> | null>(null);
  const lastBeep = useRef(0);

  useEffect(() => {
    setMutedState(localStorage.getItem(MUTE_KEY) === '1');
    window.addEventListener('pointerdown', unlock, { once: true });
    return () => window.removeEventListener('pointerdown', unlock);
  }, []);

  const key = urgentIds.join(',');
  useEffect(() => {
    if (!ready) return;
    const now = new Set(urgentIds);
    const prev = known.current;
    known.current = now;
    if (!prev || muted) return;
    const fresh = [...now].some((id) => !prev.has(id));
    if (fresh && Date.now() - lastBeep.current > 3000) {
      lastBeep.current = Date.now();
      beep();
    }
  }, [key, muted, ready]);

  const setMuted = useCallback((m: boolean) => {
    setMutedState(m);
    localStorage.setItem(MUTE_KEY, m ? '1' : '0');
    if (!m) unlock();
  }, []);

  return { muted, setMuted };
}
