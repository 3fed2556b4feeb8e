'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

/** Levels from -60 dBFS (silence for our purpose) to 0 dBFS, mapped to 0..1. */
const FLOOR_DB = -60;

export function rmsToLevel(rms: number) {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

/**
 * Live microphone level 0..1 of a stream's audio, sampled every `intervalMs` through a WebAudio
 * AnalyserNode, and the peak since the stream started or `resetPeak()`. A timer, not
 * requestAnimationFrame, so the level keeps being measured while the tab is in the background.
 */
export function useAudioLevel(stream: MediaStream | null, intervalMs = 100) {
  const [level, setLevel] = useState(0);
  const [peak, setPeak] = useState(0);
  const peakRef = useRef(0);

  const resetPeak = useCallback(() => {
    peakRef.current = 0;
    setPeak(0);
  }, []);

  useEffect(() => {
    const track = stream?.getAudioTracks()[0];
    if (!stream || !track || typeof AudioContext === 'undefined') {
      setLevel(0);
      return;
    }
    const ctx = new AudioContext();
    // Only the audio track: a source built from a camera+microphone stream works, but this
    // keeps the graph independent of the video track's life.
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let shown = 0;

    // Autoplay rules may start the context suspended until the user interacts with the page.
    const resume = () => void ctx.resume().catch(() => {});
    if (ctx.state === 'suspended') {
      resume();
      window.addEventListener('pointerdown', resume, { once: true });
      window.addEventListener('keydown', resume, { once: true });
    }

    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const now = rmsToLevel(Math.sqrt(sum / buf.length));
      // Rise at once, fall gently: a bar that flickers to zero between syllables is hard to read.
      shown = now >= shown ? now : Math.max(now, shown - 0.08);
      setLevel(Math.round(shown * 100) / 100);
      if (now > peakRef.current) {
        peakRef.current = now;
        setPeak(Math.round(now * 100) / 100);
      }
    }, intervalMs);

    return () => {
      clearInterval(timer);
      window.removeEventListener('pointerdown', resume);
      window.removeEventListener('keydown', resume);
      source.disconnect();
      void ctx.close().catch(() => {});
      setLevel(0);
    };
  }, [stream, intervalMs]);

  return { level, peak, resetPeak, peakRef };
}
