// The property panel of the selected node (or of the flow header): every field becomes an op that
// the Python side applies to the AST; values are parsed there by the real parser.

import { useEffect, useState, type KeyboardEvent } from 'react';
import type { Catalogue, Diagnostic, Graph, GraphNode, IrPrompt, Kind, Op, Stmt } from '../model/types';
import { nextFreeKey } from '../model/view';
import { portLabel } from '../canvas/FlowNode';

type Apply = (ops: Op[], label: string) => void;
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];

/** A text input that commits on Enter or when it loses focus (only when changed). */
export function Field({ label, value, placeholder, onCommit, testid, wide }: {
  label: string; value: string; placeholder?: string; onCommit: (v: string) => void; testid?: string; wide?: boolean;
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = () => { if (draft !== value) onCommit(draft); };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') { e.preventDefault(); commit(); }
    if (e.key === 'Escape') setDraft(value);
  };
  return (
    <label className={wide ? 'field wide' : 'field'}>
      <span>{label}</span>
      <input value={draft} placeholder={placeholder} data-testid={testid} onChange={(e) => setDraft(e.target.value)}
             onBlur={commit} onKeyDown={onKey} />
    </label>
  );
}

function TargetSelect({ value, names, onChange, testid, label }: {
  value: string; names: string[]; onChange: (v: string) => void; testid?: string; label: string;
}) {
  const options = value && !names.includes(value) ? [...names, value] : names;
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testid} aria-label={label}>
      <option value="">— none —</option>
      {options.map((n) => <option key={n} value={n}>{n}</option>)}
    </select>
  );
}

function targetOf(node: GraphNode, graph: Graph, event: string): string {
  const e = graph.edges.find((x) => x.source === node.id && x.event === event);
  if (!e) return '';
  return node.subflow ? e.target.slice(node.subflow.length + 1) : e.target;
}

function Prompts({ node, graph, irPrompts, apply }: { node: GraphNode; graph: Graph; irPrompts: IrPrompt[]; apply: Apply }) {
  const sayStmt = node.stmts.find((s) => s.type === 'say');
  const first = node.say.find((p) => !p.startsWith('"'));
  const langs = graph.flow.languages.length ? graph.flow.languages : ['en-US'];
  const decl = first ? graph.prompts.find((p) => p.name === first && p.subflow === node.subflow)
    ?? graph.prompts.find((p) => p.name === first && !p.subflow) : undefined;
  const imported = first && !decl ? irPrompts.find((p) => p.id === first) : undefined;
  const promptName = first ?? `${node.name}_prompt`;
  return (
    <fieldset>
      <legend>Prompt</legend>
      <Field label="says" value={sayStmt?.value ?? ''} placeholder='prompt_id, "inline text"' testid="prop-say"
             onCommit={(v) => apply([{ op: 'set_say', node: node.id, prompts: v }], 'prompts')} wide />
      {imported ? <p className="note">“{first}” comes from an imported file: {imported.texts.map((t) => `${t.lang}: ${t.text}`).join(' / ')}</p> : (
        langs.map((lang) => {
          const line = decl?.lines.find((l) => l.lang === lang && !l.audio);
          return (
            <Field key={lang} label={`${promptName} · ${lang}`} value={line?.text ?? ''} wide testid={`prop-prompt-${lang}`}
                   placeholder={`what the caller hears (${lang})`}
                   onCommit={(v) => {
                     const ops: Op[] = [{ op: 'set_prompt_text', prompt: promptName, lang, text: v, subflow: decl?.subflow ?? node.subflow }];
                     if (!first && v) ops.push({ op: 'set_say', node: node.id, prompts: promptName });
                     apply(ops, 'prompt text');
                   }} />
          );
        })
      )}
    </fieldset>
  );
}

