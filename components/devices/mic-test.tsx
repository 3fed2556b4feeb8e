'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { recordFor } from './recorder';

type Phase = 'idle' | 'recording' | 'playing' | 'failed';

/**
 * "Test microphone": records a few seconds from the chosen microphone and plays them back, so
 * the candidate hears what the invigilator will hear.
 */
export function MicTest({ stream, seconds = 3 }: { stream: MediaStream | null; seconds?: number }) {
  const t = useTranslations('deviceCheck');
  const [phase, setPhase] = useState<Phase>('idle');
  const [left, setLeft] = useState(seconds);
  const audio = useRef<HTMLAudioElement>(null);
  const cleanup = useRef<() => void>(() => {});

  useEffect(() => () => cleanup.current(), []);
  // A different microphone makes a running test meaningless.
  useEffect(() => {
    cleanup.current();
    setPhase('idle');
  }, [stream]);

  function start() {
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    cleanup.current();
    let url: string | null = null;
    const rec = recordFor(new MediaStream([track]), seconds * 1000, 'audio');
    const started = Date.now();
    setLeft(seconds);
    setPhase('recording');
    const tick = setInterval(() => setLeft(Math.max(0, Math.ceil(seconds - (Date.now() - started) / 1000))), 200);
    cleanup.current = () => {
      rec.cancel();
      clearInterval(tick);
      audio.current?.pause();
      if (url) URL.revokeObjectURL(url);
    };
    rec.done
      .then(({ blob }) => {
        clearInterval(tick);
        const el = audio.current;
        if (!el) return;
        url = URL.createObjectURL(blob);
        el.src = url;
        setPhase('playing');
        return el.play();
      })
      .catch(() => setPhase('failed'));
  }

  return (
    <div data-testid="mic-test" data-phase={phase} className="flex flex-wrap items-center gap-3">
      <Button variant="secondary" onClick={start} disabled={!stream || phase === 'recording' || phase === 'playing'}>
        {t('micTest.button')}
      </Button>
      <span className="text-sm text-slate-500" aria-live="polite">
        {phase === 'recording'
          ? t('micTest.recording', { seconds: left })
          : phase === 'playing'
            ? t('micTest.playing')
            : phase === 'failed'
              ? t('micTest.failed')
              : t('micTest.hint', { seconds })}
      </span>
      <audio ref={audio} onEnded={() => setPhase('idle')} hidden />
    </div>
  );
}
