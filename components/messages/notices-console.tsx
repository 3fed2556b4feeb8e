'use client';

import { trpc } from '@/components/providers/trpc';
import { ComposeForm } from './compose-form';
import { SentMessages } from './sent-messages';

/** Staff system messages: compose on the left, what was sent with live counts on the right. */
export function NoticesConsole() {
  const utils = trpc.useUtils();
  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
      <ComposeForm onSent={() => void utils.messages.sent.invalidate()} />
      <SentMessages />
    </div>
  );
}
