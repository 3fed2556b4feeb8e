'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useState, type RefObject } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { GridDialog } from './grid-dialog';
import { PresetChips } from './preset-messages';
import { drawFrame } from './room-media';
import type { GridTile } from './use-room-tiles';

const inputClass = 'w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm focus:border-blue-500 focus:outline-none';
const EXTRA_MINUTES = [5, 10, 15, 30];
const STILL_MAX_WIDTH = 1280;
const STILL_MAX_BYTES = 400 * 1024;

/**
 * The frame on the focus screen now, as a JPEG data URL of at most 1280 px wide and 400 kB
 * (the server's limit): quality drops, then size, until it fits.
 */
export function captureStill(video: HTMLVideoElement | null): string | null {
  if (!video) return null;
  for (const [width, quality] of [
    [STILL_MAX_WIDTH, 0.7],
    [STILL_MAX_WIDTH, 0.5],
    [960, 0.5],
    [640, 0.5],
  ] as const) {
    const canvas = drawFrame(video, width);
    if (!canvas) return null;
    const url = canvas.toDataURL('image/jpeg', quality);
    if (((url.length - url.indexOf(',') - 1) * 3) / 4 <= STILL_MAX_BYTES) return url;
  }
  return null;
}

type Dialog = 'extra' | 'end' | 'flag' | null;

/** Message, extra time, end exam and manual flag for the candidate in focus. */
export function CandidateActions({
  roomId,
  examId,
  tile,
  screenElement,
  onDialogChange,
}: {
  roomId: number;
  examId: number;
  tile: GridTile;
  screenElement: RefObject<HTMLVideoElement | null>;
  onDialogChange: (open: boolean) => void;
}) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const candidateId = tile.candidateId;
  const refreshTimeline = () => utils.invigilate.timeline.invalidate({ roomId, candidateId });

  const [dialog, setDialogState] = useState<Dialog>(null);
  const setDialog = (d: Dialog) => {
    setDialogState(d);
    onDialogChange(d !== null);
  };

  const [text, setText] = useState('');
  const [sentNote, setSentNote] = useState(false);
  const send = trpc.invigilate.sendMessage.useMutation({
    onSuccess: () => {
      setText('');
      setSentNote(true);
      void refreshTimeline();
    },
  });
  useEffect(() => {
    if (!sentNote) return;
    const timer = setTimeout(() => setSentNote(false), 4000);
    return () => clearTimeout(timer);
  }, [sentNote]);

  const finished = tile.phase === 'finished';
  const sitting = tile.phase === 'in_progress' || tile.phase === 'waiting';

  return (
    <div className="shrink-0 space-y-3 border-b border-slate-200 p-4">
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          send.mutate({ roomId, candidateId, text });
        }}
      >
        <label className="block text-sm font-medium text-slate-700" htmlFor="message-text">
          {t('messageLabel')}
        </label>
        <PresetChips examId={examId} onPick={setText} />
        <textarea
          id="message-text"
          data-testid="message-text"
          rows={2}
          maxLength={1000}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('messagePlaceholder')}
          className={inputClass}
        />
        {send.error && <Alert>{errorText(send.error)}</Alert>}
        <div className="flex items-center justify-between gap-2">
          <span className="text-xs text-slate-500" data-testid="message-status">
            {sentNote ? t('messageSent') : tile.pendingAcks > 0 ? t('pendingAcks', { count: tile.pendingAcks }) : ''}
          </span>
          <Button type="submit" data-testid="message-send" disabled={!text.trim() || send.isPending}>
            {t('messageSend')}
          </Button>
        </div>
      </form>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" data-testid="flag-create" onClick={() => setDialog('flag')}>
          {t('flagCreate')}
        </Button>
        <Button variant="secondary" data-testid="extra-time-open" disabled={finished} onClick={() => setDialog('extra')}>
          {t('extraTime')}
        </Button>
        <Button variant="danger" data-testid="end-exam-open" disabled={finished || !sitting} onClick={() => setDialog('end')}>
          {t('endExam')}
        </Button>
      </div>
      {finished && <p className="text-xs text-slate-500">{t('finishedNote', { reason: t(`finishReason.${tile.finishReason ?? 'submitted'}`) })}</p>}
      <ExtraTimeDialog open={dialog === 'extra'} roomId={roomId} tile={tile} onClose={() => setDialog(null)} onDone={refreshTimeline} />
      <EndExamDialog open={dialog === 'end'} roomId={roomId} tile={tile} onClose={() => setDialog(null)} onDone={refreshTimeline} />
      <FlagDialog open={dialog === 'flag'} roomId={roomId} tile={tile} screenElement={screenElement} onClose={() => setDialog(null)} onDone={refreshTimeline} />
    </div>
  );
}

type DialogProps = { open: boolean; roomId: number; tile: GridTile; onClose: () => void; onDone: () => void };

