// The graph, positions, diagnostics and test-call state -> React Flow nodes and edges (pure).

import type { Edge, Node } from '@xyflow/react';
import type { Diagnostic, Graph, GraphNode, IrPrompt, Positions, PromptDecl } from './types';

export interface NodeData extends Record<string, unknown> {
  node: GraphNode;
  errors: number;
  warnings: number;
  firstMessage: string;
  preview: string;
  entry: boolean;
  active: boolean;
  visited: boolean;
}

export interface CallView {
  current: string | null;
  path: string[]; // node ids in the order visited
}

/** The text a node plays first, in the first language (declared prompts, else the IR's). */
export function preview(node: GraphNode, prompts: PromptDecl[], ir: IrPrompt[] | undefined, lang: string | undefined): string {
  const first = node.say[0];
  if (!first) {  // nothing to play: show what the node does instead (its first condition or setting)
    const s = node.stmts.find((x) => x.type !== 'arrow' && x.type !== 'else');
    return s ? s.text : '';
  }
  if (first.startsWith('"')) return first.slice(1, -1);
  const scoped = node.subflow ? prompts.find((p) => p.name === first && p.subflow === node.subflow) : undefined;
  const decl = scoped ?? prompts.find((p) => p.name === first && !p.subflow);
  const line = decl?.lines.find((l) => l.lang === lang && !l.audio) ?? decl?.lines.find((l) => !l.audio);
  if (line) return line.text;
  const irp = ir?.find((p) => p.id === first);
  const t = irp?.texts.find((x) => x.lang === lang) ?? irp?.texts[0];
  return t ? t.text : first;
}

function counts(diags: Diagnostic[]): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const d of diags) {
    if (!d.node) continue;
    const list = out.get(d.node) ?? [];
    list.push(d);
    out.set(d.node, list);
  }
  return out;
}

export function toNodes(
  graph: Graph, positions: Positions, diags: Diagnostic[], irPrompts: IrPrompt[] | undefined, call: CallView,
): Node<NodeData>[] {
  const byNode = counts(diags);
  const lang = graph.flow.languages[0];
  const visited = new Set(call.path);
  return graph.nodes.map((n) => {
    const ds = byNode.get(n.id) ?? [];
    const errors = ds.filter((d) => d.severity === 'error');
    return {
      id: n.id,
      type: 'flow',
      position: positions[n.id] ?? { x: 0, y: 0 },
      data: {
        node: n,
        errors: errors.length,
        warnings: ds.length - errors.length,
        firstMessage: (errors[0] ?? ds[0])?.message ?? '',
        preview: preview(n, graph.prompts, irPrompts, lang),
        entry: n.id === graph.flow.entry,
        active: n.id === call.current,
        visited: visited.has(n.id),
      },
    };
  });
}

/** Edges taken by the call: consecutive visits joined by an edge of the graph. */
export function pathEdges(graph: Graph, path: string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < path.length; i++) {
    const e = graph.edges.find((x) => x.source === path[i - 1] && x.target === path[i]);
    if (e) out.add(e.id);
  }
  return out;
}

export function toEdges(graph: Graph, call: CallView): Edge[] {
  const taken = pathEdges(graph, call.path);
  return graph.edges
    .filter((e) => !e.missing)
    .map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.event,
      target: e.target,
      targetHandle: 'in',
      label: e.label || undefined,
      animated: taken.has(e.id),
      className: taken.has(e.id) ? 'taken' : undefined,
      data: { event: e.event },
    }));
}

/** The next telephone key a menu does not use yet (for a connection dragged from "+ key"). */
export function nextFreeKey(node: GraphNode): string | null {
  const used = new Set(node.ports.filter((p) => p.startsWith('key:')).map((p) => p.slice(4)));
  return ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'].find((k) => !used.has(k)) ?? null;
}

/** A fresh node name for a kind: menu_1, menu_2, ... */
export function freshName(graph: Graph | null, kind: string, subflow: string | null = null): string {
  const taken = new Set((graph?.nodes ?? []).filter((n) => n.subflow === subflow).map((n) => n.name));
  for (let i = 1; ; i++) if (!taken.has(`${kind}_${i}`)) return `${kind}_${i}`;
}
