'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useState } from 'react';
import type { AppRouter } from '@/server/routers/_app';

export type ExamSession = inferRouterOutputs<AppRouter>['exam']['session'];

/**
 * Pre-exam steps done on this device; remembered so a reload mid-exam goes straight back in. A
 * cache only where the server also knows (the notice): the server's word decides on another device.
 */
export type ExamSteps = { cameraOk?: boolean; noticeRead?: boolean; devicesConfirmed?: boolean };

/** Sharing the screen first, as in an interview: the invigilators watch from the moment of entry. */
export const WRITTEN_STEPS = ['screen', 'info', 'camera', 'notice', 'exam'] as const;
export type WrittenStep = (typeof WRITTEN_STEPS)[number];

/** What decides which written-exam steps the candidate goes through on this page, and where they are. */
export type WrittenFacts = {
  /** The server has the info confirmed (`registrations.infoConfirmedAt`). */
  infoConfirmed: boolean;
  /** The server has the notice read (`registrations.noticeReadAt`), or this device does. */
  noticeRead: boolean;
  /** The notice was already read on the server when this page opened: the candidate is coming back. */
  returning: boolean;
  cameraRecheckOnReturn: boolean;
  /** Camera position confirmed on this device. */
  cameraOk: boolean;
  /** A whole screen shared on this page (a permission, asked again by every new page). */
  screenShared: boolean;
};

/**
 * The steps shown, in order, and the current one. A candidate coming back mid-exam (another
 * browser, cleared data) skips what the server knows was done: info and notice, and the camera
 * position too unless the exam office wants it checked again. Sharing the screen is never skipped.
 */
export function writtenSteps(f: WrittenFacts): { shown: WrittenStep[]; current: WrittenStep } {
  const skipped: Partial<Record<WrittenStep, boolean>> = { info: f.returning, notice: f.returning, camera: f.returning && !f.cameraRecheckOnReturn };
  const done: Record<WrittenStep, boolean> = {
    info: f.infoConfirmed,
    screen: f.screenShared,
    camera: f.cameraOk || !!skipped.camera,
    notice: f.noticeRead,
    exam: false,
  };
  const shown = WRITTEN_STEPS.filter((s) => !skipped[s]);
  return { shown, current: shown.find((s) => !done[s]) ?? 'exam' };
}

const key = (examId: number, candidateId: number) => `exam.steps.${examId}.${candidateId}`;

function read(examId: number, candidateId: number): ExamSteps {
  try {
    const raw = window.localStorage.getItem(key(examId, candidateId));
    return raw ? (JSON.parse(raw) as ExamSteps) : {};
  } catch {
    return {};
  }
}

export function useExamSteps(examId: number, candidateId: number) {
  const [steps, setSteps] = useState<ExamSteps>(() => (typeof window === 'undefined' ? {} : read(examId, candidateId)));
  const mark = useCallback(
    (step: keyof ExamSteps) =>
      setSteps((prev) => {
        const next = { ...prev, [step]: true };
        try {
          window.localStorage.setItem(key(examId, candidateId), JSON.stringify(next));
        } catch {
          // Not remembered: after a reload the candidate repeats a step, nothing worse.
        }
        return next;
      }),
    [examId, candidateId],
  );
  return { steps, mark };
}
