// The validator's diagnostics; clicking one selects its node (or shows its line in the source view).

import type { Diagnostic } from '../model/types';

const ICON: Record<string, string> = { error: '✖', warning: '▲', info: 'ℹ', hint: '·' };

export function Problems({ diagnostics, onPick }: { diagnostics: Diagnostic[]; onPick: (d: Diagnostic) => void }) {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <section className="panel problems" aria-label="Problems" id="problems">
      <h2>Problems <span className="count">{errors} error(s), {diagnostics.length - errors} other</span></h2>
      {diagnostics.length === 0 ? <p className="ok" data-testid="no-problems">No problems.</p> : (
        <ul data-testid="problems">
          {diagnostics.map((d, i) => (
            <li key={i}>
              <button className={`diag sev-${d.severity}`} data-testid="problem" data-code={d.code} data-node={d.node ?? ''} onClick={() => onPick(d)}>
                <span className="icon">{ICON[d.severity] ?? '·'}</span>
                <span className="code">{d.code}</span>
                <span className="msg">{d.message}</span>
                <span className="where">{d.node ?? (d.here ? `line ${d.line}` : `${d.file}:${d.line}`)}</span>
              </button>
              {d.hint ? <div className="hint">{d.hint}</div> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
