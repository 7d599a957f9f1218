// Undo / redo as a pure reducer: each entry is the text (and its analysis) before an edit, with the
// ops that made the edit (or null for typing in the source view). Typing bursts are coalesced.

import type { Analysis, Op } from './types';

export interface Entry {
  label: string;
  ops: Op[] | null;
  state: Analysis;
}

export interface History {
  past: Entry[];
  future: Entry[];
}

export const LIMIT = 200;
export const emptyHistory: History = { past: [], future: [] };

/** Record `before` as the state an edit started from (clears the redo stack). */
export function record(h: History, before: Analysis, label: string, ops: Op[] | null, coalesce = false): History {
  const last = h.past[h.past.length - 1];
  if (coalesce && last && last.ops === null && last.label === label) {
    return { past: h.past, future: [] }; // the burst's first state stays the undo point
  }
  const past = [...h.past, { label, ops, state: before }].slice(-LIMIT);
  return { past, future: [] };
}

/** Step back: the state to show, and the history with `current` on the redo stack. */
export function undo(h: History, current: Analysis): [History, Entry] | null {
  const entry = h.past[h.past.length - 1];
  if (!entry) return null;
  return [{ past: h.past.slice(0, -1), future: [{ ...entry, state: current }, ...h.future] }, entry];
}

export function redo(h: History, current: Analysis): [History, Entry] | null {
  const entry = h.future[0];
  if (!entry) return null;
  return [{ past: [...h.past, { ...entry, state: current }], future: h.future.slice(1) }, entry];
}
