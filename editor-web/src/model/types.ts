// The shapes the Python API returns (flowlang/edit/server.py, graph.py, document.py).

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  hint?: string;
  file: string;
  line: number;
  col: number;
  end_line: number;
  end_col: number;
  node: string | null;
  here: boolean;
}

export interface Stmt {
  index: number;
  type: string; // say | arrow | key | speech | if | else | case | assign | event_say | question | setting | entry
  text: string;
  name?: string;
  value?: string;
  prompts?: string[];
  phrases?: string[];
  key?: string | null;
  event?: string;
  stmts?: Stmt[];
}

export interface GraphNode {
  id: string;
  kind: string;
  name: string;
  subflow: string | null;
  line: number;
  end_line: number;
  stmts: Stmt[];
  say: string[];
  ports: string[];
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  event: string;
  label: string;
  index: number;
  missing: boolean;
}

export interface PromptDecl {
  name: string;
  subflow: string | null;
  line: number;
  lines: { lang: string | null; text: string; audio: boolean }[];
}

export interface Graph {
  flow: { name: string | null; languages: string[]; entry: string | null; stmts: Stmt[]; line?: number };
  nodes: GraphNode[];
  edges: GraphEdge[];
  prompts: PromptDecl[];
  subflows: { name: string; entry: string | null }[];
}

export interface IrPrompt {
  id: string;
  texts: { lang: string; text: string }[];
  audio: [string, string][];
}

export interface Analysis {
  text: string;
  parsed: boolean;
  canonical?: boolean;
  ir: { prompts: IrPrompt[]; languages: string[]; [k: string]: unknown } | null;
  graph: Graph | null;
  diagnostics: Diagnostic[];
}

export interface Position {
  x: number;
  y: number;
}
export type Positions = Record<string, Position>;

export interface FlowDoc extends Analysis {
  path: string;
  version: string | null;
  layout: { nodes: Positions };
}

export interface Kind {
  kind: string;
  summary: string;
  events: string[];
  settings: [string, string][];
  say_events: string[];
  choices: boolean;
  conditions: string;
}

export interface Catalogue {
  kinds: Kind[];
  question_settings: [string, string][];
  flow_settings: [string, string][];
}

export type Op = { op: string; [k: string]: unknown };

export interface CallItem {
  type: 'visit' | 'play' | 'dtmf' | 'end' | 'language' | 'action' | 'error' | 'closed';
  node?: string;
  kind?: string;
  prompts?: { id: string; lang: string; text: string; audio: string | null; rendered?: string[] }[];
  digit?: string;
  outcome?: string;
  reason?: string;
  lang?: string;
  action?: string;
  detail?: string;
  message?: string;
}
