// Every node kind: click (or Enter) adds one; drag one onto the canvas to place it.

import type { Kind } from '../model/types';

export function Palette({ kinds, onAdd, disabled }: { kinds: Kind[]; onAdd: (kind: string) => void; disabled: boolean }) {
  return (
    <section className="panel palette" aria-label="Palette" id="palette">
      <h2>Add a node</h2>
      <div className="palette-grid">
        {kinds.map((k) => (
          <button
            key={k.kind}
            className={`pal kind-${k.kind}`}
            data-testid={`palette-${k.kind}`}
            title={k.summary}
            disabled={disabled}
            draggable={!disabled}
            onDragStart={(e) => { e.dataTransfer.setData('application/x-flow-kind', k.kind); e.dataTransfer.effectAllowed = 'copy'; }}
            onClick={() => onAdd(k.kind)}
          >
            {k.kind}
          </button>
        ))}
      </div>
    </section>
  );
}
