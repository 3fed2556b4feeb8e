'use client';

import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

/**
 * Whether the Help panel is open, and whether the page under it keeps room for it. The exam page
 * must never have its countdown or submit button covered, and a candidate waiting for an answer
 * keeps writing: there (`dockable`) the Help button sits at the right end of the page's header,
 * and the open panel docks at the right edge with the page narrowed beside it (`useHelpDockInset`),
 * instead of both floating over the page's right column.
 */
type HelpDock = {
  open: boolean;
  setOpen: (open: boolean | ((o: boolean) => boolean)) => void;
  dockable: boolean;
  setDockable: (d: boolean) => void;
};

const HelpDockContext = createContext<HelpDock | null>(null);

/** Around the candidate pages and the Help widget both (the candidate layout). */
export function HelpDockProvider({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [dockable, setDockable] = useState(false);
  const value = useMemo(() => ({ open, setOpen, dockable, setDockable }), [open, dockable]);
  return <HelpDockContext.Provider value={value}>{children}</HelpDockContext.Provider>;
}

export function useHelpDock(): HelpDock {
  const dock = useContext(HelpDockContext);
  if (!dock) throw new Error('useHelpDock outside HelpDockProvider (app/(candidate)/layout.tsx)');
  return dock;
}

/** The docked panel's width; the page's inset below is the same. */
export const HELP_DOCK_WIDTH = 'w-[22rem]';

/**
 * For a page that makes room for Help (the exam): while it is mounted, Help docks. Returns the
 * class for the page's outermost element: padding beside the open panel, or, while closed, room
 * at the right of its `<header>` (a direct child, 3rem high) for the Help button.
 */
export function useHelpDockInset(): string {
  const dock = useContext(HelpDockContext);
  const setDockable = dock?.setDockable;
  useEffect(() => {
    if (!setDockable) return;
    setDockable(true);
    return () => setDockable(false);
  }, [setDockable]);
  if (!dock) return '';
  return dock.open ? 'pr-[22rem]' : '[&>header]:pr-32';
}
