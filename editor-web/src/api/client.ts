// Fetch wrappers for the flowc edit API. The access token travels in the cookie that the first
// page load set; same origin, so nothing else is needed.

import type { Analysis, Catalogue, FlowDoc, Op, Positions } from '../model/types';

export class ApiError extends Error {
  constructor(public status: number, message: string, public body: Record<string, unknown>) {
    super(message);
  }
}

async function call<T>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, body === undefined ? { credentials: 'same-origin' } : {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  let data: Record<string, unknown> = {};
  try {
    data = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new ApiError(res.status, String(data.error ?? res.statusText), data);
  return data as T;
}

export const api = {
  kinds: () => call<Catalogue>('/api/kinds'),
  flows: () => call<{ root: string; flows: { path: string; flow: boolean; layout: boolean }[] }>('/api/flows'),
  open: (path: string) => call<FlowDoc>(`/api/flow?path=${encodeURIComponent(path)}`),
  apply: (path: string, text: string, ops: Op[]) => call<Analysis>('/api/flow/apply', { path, text, ops }),
  check: (path: string, text: string) => call<Analysis>('/api/flow/check', { path, text }),
  format: (path: string, text: string) => call<Analysis>('/api/flow/format', { path, text }),
  save: (path: string, text: string, baseVersion: string | null, positions: Positions) =>
    call<Analysis & { version: string }>('/api/flow/save', { path, text, base_version: baseVersion, layout: { nodes: positions } }),
  startCall: (path: string, text: string) => call<{ id: string }>('/api/call', { path, text }),
  callSocket: (id: string) => new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/call/ws?id=${id}`),
  mediaUrl: (path: string) => `/api/media?path=${encodeURIComponent(path)}`,
};
