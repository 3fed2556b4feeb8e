'use client';

import { useEffect, useRef, useState } from 'react';

/**
 * One shared one-second timer for every tile. A tile re-renders only when the value it derives
 * from the clock changes (a bucketed age, a stale flag), not on every tick.
 */
const subscribers = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(cb: () => void) {
  subscribers.add(cb);
  timer ??= setInterval(() => {
    for (const s of subscribers) s();
  }, 1000);
  return () => {
    subscribers.delete(cb);
    if (subscribers.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

export function useTicking<T extends string | number | boolean | null>(compute: () => T): T {
  const fn = useRef(compute);
  fn.current = compute;
  const [, setValue] = useState<T>(compute);
  useEffect(() => subscribe(() => setValue(fn.current())), []);
  // Fresh on every render (props may have changed); the tick only decides when to render.
  return compute();
}
