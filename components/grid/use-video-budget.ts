'use client';

import { useEffect, useState } from 'react';
import { liveVideos } from './live-video';

const SAMPLE_MS = 5000;
const MIN_CAP = 4;
/** Dropped frames above this share of painted ones mean the CPU is behind. */
const DROP_RATIO = 0.15;
/** A main thread late by this much on a 250 ms timer is a page that cannot keep up either. */
const LAG_MS = 300;
const RECOVER_AFTER_MS = 60_000;
/** Page load, first connection and first decodes are busy by nature; they say nothing yet. */
const WARM_UP_MS = 15_000;
/** Samples in a row that must show overload before the cap drops (15 s sustained). */
const STRIKES = 3;

/**
 * The live-video cap actually used: the configured one, lowered by a quarter when the browser
 * shows it cannot keep up, raised back slowly once it can. Inbound RTP stats carry no
 * quality-limitation reason, so the signals are the renderer's dropped frames on the grid's
 * own video elements and the main thread's lateness.
 */
export function useVideoBudget(configured: number) {
  const [cap, setCap] = useState(configured);
  useEffect(() => setCap(configured), [configured]);

  useEffect(() => {
    let prev = new Map<HTMLVideoElement, { total: number; dropped: number }>();
    let strikes = 0;
    const startedAt = Date.now();
    let calmSince = Date.now();
    let lagMax = 0;
    let last = performance.now();
    const lagTimer = setInterval(() => {
      const t = performance.now();
      lagMax = Math.max(lagMax, t - last - 250);
      last = t;
    }, 250);
    const sampler = setInterval(() => {
      let total = 0;
      let dropped = 0;
      const next = new Map<HTMLVideoElement, { total: number; dropped: number }>();
      for (const el of liveVideos) {
        const q = el.getVideoPlaybackQuality();
        const p = prev.get(el);
        if (p) {
          total += q.totalVideoFrames - p.total;
          dropped += q.droppedVideoFrames - p.dropped;
        }
        next.set(el, { total: q.totalVideoFrames, dropped: q.droppedVideoFrames });
      }
      prev = next;
      // A hidden tab is throttled on purpose; that is not the CPU.
      const lag = document.visibilityState === 'visible' ? lagMax : 0;
      lagMax = 0;
      if (Date.now() - startedAt < WARM_UP_MS) return;
      const overloaded = (total >= 30 && dropped / total > DROP_RATIO) || lag > LAG_MS;
      if (overloaded) {
        calmSince = Date.now();
        if (++strikes >= STRIKES) {
          strikes = 0;
          setCap((c) => Math.max(MIN_CAP, Math.floor(c * 0.75)));
        }
        return;
      }
      strikes = 0;
      if (Date.now() - calmSince > RECOVER_AFTER_MS) {
        calmSince = Date.now();
        setCap((c) => (c < configured ? Math.min(configured, c + 2) : c));
      }
    }, SAMPLE_MS);
    return () => {
      clearInterval(lagTimer);
      clearInterval(sampler);
    };
  }, [configured]);

  return { cap };
}