function Choices({ node, graph, names, apply }: { node: GraphNode; graph: Graph; names: string[]; apply: Apply }) {
  const rows = node.stmts.filter((s) => s.type === 'key' || s.type === 'speech');
  const free = nextFreeKey(node) ?? '1';
  const [key, setKey] = useState(free);
  const [target, setTarget] = useState('');
  useEffect(() => setKey(free), [free]);
  let speech = 0;
  const language = node.kind === 'language';
  return (
    <fieldset>
      <legend>Choices</legend>
      {rows.map((s) => {
        const event = s.type === 'key' ? `key:${s.key}` : `speech:${++speech}`;
        const arrowTarget = language ? s.text.split('->').pop()!.trim() : targetOf(node, graph, event);
        return (
          <div className="choice" key={event} data-testid={`choice-${event}`}>
            {s.type === 'key' ? (
              <select value={s.key ?? ''} aria-label="key" onChange={(e) => apply([{ op: 'set_choice_key', node: node.id, event, key: e.target.value }], 'choice key')}>
                {KEYS.map((k) => <option key={k} value={k}>{k}</option>)}
              </select>
            ) : <span className="tag">voice</span>}
            <Field label="phrases" value={(s.phrases ?? []).join(', ')} placeholder="余额, balance"
                   onCommit={(v) => apply([{ op: 'set_phrases', node: node.id, event, phrases: v }], 'phrases')} />
            {language ? <span className="tag">{arrowTarget}</span> : (
              <TargetSelect label={`${portLabel(event)} goes to`} value={arrowTarget} names={names}
                            onChange={(v) => apply([v ? { op: 'connect', source: node.id, event, target: v } : { op: 'disconnect', source: node.id, event }], 'choice target')} />
            )}
            <button className="small danger" aria-label={`remove ${portLabel(event)}`}
                    onClick={() => apply([language ? { op: 'delete_stmt', node: node.id, index: s.index } : { op: 'disconnect', source: node.id, event }], 'remove choice')}>✕</button>
          </div>
        );
      })}
      {language ? null : (
        <div className="choice add">
          <select value={key} onChange={(e) => setKey(e.target.value)} aria-label="new choice key" data-testid="new-choice-key">
            {KEYS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
          <TargetSelect label="new choice goes to" value={target} names={names} onChange={setTarget} testid="new-choice-target" />
          <button className="small" data-testid="add-choice" disabled={!target}
                  onClick={() => { apply([{ op: 'add_choice', node: node.id, key, target }], 'add choice'); setTarget(''); }}>Add choice</button>
        </div>
      )}
    </fieldset>
  );
}

function Events({ node, kind, graph, names, apply }: { node: GraphNode; kind: Kind; graph: Graph; names: string[]; apply: Apply }) {
  const events = node.ports.filter((p) => !/^(key|speech|if|case):/.test(p));
  if (!events.length) return null;
  return (
    <fieldset>
      <legend>Then</legend>
      {events.map((ev) => (
        <label className="field" key={ev}>
          <span>{ev === 'next' ? 'next' : `on ${ev}`}</span>
          <TargetSelect label={`${ev} goes to`} value={targetOf(node, graph, ev)} names={names} testid={`prop-event-${ev}`}
                        onChange={(v) => apply([v ? { op: 'connect', source: node.id, event: ev, target: v } : { op: 'disconnect', source: node.id, event: ev }], `${ev} target`)} />
        </label>
      ))}
      {kind.say_events.map((ev) => {
        const s = node.stmts.find((x) => x.type === 'event_say' && x.event === ev);
        return <Field key={`say-${ev}`} label={`${ev}: say`} value={s?.value ?? ''} placeholder="sorry_no_input" testid={`prop-say-${ev}`}
                      onCommit={(v) => apply([{ op: 'set_say', node: node.id, event: ev, prompts: v }], `${ev} prompt`)} />;
      })}
    </fieldset>
  );
}

function Settings({ node, settings, stmts, apply, question }: {
  node: GraphNode; settings: [string, string][]; stmts: Stmt[]; apply: Apply; question?: string;
}) {
  if (!settings.length) return null;
  return (
    <fieldset>
      <legend>{question ? `Question ${question}` : 'Settings'}</legend>
      {settings.map(([name, example]) => {
        const s = stmts.find((x) => (x.type === 'setting' && x.name === name) || (name === 'entry' && x.type === 'entry'));
        const value = s ? (s.type === 'entry' ? s.text.slice(6) : s.value ?? '') : '';
        return <Field key={name} label={name} value={value} placeholder={example} testid={`prop-setting-${name}`}
                      onCommit={(v) => apply([{ op: 'set_setting', node: node.id, name, value: v, question }], name)} />;
      })}
    </fieldset>
  );
}

function Lines({ node, stmts, apply, title, addPlaceholder, question }: {
  node: GraphNode; stmts: Stmt[]; apply: Apply; title: string; addPlaceholder: string; question?: string;
}) {
  const [draft, setDraft] = useState('');
  return (
    <fieldset>
      <legend>{title}</legend>
      {stmts.map((s) => (
        <div className="line" key={`${s.index}:${s.text}`}>
          <Field label={s.type} value={s.text} wide onCommit={(v) => apply([{ op: 'set_stmt', node: node.id, index: s.index, text: v, question }], 'edit line')} />
          <button className="small danger" aria-label={`delete ${s.text}`} onClick={() => apply([{ op: 'delete_stmt', node: node.id, index: s.index, question }], 'delete line')}>✕</button>
        </div>
      ))}
      <div className="line">
        <label className="field wide"><span>add</span>
          <input value={draft} placeholder={addPlaceholder} data-testid="prop-add-line"
                 onChange={(e) => setDraft(e.target.value)}
                 onKeyDown={(e) => { if (e.key === 'Enter' && draft.trim()) { apply([{ op: 'insert_stmt', node: node.id, text: draft, question }], 'add line'); setDraft(''); } }} />
        </label>
      </div>
    </fieldset>
  );
}

const EXAMPLE_LINE: Record<string, string> = {
  set: 'count = count + 1', branch: 'if caller.number in vip -> vip_queue', switch: 'case "gold" -> gold_desk',
  call: 'account = account', return: 'attempts = attempts', survey: 'question nps { type nps }',
};

export interface PropertiesProps {
  node: GraphNode | null;
  graph: Graph;
  irPrompts: IrPrompt[];
  catalogue: Catalogue;
  diagnostics: Diagnostic[];
  apply: Apply;
}

function FlowHeader({ graph, catalogue, apply }: { graph: Graph; catalogue: Catalogue; apply: Apply }) {
  const pseudo: GraphNode = { id: '@flow', kind: 'flow', name: graph.flow.name ?? '', subflow: null, line: 0, end_line: 0, stmts: graph.flow.stmts, say: [], ports: [] };
  return (
    <section className="panel props" aria-label="Properties" id="properties">
      <h2>Flow <span className="name">{graph.flow.name ?? '(no header)'}</span></h2>
      <p className="note">Select a node to edit it. Tab moves between fields; Enter applies.</p>
      {graph.flow.name ? <Settings node={pseudo} settings={catalogue.flow_settings} stmts={graph.flow.stmts} apply={apply} /> : null}
    </section>
  );
}

export function Properties({ node, graph, irPrompts, catalogue, diagnostics, apply }: PropertiesProps) {
  if (!node) return <FlowHeader graph={graph} catalogue={catalogue} apply={apply} />;
  const kind = catalogue.kinds.find((k) => k.kind === node.kind) ?? catalogue.kinds[0];
  const names = graph.nodes.filter((n) => n.subflow === node.subflow && n.id !== node.id).map((n) => n.name);
  const known = new Set(kind.settings.map(([n]) => n));
  const cond = node.stmts.filter((s) => s.type === 'if' || s.type === 'case' || s.type === 'else');
  const other = node.stmts.filter((s) => s.type === 'assign' || (s.type === 'setting' && !known.has(s.name ?? '')));
  const questions = node.stmts.filter((s) => s.type === 'question');
  const mine = diagnostics.filter((d) => d.node === node.id);
  const plays = node.kind !== 'set' && node.kind !== 'branch' && node.kind !== 'switch' && node.kind !== 'goto'
    && node.kind !== 'call' && node.kind !== 'return' && node.kind !== 'fetch' && node.kind !== 'lookup';
  return (
    <section className="panel props" aria-label="Properties" id="properties" data-testid="properties">
      <h2><span className={`kind kind-${node.kind}`}>{node.kind}</span> {node.subflow ? `${node.subflow}.` : ''}{node.name}</h2>
      <p className="note">{kind.summary}</p>
      {mine.length ? (
        <ul className="node-problems" data-testid="node-problems">
          {mine.map((d, i) => <li key={i} className={`sev-${d.severity}`}>{d.code} {d.message}{d.hint ? <em> — {d.hint}</em> : null}</li>)}
        </ul>
      ) : null}
      <Field label="name" value={node.name} testid="prop-name"
             onCommit={(v) => apply([{ op: 'rename_node', node: node.id, name: v }], 'rename')} />
      {plays ? <Prompts node={node} graph={graph} irPrompts={irPrompts} apply={apply} /> : null}
      {kind.choices ? <Choices node={node} graph={graph} names={names} apply={apply} /> : null}
      <Events node={node} kind={kind} graph={graph} names={names} apply={apply} />
      {kind.conditions ? <Lines node={node} stmts={cond} apply={apply} title={kind.conditions === 'if' ? 'Conditions (first true wins)' : 'Cases'}
                                addPlaceholder={EXAMPLE_LINE[node.kind]} /> : null}
      <Settings node={node} settings={kind.settings} stmts={node.stmts} apply={apply} />
      {questions.map((q) => (
        <div key={q.name}>
          <Settings node={node} settings={catalogue.question_settings} stmts={q.stmts ?? []} apply={apply} question={q.name} />
          <Field label={`${q.name}: says`} value={q.stmts?.find((s) => s.type === 'say')?.value ?? ''} placeholder="csat_question"
                 onCommit={(v) => apply([{ op: 'set_say', node: node.id, prompts: v, question: q.name }], 'question prompt')} />
        </div>
      ))}
      {node.kind === 'survey' ? (
        <Field label="add question" value="" placeholder="satisfaction"
               onCommit={(v) => v && apply([{ op: 'add_question', node: node.id, name: v }], 'add question')} />
      ) : null}
      {!kind.conditions ? <Lines node={node} stmts={other} apply={apply} title="Other lines"
                                 addPlaceholder={EXAMPLE_LINE[node.kind] ?? 'a statement, e.g. timeout 5s'} /> : null}
      <p className="note">Lines {node.line}–{node.end_line} of the source.</p>
    </section>
  );
}
