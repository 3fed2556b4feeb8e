'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';

export type SpokenInstructionsFile = { id: number; url: string; caption: string };

type Status = 'idle' | 'playing' | 'paused' | 'ended' | 'blocked' | 'failed';

/** Which audio this candidate has heard start on this device, so a reload does not play it again. */
const heardKey = (examId: number, candidateId: number) => `exam.instructions.${examId}.${candidateId}`;

function heardBefore(examId: number, candidateId: number, fileId: number) {
  try {
    return window.localStorage.getItem(heardKey(examId, candidateId)) === String(fileId);
  } catch {
    return false;
  }
}

function rememberHeard(examId: number, candidateId: number, fileId: number) {
  try {
    window.localStorage.setItem(heardKey(examId, candidateId), String(fileId));
  } catch {
    // Not remembered: a reload plays the instructions once more, nothing worse.
  }
}

/**
 * The exam office's spoken instructions: played once by themselves when the candidate reaches the
 * exam (`active`), with the caption shown while they play and a replay button afterwards. A
 * browser that refuses to play without a click (autoplay policy) gets a button that provides one.
 * It sits in the page's flow above the paper, so it never covers the countdown or the submit button.
 */
export function SpokenInstructions({
  examId,
  candidateId,
  instructions,
  active,
}: {
  examId: number;
  candidateId: number;
  instructions: SpokenInstructionsFile;
  active: boolean;
}) {
  const t = useTranslations('examRoom.spokenInstructions');
  const audio = useRef<HTMLAudioElement>(null);
  const [status, setStatus] = useState<Status>('idle');
  const [captionOpen, setCaptionOpen] = useState<boolean | null>(null);
  const fileId = instructions.id;

  const play = useCallback((fromStart: boolean) => {
    const el = audio.current;
    if (!el) return;
    if (fromStart) el.currentTime = 0;
    el.play().catch((err: unknown) => {
      // NotAllowedError: the autoplay policy wants a click first. Anything else: the file did not load or decode.
      setStatus(err instanceof DOMException && err.name === 'NotAllowedError' ? 'blocked' : 'failed');
    });
  }, []);

  useEffect(() => {
    if (!active || heardBefore(examId, candidateId, fileId)) return;
    play(true);
  }, [active, examId, candidateId, fileId, play]);

  const onPlaying = () => {
    setStatus('playing');
    rememberHeard(examId, candidateId, fileId);
  };

  if (!active) return null;
  // Open while it plays or waits for a click; closed once heard, unless the candidate opens it.
  const open = captionOpen ?? (status !== 'idle' && status !== 'ended');
  const caption = instructions.caption.trim();

  return (
    <section
      aria-labelledby="spoken-instructions-title"
      data-testid="spoken-instructions"
      data-state={status}
      className={`rounded-lg border px-4 py-2.5 text-sm ${status === 'blocked' ? 'border-amber-300 bg-amber-50 text-amber-950' : 'border-blue-200 bg-blue-50 text-blue-950'}`}
    >
      <audio
        ref={audio}
        src={instructions.url}
        preload="auto"
        data-testid="spoken-instructions-audio"
        onPlaying={onPlaying}
        onPause={(e) => setStatus(e.currentTarget.ended ? 'ended' : 'paused')}
        onEnded={() => setStatus('ended')}
        onError={() => setStatus('failed')}
      />
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span aria-hidden className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-white/70">
          <SpeakerIcon />
        </span>
        <h2 id="spoken-instructions-title" className="font-semibold">
          {t('title')}
        </h2>
        <span role="status" className="text-xs opacity-80" data-testid="spoken-instructions-status">
          {status === 'idle' ? '' : t(`status.${status}`)}
        </span>
        <span className="ml-auto flex items-center gap-2">
          {status === 'blocked' ? (
            <Button onClick={() => play(true)} data-testid="spoken-instructions-play">
              {t('playBlocked')}
            </Button>
          ) : (
            <>
              {status === 'playing' && (
                <Button variant="secondary" className="py-1" onClick={() => audio.current?.pause()} data-testid="spoken-instructions-pause">
                  {t('pause')}
                </Button>
              )}
              {status === 'paused' && (
                <Button variant="secondary" className="py-1" onClick={() => play(false)} data-testid="spoken-instructions-resume">
                  {t('resume')}
                </Button>
              )}
              <Button
                variant="secondary"
                className="py-1"
                onClick={() => {
                  setCaptionOpen(null);
                  play(true);
                }}
                data-testid="spoken-instructions-replay"
              >
                {status === 'failed' ? t('retry') : t('replay')}
              </Button>
            </>
          )}
          {caption && (
            <Button
              variant="ghost"
              className="py-1"
              aria-expanded={open}
              aria-controls="spoken-instructions-caption"
              onClick={() => setCaptionOpen(!open)}
              data-testid="spoken-instructions-toggle"
            >
              {open ? t('hideCaption') : t('showCaption')}
            </Button>
          )}
        </span>
      </div>
      {status === 'blocked' && <p className="mt-1.5">{t('blocked')}</p>}
      {status === 'failed' && <p className="mt-1.5">{t('failed')}</p>}
      {caption && open && (
        <p
          id="spoken-instructions-caption"
          className="mt-2 max-h-28 overflow-y-auto whitespace-pre-line rounded-md bg-white/70 px-3 py-2 leading-relaxed text-slate-800"
          data-testid="spoken-instructions-caption"
        >
          {caption}
        </p>
      )}
    </section>
  );
}

function SpeakerIcon() {
  return (
    <svg viewBox="0 0 20 20" className="h-4 w-4">
      <path
        fill="currentColor"
        d="M9.4 3.2a1 1 0 0 1 1.6.8v12a1 1 0 0 1-1.6.8L5.6 14H3a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h2.6l3.8-2.8ZM14 6.5a1 1 0 0 1 1.4 0 5 5 0 0 1 0 7 1 1 0 1 1-1.4-1.4 3 3 0 0 0 0-4.2 1 1 0 0 1 0-1.4Z"
      />
    </svg>
  );
}
