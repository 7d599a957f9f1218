// The flow's text beside the graph: a textarea with line numbers and error markers. Typing here is
// sent to the Python side to be parsed and checked; the graph follows when it parses.

import { useEffect, useRef, type UIEvent } from 'react';
import type { Diagnostic } from '../model/types';

export interface SourceProps {
  text: string;
  diagnostics: Diagnostic[];
  gotoLine: { line: number; n: number } | null;
  onChange: (text: string) => void;
  onFormat: () => void;
}

export function SourceView({ text, diagnostics, gotoLine, onChange, onFormat }: SourceProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const marks = new Map<number, Diagnostic>();
  for (const d of diagnostics) {
    if (!d.here) continue;
    const old = marks.get(d.line);
    if (!old || (old.severity !== 'error' && d.severity === 'error')) marks.set(d.line, d);
  }
  const lines = text.split('\n').length;

  useEffect(() => {
    const ta = area.current;
    if (!ta || !gotoLine) return;
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
    const at = starts[Math.min(gotoLine.line - 1, starts.length - 1)] ?? 0;
    ta.focus();
    ta.setSelectionRange(at, at);
    ta.scrollTop = Math.max(0, (gotoLine.line - 5) * 18);
  }, [gotoLine]); // eslint-disable-line react-hooks/exhaustive-deps

  const sync = (e: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
  };
  return (
    <section className="panel source" aria-label="Source" id="source">
      <h2>Source <button className="small" onClick={onFormat} title="Format (canonical text)">Format</button></h2>
      <div className="editor">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => {
            const d = marks.get(i + 1);
            return (
              <div key={i} className={d ? `ln mark-${d.severity}` : 'ln'} title={d ? `${d.code} ${d.message}` : undefined}
                   data-testid={d ? 'source-mark' : undefined}>
                {i + 1}
              </div>
            );
          })}
        </div>
        <textarea
          ref={area}
          data-testid="source-text"
          spellCheck={false}
          value={text}
          onScroll={sync}
          onChange={(e) => onChange(e.target.value)}
          aria-label="Flow source text"
        />
      </div>
    </section>
  );
}
