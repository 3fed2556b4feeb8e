'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { playTestTone } from './test-tone';

/**
 * The speakers, which the spoken instructions at the start of the exam need: a test sound from a
 * click, then the candidate says whether they heard it. Not hearing it gives the usual fixes and
 * may be answered again after trying them.
 */
export function SpeakersTest({ answer, onAnswer }: { answer: boolean | null; onAnswer: (heard: boolean | null) => void }) {
  const t = useTranslations('deviceCheck.speakers');
  const [playing, setPlaying] = useState(false);
  const [played, setPlayed] = useState(false);

  function play() {
    setPlaying(true);
    void playTestTone()
      .catch(() => {})
      .finally(() => {
        setPlaying(false);
        setPlayed(true);
      });
  }

  return (
    <div data-testid="speakers-test" data-played={played} data-answer={answer == null ? 'none' : String(answer)} className="space-y-2">
      <p className="text-sm font-medium text-slate-700">{t('title')}</p>
      {answer === true ? (
        <p className="flex items-center justify-between gap-2 text-sm text-green-700">
          <span>✓ {t('heard')}</span>
          <Button variant="ghost" className="px-2 py-1 text-xs" onClick={() => onAnswer(null)}>
            {t('again')}
          </Button>
        </p>
      ) : (
        <>
          <p className="text-xs text-slate-500">{t('hint')}</p>
          <Button variant="secondary" className="w-full" onClick={play} disabled={playing} data-testid="speakers-play">
            {playing ? t('playing') : played ? t('playAgain') : t('play')}
          </Button>
          {answer === false && (
            <Alert tone="warning">
              <p className="font-medium">{t('notHeardTitle')}</p>
              <ul className="mt-1 list-disc space-y-0.5 pl-5">
                {(['tip1', 'tip2', 'tip3'] as const).map((k) => (
                  <li key={k}>{t(`tips.${k}`)}</li>
                ))}
              </ul>
            </Alert>
          )}
          {played && (
            <div className="grid grid-cols-2 gap-2">
              <Button variant="secondary" onClick={() => onAnswer(false)} disabled={playing} data-testid="speakers-not-heard">
                {t('notHeard')}
              </Button>
              <Button onClick={() => onAnswer(true)} disabled={playing} data-testid="speakers-heard">
                {t('heardButton')}
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
