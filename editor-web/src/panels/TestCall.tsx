// Test call: place a call through the embedded ARI simulator, press keys, see (and hear, where a
// recorded file exists) the prompts; the canvas highlights the current node and the path taken.

import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { CallItem } from '../model/types';
import type { CallView } from '../model/view';

const PAD = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function TestCall({ path, text, flowDir, disabled, onView }: {
  path: string; text: string; flowDir: string; disabled: boolean; onView: (v: CallView) => void;
}) {
  const [items, setItems] = useState<CallItem[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState('');
  const ws = useRef<WebSocket | null>(null);
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => () => ws.current?.close(), []);
  useEffect(() => { log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' }); }, [items]);
  useEffect(() => {
    const visits = items.filter((i) => i.type === 'visit').map((i) => i.node!);
    onView({ current: live ? visits[visits.length - 1] ?? null : null, path: visits });
  }, [items, live]); // eslint-disable-line react-hooks/exhaustive-deps

  const start = async () => {
    setError('');
    setItems([]);
    try {
      const { id } = await api.startCall(path, text);
      const sock = api.callSocket(id);
      ws.current = sock;
      setLive(true);
      sock.onmessage = (m) => {
        const item = JSON.parse(m.data) as CallItem;
        if (item.type === 'closed') { setLive(false); sock.close(); return; }
        if (item.type === 'play') {
          for (const p of item.prompts ?? []) {
            const files = p.audio ? [p.audio] : (p.rendered ?? []);
            playInOrder(files.map((f) => api.mediaUrl(flowDir ? `${flowDir}/${f}` : f)));
          }
        }
        setItems((xs) => [...xs, item]);
      };
      sock.onclose = () => setLive(false);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const send = (msg: object) => ws.current?.readyState === WebSocket.OPEN && ws.current.send(JSON.stringify(msg));

  return (
    <section className="panel testcall" aria-label="Test call" id="testcall">
      <h2>Test call</h2>
      <div className="call-controls">
        {live ? <button className="danger" data-testid="call-hangup" onClick={() => send({ hangup: true })}>Hang up</button>
          : <button data-testid="call-start" onClick={start} disabled={disabled} title={disabled ? 'fix the errors first' : 'place a call on the simulator'}>Call</button>}
      </div>
      <div className="keypad" role="group" aria-label="Keypad">
        {PAD.map((k) => (
          <button key={k} data-testid={`key-${k}`} disabled={!live} onClick={() => send({ dtmf: k })}>{k}</button>
        ))}
      </div>
      {error ? <p className="error">{error}</p> : null}
      <ol className="transcript" ref={log} data-testid="transcript">
        {items.map((it, i) => <li key={i} className={`ci ci-${it.type}`}>{describe(it)}</li>)}
      </ol>
    </section>
  );
}

function describe(it: CallItem): string {
  switch (it.type) {
    case 'visit': return `→ ${it.node} (${it.kind})`;
    case 'play': return (it.prompts ?? []).map((p) => `says: ${p.text || p.id}${p.audio ? ' (audio)' : ''}`).join('  ');
    case 'dtmf': return `pressed ${it.digit}`;
    case 'language': return `language: ${it.lang}`;
    case 'action': return `${it.action}: ${it.detail}`;
    case 'end': return `call ended: ${it.outcome}${it.reason ? ` (${it.reason})` : ''} at ${it.node ?? '-'}`;
    case 'error': return `error: ${it.message}`;
    default: return it.type;
  }
}

/** Play audio files one after another (a prompt rendered in several parts). */
function playInOrder(urls: string[]): void {
  const [first, ...rest] = urls;
  if (!first) return;
  const audio = new Audio(first);
  audio.onended = () => playInOrder(rest);
  audio.play().catch(() => undefined);
}
