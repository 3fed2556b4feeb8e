'use client';

import { usePathname } from 'next/navigation';
import { MessageAlerts } from '@/components/messages/message-alerts';
import { HelpWidget } from './help-widget';

/** The exam page (and its "done" screen): links must not navigate away from running media. */
export const EXAM_PATH = /^\/exams\/\d+/;

/**
 * What floats over every candidate page, the exam included: the Help chat and the live system
 * messages. Mounted once by the candidate layout, so each keeps one live stream however the
 * candidate moves between pages.
 */
export function CandidateOverlays() {
  const inExam = EXAM_PATH.test(usePathname());
  return (
    <>
      <MessageAlerts newTab={inExam} />
      <HelpWidget inExam={inExam} />
    </>
  );
}
