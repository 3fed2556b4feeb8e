'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { beep } from '@/components/grid/alarm';

const MUTE_KEY = 'desk.soundMuted';
/** Events older than this when they arrive are the stream's backfill, not news. */
const FRESH_MS = 30_000;

type Permission = NotificationPermission | 'unsupported';

/**
 * Tells an agent about a new (or reopened) thread while they look elsewhere: a desktop
 * notification, once they allowed it with a click (browsers only ask on a user gesture), and a
 * short synthesised beep unless muted. Each thread is announced once per opening.
 */
export function useDeskAlerts(onPick: (threadId: number) => void) {
  const [muted, setMuted] = useState(false);
  const [permission, setPermission] = useState<Permission>('default');
  const announced = useRef(new Set<string>());
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    setMuted(localStorage.getItem(MUTE_KEY) === '1');
    setPermission(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);
  }, []);

  const toggleMuted = useCallback(() => {
    const next = !muted;
    localStorage.setItem(MUTE_KEY, next ? '1' : '0');
    // Turning sound on plays it once: a preview, and the click lets the browser start audio.
    if (!next) beep();
    setMuted(next);
  }, [muted]);

  const askPermission = useCallback(async () => {
    if (typeof Notification === 'undefined') return;
    beep();
    setPermission(await Notification.requestPermission());
  }, []);

  const announce = useCallback(
    (thread: { id: number; candidate: { name: string } }, event: { type: string; createdAt: Date }, text: { title: string; body: string }) => {
      if (Date.now() - event.createdAt.getTime() > FRESH_MS) return;
      const key = `${thread.id}:${event.createdAt.getTime()}`;
      if (announced.current.has(key)) return;
      announced.current.add(key);
      if (!muted) beep();
      if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
        const n = new Notification(text.title, { body: text.body, tag: `help-${thread.id}` });
        n.onclick = () => {
          window.focus();
          pick.current(thread.id);
          n.close();
        };
      }
    },
    [muted],
  );

  return { muted, toggleMuted, permission, askPermission, announce };
}
