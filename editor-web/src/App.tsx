// The editor: flow list, palette, canvas, source view, properties, problems and test call.
// State lives here; every change to the flow goes to the Python side (ops or text) and comes back
// as canonical text with its graph, IR and diagnostics.

import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from './api/client';
import { FlowCanvas } from './canvas/FlowCanvas';
import { emptyHistory, record, redo, undo, type History } from './model/history';
import { autoLayout, complete, freeSpot, placeNear, rename } from './model/layout';
import type { Analysis, Catalogue, Diagnostic, FlowDoc, Op, Positions } from './model/types';
import { freshName, nextFreeKey, toEdges, toNodes, type CallView } from './model/view';
import { ConflictDialog, type Conflict } from './panels/ConflictDialog';
import { Palette } from './panels/Palette';
import { Problems } from './panels/Problems';
import { Properties } from './panels/Properties';
import { SourceView } from './panels/SourceView';
import { TestCall } from './panels/TestCall';

type FlowEntry = { path: string; flow: boolean; layout: boolean };
const NO_CALL: CallView = { current: null, path: [] };

function typing(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

export function App() {
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [flows, setFlows] = useState<FlowEntry[]>([]);
  const [doc, setDoc] = useState<FlowDoc | null>(null);
  const [saved, setSaved] = useState('');
  const [positions, setPositions] = useState<Positions>({});
  const [layoutDirty, setLayoutDirty] = useState(false);
  const [history, setHistory] = useState<History>(emptyHistory);
  const [selected, setSelected] = useState<string | null>(null);
  const [fitKey, setFitKey] = useState('');
  const [focus, setFocus] = useState<{ id: string; n: number } | null>(null);
  const [gotoLine, setGotoLine] = useState<{ line: number; n: number } | null>(null);
  const [callView, setCallView] = useState<CallView>(NO_CALL);
  const [status, setStatus] = useState('');
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [showSource, setShowSource] = useState(true);
  const [help, setHelp] = useState(false);
  const docRef = useRef(doc);
  docRef.current = doc;
  const anchor = useRef<{ x: number; y: number } | null>(null);
  const viewCenter = useRef<(() => { x: number; y: number }) | null>(null);
  const checkTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const say = useCallback((msg: string) => { setStatus(msg); }, []);

  // ---------------------------------------------------------------- positions follow the graph
  useEffect(() => {
    const g = doc?.graph;
    if (!g) return;
    let stale = false;
    const absent = g.nodes.filter((n) => !positions[n.id]).map((n) => n.id);
    if (!absent.length) return;
    const go = async () => {
      let next: Positions;
      if (anchor.current && absent.length <= 2 && Object.keys(positions).length) {
        next = placeNear(positions, absent, anchor.current);
      } else {
        next = await complete(g, positions);
      }
      anchor.current = null;
      if (!stale) setPositions(next);
    };
    void go();
    return () => { stale = true; };
  }, [doc?.graph]); // eslint-disable-line react-hooks/exhaustive-deps

  // ---------------------------------------------------------------- opening
  const open = useCallback(async (path: string) => {
    try {
      const d = await api.open(path);
      const pos = d.graph ? await complete(d.graph, d.layout.nodes) : {};
      setDoc(d);
      setSaved(d.text);
      setPositions(pos);
      setLayoutDirty(false);
      setHistory(emptyHistory);
      setSelected(null);
      setCallView(NO_CALL);
      setFitKey(`${path}:${Date.now()}`);
      if (!d.parsed) setShowSource(true);
      const url = new URL(location.href);
      url.searchParams.set('flow', path);
      history_replace(url);
      say(d.parsed ? `Opened ${path}` : `${path} has syntax errors: fix them in the source view`);
    } catch (e) {
      say(`Cannot open ${path}: ${e instanceof Error ? e.message : e}`);
    }
  }, [say]);

  useEffect(() => {
    void (async () => {
      try {
        const [cat, list] = await Promise.all([api.kinds(), api.flows()]);
        setCatalogue(cat);
        setFlows(list.flows);
        const wanted = new URL(location.href).searchParams.get('flow');
        const first = wanted ?? list.flows.find((f) => f.flow)?.path ?? list.flows[0]?.path;
        if (first) await open(first);
      } catch (e) {
        say(`Cannot reach flowc edit: ${e instanceof Error ? e.message : e}`);
      }
    })();
  }, [open, say]);

  // ---------------------------------------------------------------- edits
  const show = useCallback((res: Analysis, label: string, ops: Op[] | null, coalesce = false) => {
    const before = docRef.current;
    if (!before) return;
    setHistory((h) => record(h, before, label, ops, coalesce));
    setDoc({ ...before, ...res });
  }, []);

  const apply = useCallback(async (ops: Op[], label: string) => {
    const d = docRef.current;
    if (!d) return;
    try {
      const res = await api.apply(d.path, d.text, ops);
      const renamed: string[] = [];
      for (const op of ops) {
        if (op.op === 'rename_node') {
          const from = String(op.node);
          const dot = from.lastIndexOf('.');
          const to = dot >= 0 ? `${from.slice(0, dot + 1)}${op.name}` : String(op.name);
          setPositions((p) => rename(p, from, to));
          setSelected((s) => (s === from ? to : s));
          renamed.push(to);
        }
      }
      show(res, label, ops);
      if (renamed.length) setFocus({ id: renamed[0], n: Date.now() });  // keep it selected under its new name
      say(`${label}: done`);
    } catch (e) {
      say(e instanceof ApiError ? `Not applied: ${e.message}` : String(e));
    }
  }, [show, say]);

  const onSourceChange = useCallback((text: string) => {
    const d = docRef.current;
    if (!d) return;
    setHistory((h) => record(h, d, 'typing', null, true));
    setDoc({ ...d, text });
    if (checkTimer.current) clearTimeout(checkTimer.current);
    checkTimer.current = setTimeout(async () => {
      try {
        const res = await api.check(d.path, text);
        const cur = docRef.current;
        if (cur && cur.text === text) setDoc({ ...cur, ...res });
      } catch (e) {
        say(String(e));
      }
    }, 350);
  }, [say]);

  const format = useCallback(async () => {
    const d = docRef.current;
    if (!d) return;
    try {
      show(await api.format(d.path, d.text), 'format', null);
    } catch (e) {
      say(e instanceof ApiError ? e.message : String(e));
    }
  }, [show, say]);

  const step = useCallback((dir: 'undo' | 'redo') => {
    const d = docRef.current;
    if (!d) return;
    const r = dir === 'undo' ? undo(history, d) : redo(history, d);
    if (!r) return;
    setHistory(r[0]);
    setDoc({ ...d, ...r[1].state });
    say(`${dir === 'undo' ? 'Undid' : 'Redid'} ${r[1].label}`);
  }, [history, say]);

  const save = useCallback(async (baseVersion?: string | null) => {
    const d = docRef.current;
    if (!d) return;
    try {
      const res = await api.save(d.path, d.text, baseVersion === undefined ? d.version : baseVersion, positions);
      setDoc({ ...d, ...res, version: res.version });
      setSaved(res.text);
      setLayoutDirty(false);
      setConflict(null);
      say(`Saved ${d.path}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setConflict({ mine: d.text, theirs: (e.body.text as string | null) ?? null, version: (e.body.version as string | null) ?? null });
        say('Not saved: the file changed on disk');
      } else {
        say(e instanceof ApiError ? e.message : String(e));
      }
    }
  }, [positions, say]);

  const takeTheirs = useCallback(async () => {
    const d = docRef.current;
    if (!d || !conflict) return;
    const theirs = conflict.theirs ?? '';
    const res = await api.check(d.path, theirs);
    setHistory((h) => record(h, d, 'load disk version', null));
    setDoc({ ...d, ...res, version: conflict.version });
    setSaved(theirs);
    setConflict(null);
    say('Loaded the disk version; Undo brings yours back');
  }, [conflict, say]);

  // ---------------------------------------------------------------- canvas intents
  const addNode = useCallback((kind: string, at?: { x: number; y: number }) => {
    const d = docRef.current;
    if (!d?.graph) return;
    const name = freshName(d.graph, kind);
    const pos = at ?? freeSpot(positions, viewCenter.current?.() ?? placeNear(positions, [name])[name]);
    anchor.current = pos;
    void apply([{ op: 'add_node', kind, name }], `add ${kind}`).then(() => {
      setPositions((p) => ({ ...p, [name]: { x: Math.round(pos.x), y: Math.round(pos.y) } }));
      setLayoutDirty(true);
      setSelected(name);
      setFocus({ id: name, n: Date.now() });
    });
  }, [apply, positions]);

  const connect = useCallback((source: string, event: string, target: string) => {
    const d = docRef.current;
    const node = d?.graph?.nodes.find((n) => n.id === source);
    if (!node) return;
    let ev = event;
    if (event === 'key:new') {
      const k = nextFreeKey(node);
      if (!k) return say('every key of this menu is used');
      ev = `key:${k}`;
    }
    const t = target.includes('.') ? target.slice(target.lastIndexOf('.') + 1) : target;
    void apply([{ op: 'connect', source, event: ev, target: t }], 'connect');
  }, [apply, say]);

  const deleteNodes = useCallback((ids: string[]) => {
    if (ids.length) void apply(ids.map((id) => ({ op: 'delete_node', node: id })), 'delete node');
    setSelected(null);
  }, [apply]);

  const deleteEdges = useCallback((es: { source: string; event: string }[]) => {
    if (es.length) void apply(es.map((e) => ({ op: 'disconnect', source: e.source, event: e.event })), 'disconnect');
  }, [apply]);

  const onMove = useCallback((moved: Positions) => {
    setPositions((p) => ({ ...p, ...moved }));
    setLayoutDirty(true);
  }, []);

  const relayout = useCallback(async () => {
    const g = docRef.current?.graph;
    if (!g) return;
    setPositions(await autoLayout(g));
    setLayoutDirty(true);
    setFitKey(`layout:${Date.now()}`);
  }, []);

  const pick = useCallback((d: Diagnostic) => {
    if (d.node && d.node !== '@flow') {
      setSelected(d.node);
      setFocus({ id: d.node, n: Date.now() });
    } else if (d.here) {
      setShowSource(true);
      setGotoLine({ line: d.line, n: Date.now() });
    }
  }, []);

  // ---------------------------------------------------------------- keyboard
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 's') { e.preventDefault(); void save(); return; }
      if (mod && !typing(e.target) && e.key.toLowerCase() === 'z') { e.preventDefault(); step(e.shiftKey ? 'redo' : 'undo'); return; }
      if (mod && !typing(e.target) && e.key.toLowerCase() === 'y') { e.preventDefault(); step('redo'); return; }
      if (e.altKey && !mod) {
        const target: Record<string, string> = { p: '#palette button', e: '#source textarea', r: '#problems button', g: '.react-flow__node', t: '#testcall button', n: '#properties input' };
        const sel = target[e.key.toLowerCase()];
        if (sel) { e.preventDefault(); (document.querySelector(sel) as HTMLElement | null)?.focus(); return; }
      }
      if (e.key === 'F8' && docRef.current) {
        e.preventDefault();
        const ds = docRef.current.diagnostics;
        if (ds.length) pick(ds[(ds.findIndex((d) => d.node === selected) + 1) % ds.length]);
        return;
      }
      if (!typing(e.target) && e.key === '?') setHelp((h) => !h);
      if (e.key === 'Escape') setHelp(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save, step, pick, selected]);

  const dirty = !!doc && (doc.text !== saved || layoutDirty);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  useEffect(() => { document.title = `${dirty ? '● ' : ''}${doc?.path ?? 'flowc edit'} — flowc edit`; }, [dirty, doc?.path]);

  // ---------------------------------------------------------------- view
  const graph = doc?.graph ?? null;
  const nodes = useMemo(() => (graph ? toNodes(graph, positions, doc!.diagnostics, doc!.ir?.prompts, callView) : []),
    [graph, positions, doc?.diagnostics, doc?.ir, callView]); // eslint-disable-line react-hooks/exhaustive-deps
  const edges = useMemo(() => (graph ? toEdges(graph, callView) : []), [graph, callView]);
  const node = graph?.nodes.find((n) => n.id === selected) ?? null;
  const errors = doc?.diagnostics.filter((d) => d.severity === 'error').length ?? 0;
  const flowDir = doc?.path.includes('/') ? doc.path.slice(0, doc.path.lastIndexOf('/')) : '';

  return (
    <div className={`app ${showSource ? 'with-source' : ''}`}>
      <header className="toolbar">
        <strong className="brand">flowc edit</strong>
        <span className="path" data-testid="flow-path">{doc?.path ?? ''}{dirty ? <span className="dirty" data-testid="dirty" title="unsaved changes"> ●</span> : null}</span>
        <button onClick={() => step('undo')} disabled={!history.past.length} title="Undo (Ctrl+Z)" data-testid="undo">Undo</button>
        <button onClick={() => step('redo')} disabled={!history.future.length} title="Redo (Ctrl+Shift+Z)" data-testid="redo">Redo</button>
        <button onClick={() => void save()} disabled={!doc} title="Save (Ctrl+S)" data-testid="save">Save</button>
        <button onClick={() => void relayout()} disabled={!graph} title="Lay the graph out again">Auto layout</button>
        <button onClick={() => setShowSource((s) => !s)} aria-pressed={showSource} data-testid="toggle-source">Source</button>
        {graph ? (
          <select aria-label="Go to node" value="" onChange={(e) => { if (e.target.value) { setSelected(e.target.value); setFocus({ id: e.target.value, n: Date.now() }); } }} data-testid="goto-node">
            <option value="">Go to node…</option>
            {graph.nodes.map((n) => <option key={n.id} value={n.id}>{n.id} ({n.kind})</option>)}
          </select>
        ) : null}
        <span className={`summary ${errors ? 'bad' : 'good'}`} data-testid="summary">{doc ? (doc.parsed ? `${errors} error(s)` : 'syntax errors') : ''}</span>
        <button className="small" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">?</button>
        <span className="status" role="status" data-testid="status">{status}</span>
      </header>
      <aside className="app-left">
        <section className="panel flows" aria-label="Flows">
          <h2>Flows</h2>
          <ul>
            {flows.map((f) => (
              <li key={f.path}>
                <button className={f.path === doc?.path ? 'current' : ''} data-testid={`open-${f.path}`}
                        onClick={() => { if (!dirty || confirm('Discard unsaved changes?')) void open(f.path); }}>
                  {f.path}{f.flow ? '' : ' (library)'}
                </button>
              </li>
            ))}
          </ul>
        </section>
        {catalogue ? <Palette kinds={catalogue.kinds} onAdd={(k) => addNode(k)} disabled={!graph} /> : null}
      </aside>
      <main className="app-center">
        {graph ? (
          <ReactFlowProvider>
            <FlowCanvas nodes={nodes} edges={edges} fitKey={fitKey} focus={focus} entry={graph.flow.entry} onMove={onMove}
                        onSelect={(n) => setSelected(n)}
                        onConnect={connect} onDeleteNodes={deleteNodes} onDeleteEdges={deleteEdges}
                        onDropKind={(k, at) => addNode(k, at)} viewCenter={viewCenter} />
          </ReactFlowProvider>
        ) : (
          <div className="no-graph" data-testid="no-graph">
            {doc ? <p>This flow has syntax errors, so it cannot be drawn. They are marked in the source view; the graph comes back as soon as the text parses.</p> : <p>Loading…</p>}
          </div>
        )}
      </main>
      {showSource && doc ? (
        <div className="side-source"><SourceView text={doc.text} diagnostics={doc.diagnostics} gotoLine={gotoLine} onChange={onSourceChange} onFormat={() => void format()} /></div>
      ) : null}
      <aside className="app-right">
        {graph && catalogue ? <Properties node={node} graph={graph} irPrompts={doc?.ir?.prompts ?? []} catalogue={catalogue} diagnostics={doc!.diagnostics} apply={apply} /> : null}
      </aside>
      <footer className="app-bottom">
        <Problems diagnostics={doc?.diagnostics ?? []} onPick={pick} />
        {doc ? <TestCall path={doc.path} text={doc.text} flowDir={flowDir} disabled={!doc.ir || errors > 0} onView={setCallView} /> : null}
      </footer>
      {conflict ? <ConflictDialog conflict={conflict} onOverwrite={() => void save(conflict.version)} onTakeTheirs={() => void takeTheirs()} onCancel={() => setConflict(null)} /> : null}
      {help ? (
        <div className="modal" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={() => setHelp(false)}>
          <div className="modal-box help">
            <h2>Keyboard</h2>
            <dl>
              <dt>Ctrl+S</dt><dd>save</dd>
              <dt>Ctrl+Z / Ctrl+Shift+Z, Ctrl+Y</dt><dd>undo / redo</dd>
              <dt>Alt+P</dt><dd>palette: Tab to a kind, Enter adds it</dd>
              <dt>Alt+G</dt><dd>graph: Tab between nodes, Enter selects, arrows move, Delete removes</dd>
              <dt>Alt+N</dt><dd>properties of the selected node (connections are the “Then” and “Choices” lists)</dd>
              <dt>Alt+E</dt><dd>source text</dd>
              <dt>Alt+R, F8</dt><dd>problems; next problem</dd>
              <dt>Alt+T</dt><dd>test call and keypad</dd>
              <dt>Esc</dt><dd>close this list; click the canvas background to deselect</dd>
            </dl>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function history_replace(url: URL) {
  window.history.replaceState(null, '', url.toString());
}
