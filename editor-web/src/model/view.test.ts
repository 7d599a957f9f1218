import { describe, expect, it } from 'vitest';
import { freeSpot, placeNear, prune, rename } from './layout';
import type { Graph, GraphNode } from './types';
import { freshName, nextFreeKey, pathEdges, preview, toEdges, toNodes } from './view';

const node = (id: string, kind = 'play', extra: Partial<GraphNode> = {}): GraphNode =>
  ({ id, kind, name: id, subflow: null, line: 1, end_line: 2, stmts: [], say: [], ports: ['next'], ...extra });

const graph: Graph = {
  flow: { name: 'f', languages: ['zh-CN', 'en-US'], entry: 'a', stmts: [] },
  nodes: [node('a', 'play', { say: ['hi'] }), node('m', 'menu', { ports: ['key:1', 'key:2', 'noinput'] }), node('b', 'hangup', { ports: [] })],
  edges: [
    { id: 'a|next', source: 'a', target: 'm', event: 'next', label: '', index: 1, missing: false },
    { id: 'm|key:1', source: 'm', target: 'b', event: 'key:1', label: '1', index: 0, missing: false },
    { id: 'm|key:2', source: 'm', target: 'zz', event: 'key:2', label: '2', index: 1, missing: true },
  ],
  prompts: [{ name: 'hi', subflow: null, line: 3, lines: [{ lang: 'en-US', text: 'Hello', audio: false }, { lang: 'zh-CN', text: '你好', audio: false }] }],
  subflows: [],
};

describe('view', () => {
  it('previews the first prompt in the first language', () => {
    expect(preview(graph.nodes[0], graph.prompts, undefined, 'zh-CN')).toBe('你好');
    expect(preview(node('x', 'play', { say: ['"inline"'] }), [], undefined, 'zh-CN')).toBe('inline');
    expect(preview(node('y', 'play', { say: ['common'] }), [], [{ id: 'common', texts: [{ lang: 'zh-CN', text: '共' }], audio: [] }], 'zh-CN')).toBe('共');
  });

  it('puts diagnostics and the call on the nodes', () => {
    const diags = [{ code: 'FL202', severity: 'error' as const, message: 'dead end', file: 'f', line: 1, col: 1, end_line: 1, end_col: 1, node: 'm', here: true }];
    const ns = toNodes(graph, { a: { x: 1, y: 2 } }, diags, undefined, { current: 'm', path: ['a', 'm'] });
    const m = ns.find((n) => n.id === 'm')!;
    expect(m.data.errors).toBe(1);
    expect(m.data.active).toBe(true);
    expect(ns[0].data.entry).toBe(true);
    expect(ns[0].position).toEqual({ x: 1, y: 2 });
  });

  it('draws the path taken and hides arrows to missing nodes', () => {
    expect([...pathEdges(graph, ['a', 'm', 'b'])]).toEqual(['a|next', 'm|key:1']);
    const es = toEdges(graph, { current: null, path: ['a', 'm'] });
    expect(es.map((e) => e.id)).toEqual(['a|next', 'm|key:1']);
    expect(es[0].animated).toBe(true);
    expect(es[0].sourceHandle).toBe('next');
  });

  it('picks a free key and a fresh name', () => {
    expect(nextFreeKey(graph.nodes[1])).toBe('3');
    expect(freshName(graph, 'menu')).toBe('menu_1');
    expect(freshName({ ...graph, nodes: [...graph.nodes, node('menu_1')] }, 'menu')).toBe('menu_2');
  });
});

describe('layout', () => {
  it('keeps positions in step with edits', () => {
    expect(rename({ a: { x: 1, y: 1 } }, 'a', 'b')).toEqual({ b: { x: 1, y: 1 } });
    expect(prune(graph, { a: { x: 1, y: 1 }, gone: { x: 0, y: 0 } })).toEqual({ a: { x: 1, y: 1 } });
    const placed = placeNear({ a: { x: 0, y: 0 } }, ['n1', 'n2']);
    expect(placed.n1.x).toBeGreaterThan(0);
    expect(placed.n2.y).toBeGreaterThan(placed.n1.y);
  });

  it('finds a spot that overlaps no node', () => {
    const spot = freeSpot({ a: { x: 0, y: 0 } }, { x: 10, y: 10 });
    expect(spot).not.toEqual({ x: 10, y: 10 });
    expect(freeSpot({}, { x: 10, y: 10 })).toEqual({ x: 10, y: 10 });
  });
});
