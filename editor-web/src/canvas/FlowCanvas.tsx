// The graph canvas (React Flow): draws nodes and edges, reports drags, connections, deletions and
// selection upward as intents; the flow itself only changes through ops the server applies.

import {
  Background, Controls, MiniMap, ReactFlow, applyNodeChanges, useReactFlow,
  type Connection, type Edge, type Node, type NodeChange, type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import type { NodeData } from '../model/view';
import type { Positions } from '../model/types';
import { FlowNodeView } from './FlowNode';

const nodeTypes = { flow: FlowNodeView };
const DELETE_KEYS = ['Delete', 'Backspace'];

export interface CanvasProps {
  nodes: Node<NodeData>[];
  edges: Edge[];
  fitKey: string; // changes when a new flow is opened or laid out: fit the view
  entry: string | null;
  focus: { id: string; n: number } | null; // centre on a node (from the problems list)
  onMove: (positions: Positions) => void;
  onSelect: (node: string | null, edge: string | null) => void;
  onConnect: (source: string, event: string, target: string) => void;
  onDeleteNodes: (ids: string[]) => void;
  onDeleteEdges: (edges: { source: string; event: string }[]) => void;
  onDropKind: (kind: string, at: { x: number; y: number }) => void;
  viewCenter: { current: (() => { x: number; y: number }) | null };
}

export function FlowCanvas(p: CanvasProps) {
  const [nodes, setNodes] = useState<Node<NodeData>[]>(p.nodes);
  const flow = useReactFlow();
  useEffect(() => {
    p.viewCenter.current = () => {
      const box = document.querySelector('.canvas')?.getBoundingClientRect();
      const at = flow.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 600) / 2, y: (box?.top ?? 0) + (box?.height ?? 400) / 2 });
      return { x: at.x - 110, y: at.y - 50 };
    };
  }, [flow, p.viewCenter]);
  // Selection belongs to React Flow: new nodes from the parent keep the selection shown now.
  useEffect(() => setNodes((cur) => {
    const picked = new Set(cur.filter((n) => n.selected).map((n) => n.id));
    return p.nodes.map((n) => (picked.has(n.id) ? { ...n, selected: true } : n));
  }), [p.nodes]);
  useEffect(() => {
    const t = setTimeout(async () => {
      await flow.fitView({ padding: 0.15, maxZoom: 1.1 });
      const start = p.entry ? flow.getNode(p.entry) : undefined;
      if (flow.getZoom() < 0.5 && start) {  // too small to read: start at the entry instead
        const box = document.querySelector('.canvas')?.getBoundingClientRect();
        const z = 0.75;
        flow.setViewport({ x: 40 - start.position.x * z, y: (box ? box.height / 2 : 300) - (start.position.y + 50) * z, zoom: z });
      }
    }, 60);
    return () => clearTimeout(t);
  }, [p.fitKey]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!p.focus) return;
    const id = p.focus.id;
    setNodes((cur) => cur.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })));
    const n = p.nodes.find((x) => x.id === id);
    if (n) flow.setCenter(n.position.x + 110, n.position.y + 60, { zoom: Math.max(flow.getZoom(), 0.9), duration: 0 });
  }, [p.focus]); // eslint-disable-line react-hooks/exhaustive-deps

  const onNodesChange = useCallback((changes: NodeChange<Node<NodeData>>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
    const moved = changes.filter((c) => c.type === 'position' && c.position && !c.dragging);
    if (moved.length) {
      const out: Positions = {};
      for (const c of moved) if (c.type === 'position' && c.position) out[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
      p.onMove(out);
    }
  }, [p]);

  const onSelectionChange = useCallback(({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
    p.onSelect(ns[0]?.id ?? null, ns.length ? null : es[0]?.id ?? null);
  }, [p]);

  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.target && c.sourceHandle) p.onConnect(c.source, c.sourceHandle, c.target);
  }, [p]);

  const onDrop = useCallback((ev: DragEvent) => {
    const kind = ev.dataTransfer.getData('application/x-flow-kind');
    if (!kind) return;
    ev.preventDefault();
    p.onDropKind(kind, flow.screenToFlowPosition({ x: ev.clientX, y: ev.clientY }));
  }, [p, flow]);

  const edges = useMemo(() => p.edges, [p.edges]);
  return (
    <div className="canvas" data-testid="canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }} onDrop={onDrop}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onSelectionChange={onSelectionChange}
        onConnect={onConnect}
        onNodesDelete={(ns) => p.onDeleteNodes(ns.map((n) => n.id))}
        onEdgesDelete={(es) => p.onDeleteEdges(es.map((e) => ({ source: e.source, event: String(e.sourceHandle) })))}
        deleteKeyCode={DELETE_KEYS}
        minZoom={0.1}
        fitView
      >
        <Background gap={20} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} />
        <Controls />
      </ReactFlow>
    </div>
  );
}
