import { describe, expect, it } from 'vitest';
import { emptyHistory, record, redo, undo } from './history';
import type { Analysis } from './types';

const state = (text: string): Analysis => ({ text, parsed: true, ir: null, graph: null, diagnostics: [] });

describe('history', () => {
  it('undoes and redoes edits in order', () => {
    let h = record(emptyHistory, state('a'), 'add', [{ op: 'add_node' }]);
    h = record(h, state('b'), 'connect', [{ op: 'connect' }]);
    const u1 = undo(h, state('c'))!;
    expect(u1[1].state.text).toBe('b');
    const u2 = undo(u1[0], u1[1].state)!;
    expect(u2[1].state.text).toBe('a');
    expect(undo(u2[0], state('a'))).toBeNull();
    const r1 = redo(u2[0], state('a'))!;
    expect(r1[1].state.text).toBe('b');
    const r2 = redo(r1[0], r1[1].state)!;
    expect(r2[1].state.text).toBe('c');
  });

  it('a new edit clears the redo stack', () => {
    let h = record(emptyHistory, state('a'), 'x', []);
    h = undo(h, state('b'))![0];
    expect(h.future).toHaveLength(1);
    h = record(h, state('a'), 'y', []);
    expect(h.future).toHaveLength(0);
  });

  it('coalesces a burst of typing into one undo step', () => {
    let h = record(emptyHistory, state('a'), 'typing', null, true);
    h = record(h, state('ab'), 'typing', null, true);
    h = record(h, state('abc'), 'typing', null, true);
    expect(h.past).toHaveLength(1);
    expect(undo(h, state('abcd'))![1].state.text).toBe('a');
  });
});
