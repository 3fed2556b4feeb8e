'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { BODY_MAX } from './constants';

export type ChatMessage = { id: number; kind: 'candidate' | 'agent' | 'note' | 'system'; body: string; createdAt: Date; authorName: string | null };

/**
 * The conversation, oldest first. `side` says whose screen this is: the candidate's own messages
 * (or the desk's replies and notes) sit on the right. Notes are drawn unmistakably apart — yellow
 * and labelled — because an agent must never mistake one for a reply the candidate can read.
 * Stays scrolled to the newest message unless the reader has scrolled up.
 */
export function MessageList({ messages, side, empty }: { messages: readonly ChatMessage[]; side: 'candidate' | 'staff'; empty?: ReactNode }) {
  const t = useTranslations('helpChat');
  const format = useFormatter();
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const lastId = messages.at(-1)?.id;

  useLayoutEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lastId, messages.length]);

  return (
    <div
      ref={box}
      data-testid="chat-messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
      className="flex min-h-0 flex-1 flex-col gap-2 overflow-y-auto px-3 py-3"
    >
      {messages.length === 0 && empty}
      {messages.map((m) => {
        if (m.kind === 'system') {
          return (
            <p key={m.id} data-testid="chat-system" className="self-center rounded-full bg-slate-100 px-3 py-0.5 text-center text-xs text-slate-500">
              {m.body}
            </p>
          );
        }
        const mine = side === 'candidate' ? m.kind === 'candidate' : m.kind !== 'candidate';
        const note = m.kind === 'note';
        const tone = note
          ? 'border border-amber-300 bg-amber-50 text-amber-950'
          : mine
            ? 'bg-blue-600 text-white'
            : 'border border-slate-200 bg-white text-slate-800';
        const who = m.kind === 'candidate' ? (side === 'candidate' ? t('you') : m.authorName) : (m.authorName ?? t('agentFallback'));
        return (
          <div
            key={m.id}
            data-testid={`chat-${m.kind}`}
            data-message-id={m.id}
            className={`flex max-w-[85%] flex-col ${mine ? 'items-end self-end' : 'items-start self-start'}`}
          >
            <span className="mb-0.5 px-1 text-[11px] text-slate-500">
              {who} · {format.dateTime(m.createdAt, 'time')}
            </span>
            <div className={`whitespace-pre-wrap break-words rounded-lg px-3 py-1.5 text-sm ${tone}`}>
              {note && <span className="mb-0.5 block text-[11px] font-semibold text-amber-700">{t('noteLabel')}</span>}
              {m.body}
            </div>
          </div>
        );
      })}
    </div>
  );
}

export function TypingIndicator({ name }: { name: string | null }) {
  const t = useTranslations('helpChat');
  return (
    <p data-testid="typing-indicator" aria-live="polite" className="h-5 shrink-0 px-3 text-xs italic text-slate-500">
      {name && (
        <>
          {t('typing', { name })}
          <span className="ml-1 inline-flex gap-0.5 align-middle">
            {[0, 150, 300].map((d) => (
              <span key={d} className="h-1 w-1 animate-bounce rounded-full bg-slate-400" style={{ animationDelay: `${d}ms` }} />
            ))}
          </span>
        </>
      )}
    </p>
  );
}

/**
 * A message box: Enter sends, Shift+Enter starts a new line. Enter while an input method is
 * composing (pinyin) picks the candidate word instead of sending.
 */
export function Composer({
  value,
  onChange,
  onSend,
  onTyping,
  busy = false,
  disabled = false,
  placeholder,
  tone = 'plain',
  autoFocus = false,
  inputRef,
  children,
}: {
  value: string;
  onChange: (v: string) => void;
  onSend: () => void;
  onTyping?: () => void;
  busy?: boolean;
  disabled?: boolean;
  placeholder: string;
  tone?: 'plain' | 'note';
  autoFocus?: boolean;
  inputRef?: React.RefObject<HTMLTextAreaElement | null>;
  /** Extra controls left of the send button (canned replies, note toggle). */
  children?: ReactNode;
}) {
  const t = useTranslations('helpChat');
  const ownRef = useRef<HTMLTextAreaElement>(null);
  const ref = inputRef ?? ownRef;
  const [composing, setComposing] = useState(false);
  const empty = value.trim().length === 0;
  const tooLong = value.length > BODY_MAX;

  // Grows with its text up to a few lines, then scrolls.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 140)}px`;
  }, [value, ref]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey || composing || e.nativeEvent.isComposing) return;
    e.preventDefault();
    if (!empty && !tooLong && !busy && !disabled) onSend();
  };

  return (
    <div className={`shrink-0 border-t px-3 py-2 ${tone === 'note' ? 'border-amber-200 bg-amber-50' : 'border-slate-200 bg-white'}`}>
      <textarea
        ref={ref}
        data-testid="chat-input"
        rows={2}
        value={value}
        disabled={disabled}
        autoFocus={autoFocus}
        placeholder={placeholder}
        aria-label={placeholder}
        onChange={(e) => {
          onChange(e.target.value);
          if (e.target.value) onTyping?.();
        }}
        onKeyDown={onKeyDown}
        onCompositionStart={() => setComposing(true)}
        onCompositionEnd={() => setComposing(false)}
        className={`block w-full resize-none rounded-md border px-2.5 py-1.5 text-sm outline-none focus:ring-2 disabled:bg-slate-50 ${
          tone === 'note' ? 'border-amber-300 bg-white focus:ring-amber-300' : 'border-slate-300 focus:ring-blue-300'
        }`}
      />
      <div className="mt-1.5 flex items-center gap-2">
        {children}
        <span className={`ml-auto text-[11px] tabular-nums ${tooLong ? 'font-medium text-red-600' : 'text-slate-400'}`}>
          {value.length > BODY_MAX - 200 ? `${value.length}/${BODY_MAX}` : t('enterHint')}
        </span>
        <button
          type="button"
          data-testid="chat-send"
          disabled={empty || tooLong || busy || disabled}
          onClick={onSend}
          className={`rounded-md px-3 py-1.5 text-sm font-medium text-white disabled:cursor-not-allowed disabled:opacity-50 ${
            tone === 'note' ? 'bg-amber-600 hover:bg-amber-700' : 'bg-blue-600 hover:bg-blue-700'
          }`}
        >
          {tone === 'note' ? t('addNote') : t('send')}
        </button>
      </div>
    </div>
  );
}
