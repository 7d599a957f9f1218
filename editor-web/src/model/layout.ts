// Node positions: the sidecar layout (flowlang writes <name>.layout.json), automatic layout with
// elkjs for nodes that have none, and pure helpers to keep positions in step with edits.

import ELK from 'elkjs/lib/elk.bundled.js';
import type { Graph, GraphNode, Positions } from './types';

export const NODE_W = 220;
export const NODE_H = 96;

/** The drawn height of a node: its header, preview and one row per port. */
export function nodeHeight(n: GraphNode): number {
  return 62 + 19 * (n.ports.length + (n.kind === 'menu' ? 1 : 0));
}

export function missing(graph: Graph, positions: Positions): string[] {
  return graph.nodes.map((n) => n.id).filter((id) => !positions[id]);
}

/** Positions of the graph's nodes only (deleted nodes drop out). */
export function prune(graph: Graph, positions: Positions): Positions {
  const out: Positions = {};
  for (const n of graph.nodes) if (positions[n.id]) out[n.id] = positions[n.id];
  return out;
}

export function rename(positions: Positions, from: string, to: string): Positions {
  if (!positions[from]) return positions;
  const { [from]: pos, ...rest } = positions;
  return { ...rest, [to]: pos };
}

/** Place new nodes next to an anchor (a drop point, or right of the drawing), one below the other. */
export function placeNear(positions: Positions, ids: string[], anchor?: { x: number; y: number }): Positions {
  const xs = Object.values(positions).map((p) => p.x);
  const ys = Object.values(positions).map((p) => p.y);
  const base = anchor ?? { x: xs.length ? Math.max(...xs) + NODE_W + 80 : 0, y: ys.length ? Math.min(...ys) : 0 };
  const out = { ...positions };
  ids.forEach((id, i) => {
    out[id] = { x: Math.round(base.x), y: Math.round(base.y + i * (NODE_H + 40)) };
  });
  return out;
}

const elk = new ELK();

/** A layered left-to-right layout of the whole graph (elkjs). */
export async function autoLayout(graph: Graph): Promise<Positions> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_W, height: nodeHeight(n) })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target)
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out: Positions = {};
  for (const c of result.children ?? []) out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  return out;
}

/** Saved positions kept; nodes without one laid out (all by elk when none has a position). */
export async function complete(graph: Graph, positions: Positions): Promise<Positions> {
  const kept = prune(graph, positions);
  const absent = missing(graph, kept);
  if (!absent.length) return kept;
  if (absent.length === graph.nodes.length) return autoLayout(graph);
  return placeNear(kept, absent);
}

/** The free place nearest to `near` where a new node overlaps no other (searched on a grid). */
export function freeSpot(positions: Positions, near: { x: number; y: number }, h = 130): { x: number; y: number } {
  const taken = Object.values(positions);
  const clear = (x: number, y: number) =>
    taken.every((p) => x + NODE_W + 30 <= p.x || p.x + NODE_W + 30 <= x || y + h <= p.y || p.y + h <= y);
  for (let r = 0; r < 12; r++) {
    for (let i = -r; i <= r; i++) {
      for (const [dx, dy] of [[i, -r], [i, r], [-r, i], [r, i]]) {
        const x = near.x + dx * (NODE_W + 40);
        const y = near.y + dy * (h + 20);
        if (clear(x, y)) return { x: Math.round(x), y: Math.round(y) };
      }
    }
  }
  return near;
}
