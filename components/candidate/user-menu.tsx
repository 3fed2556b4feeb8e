'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useRef, useState } from 'react';
import { LogoutButton } from '@/components/ui/logout-button';
import { useDismiss } from './use-dismiss';

/** The candidate's name; Log out lives in the menu under it, as the manual describes. */
export function UserMenu({ name }: { name: string }) {
  const t = useTranslations('nav');
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(ref, open, close);
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        data-testid="user-name"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={t('userMenu', { name })}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-1 rounded-md px-2 py-1.5 text-sm text-slate-700 hover:bg-slate-100"
      >
        <span className="max-w-32 truncate">{name}</span>
        <svg aria-hidden viewBox="0 0 20 20" className={`h-4 w-4 text-slate-400 transition-transform ${open ? 'rotate-180' : ''}`}>
          <path fill="currentColor" d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4Z" />
        </svg>
      </button>
      {open && (
        <div role="menu" className="absolute right-0 top-full z-30 mt-1 min-w-36 rounded-lg border border-slate-200 bg-white p-1 shadow-lg">
          <div role="menuitem" className="[&>button]:w-full [&>button]:justify-start">
            <LogoutButton />
          </div>
        </div>
      )}
    </div>
  );
}
