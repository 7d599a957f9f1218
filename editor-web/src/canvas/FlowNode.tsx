// One flow node on the canvas: kind, name, the first prompt's text, problems, and one handle per event.

import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { NodeData } from '../model/view';

export function portLabel(port: string): string {
  if (port === 'key:new') return '+ key';
  if (port.startsWith('key:')) return `key ${port.slice(4)}`;
  if (port.startsWith('speech:')) return `speech ${port.slice(7)}`;
  if (port.startsWith('if:')) return `if ${Number(port.slice(3)) + 1}`;
  if (port.startsWith('case:')) return `case ${Number(port.slice(5)) + 1}`;
  return port;
}

export function FlowNodeView({ data, selected }: NodeProps<Node<NodeData>>) {
  const n = data.node;
  const ports = n.kind === 'menu' ? [...n.ports, 'key:new'] : n.ports;
  const cls = ['fnode', `kind-${n.kind}`, selected ? 'selected' : '', data.errors ? 'has-error' : data.warnings ? 'has-warning' : '',
    data.active ? 'active' : '', data.visited ? 'visited' : ''].filter(Boolean).join(' ');
  return (
    <div className={cls} data-testid={`node-${n.id}`} data-node-id={n.id} title={data.firstMessage || undefined}
         aria-label={`${n.kind} ${n.id}${data.errors ? `, ${data.errors} error(s)` : ''}`}>
      <Handle type="target" position={Position.Left} id="in" className="h-in" />
      <div className="fnode-head">
        <span className="kind">{n.kind}</span>
        <span className="name">{n.subflow ? <small>{n.subflow}.</small> : null}{n.name}</span>
        {data.entry ? <span className="badge entry" title="entry">▶</span> : null}
        {data.errors ? <span className="badge err" data-testid="node-errors">{data.errors}</span> : null}
        {!data.errors && data.warnings ? <span className="badge warn">{data.warnings}</span> : null}
      </div>
      <div className="preview">{data.preview || <i>no prompt</i>}</div>
      <div className="ports">
        {ports.map((p) => (
          <div className="port" key={p}>
            <span>{portLabel(p)}</span>
            <Handle type="source" position={Position.Right} id={p} className="h-out" />
          </div>
        ))}
      </div>
    </div>
  );
}