function ExtraTimeDialog({ open, roomId, tile, onClose, onDone }: DialogProps) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const [minutes, setMinutes] = useState(10);
  const [reason, setReason] = useState('');
  const add = trpc.invigilate.addTime.useMutation({
    onSuccess: () => {
      setReason('');
      onDone();
      onClose();
    },
  });
  return (
    <GridDialog open={open} title={t('extraTimeTitle', { name: tile.name })} onClose={onClose} busy={add.isPending} testId="extra-time-dialog">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ roomId, candidateId: tile.candidateId, minutes, reason });
        }}
      >
        <div className="flex flex-wrap items-center gap-2">
          {EXTRA_MINUTES.map((m) => (
            <button
              key={m}
              type="button"
              onClick={() => setMinutes(m)}
              className={`rounded-full border px-3 py-0.5 text-sm ${minutes === m ? 'border-blue-600 bg-blue-600 text-white' : 'border-slate-300 text-slate-700 hover:bg-slate-50'}`}
            >
              {t('minutes', { m })}
            </button>
          ))}
          <label className="flex items-center gap-1 text-sm text-slate-600">
            <input
              type="number"
              data-testid="extra-time-minutes"
              min={1}
              max={120}
              value={minutes}
              onChange={(e) => setMinutes(Math.max(1, Math.min(120, Math.round(Number(e.target.value) || 1))))}
              className="w-20 rounded-md border border-slate-300 px-2 py-1 text-sm"
            />
            {t('minuteUnit')}
          </label>
        </div>
        <textarea
          data-testid="extra-time-reason"
          rows={2}
          maxLength={300}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('reasonPlaceholder')}
          className={inputClass}
        />
        <p className="text-xs text-slate-500">{t('extraTimeHelp')}</p>
        {add.error && <Alert>{errorText(add.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={add.isPending}>
            {t('cancel')}
          </Button>
          <Button type="submit" data-testid="extra-time-submit" disabled={!reason.trim() || add.isPending}>
            {t('extraTimeSubmit', { m: minutes })}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}

function EndExamDialog({ open, roomId, tile, onClose, onDone }: DialogProps) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const [reason, setReason] = useState('');
  const end = trpc.invigilate.endExam.useMutation({
    onSuccess: () => {
      setReason('');
      onDone();
      onClose();
    },
  });
  return (
    <GridDialog open={open} title={t('endExamTitle', { name: tile.name })} onClose={onClose} busy={end.isPending} testId="end-exam-dialog">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          end.mutate({ roomId, candidateId: tile.candidateId, reason });
        }}
      >
        <Alert tone="warning">{t('endExamWarning')}</Alert>
        <textarea
          data-testid="end-exam-reason"
          rows={3}
          maxLength={300}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('endExamReasonPlaceholder')}
          className={inputClass}
        />
        {end.error && <Alert>{errorText(end.error)}</Alert>}
        <div className="flex justify-end gap-2">
          {/* The safe choice has the focus: an Enter pressed by habit does not end an exam. */}
          <Button autoFocus variant="secondary" onClick={onClose} disabled={end.isPending}>
            {t('cancel')}
          </Button>
          <Button type="submit" variant="danger" data-testid="end-exam-submit" disabled={!reason.trim() || end.isPending}>
            {t('endExamSubmit')}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}

function FlagDialog({ open, roomId, tile, screenElement, onClose, onDone }: DialogProps & { screenElement: RefObject<HTMLVideoElement | null> }) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const [note, setNote] = useState('');
  const [still, setStill] = useState<string | null>(null);
  const [attach, setAttach] = useState(true);
  // The frame is taken when the dialog opens: the moment the invigilator decided to flag.
  useEffect(() => {
    if (open) setStill(captureStill(screenElement.current));
  }, [open, screenElement]);
  const create = trpc.invigilate.createFlag.useMutation({
    onSuccess: () => {
      setNote('');
      onDone();
      onClose();
    },
  });
  return (
    <GridDialog open={open} title={t('flagTitle', { name: tile.name })} onClose={onClose} busy={create.isPending} testId="flag-dialog">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ roomId, candidateId: tile.candidateId, note, ...(still && attach ? { still } : {}) });
        }}
      >
        {still ? (
          <label className="block space-y-1">
            <img
              src={still}
              alt={t('flagStillAlt')}
              data-testid="flag-still"
              className="max-h-48 w-full rounded border border-slate-200 bg-slate-900 object-contain"
            />
            <span className="flex items-center gap-1.5 text-xs text-slate-600">
              <input type="checkbox" checked={attach} onChange={(e) => setAttach(e.target.checked)} />
              {t('flagAttachStill')}
            </span>
          </label>
        ) : (
          <p className="text-xs text-slate-500">{t('flagNoStill')}</p>
        )}
        <textarea
          data-testid="flag-note"
          rows={3}
          maxLength={500}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder={t('flagNotePlaceholder')}
          className={inputClass}
        />
        {create.error && <Alert>{errorText(create.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={create.isPending}>
            {t('cancel')}
          </Button>
          <Button type="submit" data-testid="flag-submit" disabled={!note.trim() || create.isPending}>
            {t('flagSubmit')}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}
