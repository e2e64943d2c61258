// The two transports under the one client: Electron IPC (window.twinforge from the preload) and,
// in browser mode, HTTP calls + a WebSocket event stream to the local web host (same origin).
// This folder is the only place in the renderer that touches window.twinforge, fetch or WebSocket.
import type { ErrorEnvelope, TwinforgeBridge } from '../../../preload/contract';
import type { ClientErrorCode } from './errors';

export type WireError = Omit<ErrorEnvelope, 'code'> & { code: ClientErrorCode };
export type Envelope = { ok: true; value: unknown } | { ok: false; error: WireError };
export type ConnectionState = 'connecting' | 'connected' | 'offline';

export interface Transport {
  readonly kind: 'electron' | 'web';
  invoke(name: string, args: unknown): Promise<Envelope>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Native open dialog (Electron only). */
  pickPath?(kind: 'file' | 'folder'): Promise<string | null>;
  /** Sends a file's bytes to the engine (browser mode only); resolves with where it was stored. */
  upload?(file: File, onProgress?: (sent: number, total: number) => void): Promise<Envelope>;
  /** Connection of the event stream; IPC is always connected. */
  readonly state: ConnectionState;
  onState(listener: (s: ConnectionState, reconnected: boolean) => void): () => void;
}

const OFFLINE: WireError = {
  code: 'OFFLINE',
  message: 'The Twinforge engine cannot be reached.',
  hint: 'Check that `twinforge serve` (or the desktop app) is still running, then reload this page.',
};

class IpcTransport implements Transport {
  readonly kind = 'electron' as const;
  readonly state: ConnectionState = 'connected';
  constructor(private readonly bridge: TwinforgeBridge) {}
  invoke(name: string, args: unknown): Promise<Envelope> {
    return this.bridge.invoke(name, args);
  }
  on(event: string, listener: (payload: unknown) => void): () => void {
    return this.bridge.on(event, listener);
  }
  pickPath(kind: 'file' | 'folder'): Promise<string | null> {
    return this.bridge.pickPath ? this.bridge.pickPath(kind) : Promise.resolve(null);
  }
  onState(): () => void {
    return () => undefined;
  }
}

class WebTransport implements Transport {
  readonly kind = 'web' as const;
  state: ConnectionState = 'connecting';
  private ws?: WebSocket;
  private listeners = new Map<string, Set<(p: unknown) => void>>();
  private stateListeners = new Set<(s: ConnectionState, reconnected: boolean) => void>();
  private retryMs = 250;
  private everConnected = false;
  private closedByPage = false;

  constructor() {
    this.connect();
    addEventListener('pagehide', () => {
      this.closedByPage = true;
      this.ws?.close();
    });
  }

  async invoke(name: string, args: unknown): Promise<Envelope> {
    let res: Response;
    try {
      res = await fetch(`api/call/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(args ?? {}),
      });
    } catch {
      return { ok: false, error: OFFLINE };
    }
    try {
      const body = (await res.json()) as Envelope;
      if (body && typeof body === 'object' && 'ok' in body) return body;
    } catch {
      // fall through: not the host's JSON (a proxy page, a crash)
    }
    return { ok: false, error: { code: 'INTERNAL', message: `The engine answered HTTP ${res.status} without a result.`, hint: OFFLINE.hint } };
  }

  upload(file: File, onProgress?: (sent: number, total: number) => void): Promise<Envelope> {
    // XMLHttpRequest rather than fetch: it reports upload progress.
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `api/upload?name=${encodeURIComponent(file.name)}`);
      xhr.withCredentials = true;
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || file.size);
      xhr.onload = () => {
        try {
          resolve(JSON.parse(xhr.responseText) as Envelope);
        } catch {
          resolve({ ok: false, error: { code: 'INTERNAL', message: `The engine answered HTTP ${xhr.status} to the upload.`, hint: OFFLINE.hint } });
        }
      };
      xhr.onerror = () => resolve({ ok: false, error: OFFLINE });
      xhr.send(file);
    });
  }

  on(event: string, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  onState(listener: (s: ConnectionState, reconnected: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: ConnectionState, reconnected = false): void {
    this.state = s;
    for (const l of this.stateListeners) l(s, reconnected);
  }

  private connect(): void {
    const url = new URL('api/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    url.hash = '';
    const ws = new WebSocket(url.href);
    this.ws = ws;
    ws.onopen = () => {
      const reconnected = this.everConnected;
      this.everConnected = true;
      this.retryMs = 250;
      this.setState('connected', reconnected);
    };
    ws.onmessage = (m) => {
      let msg: { event?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (typeof msg.event !== 'string') return;
      for (const l of this.listeners.get(msg.event) ?? []) l(msg.payload);
    };
    ws.onclose = () => {
      if (this.closedByPage) return;
      this.setState(this.everConnected ? 'offline' : 'connecting');
      // Reconnect with backoff: the host may restart, or the laptop may wake from sleep.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }
}

/** Picks IPC when the Electron preload exposed window.twinforge, else the web host. */
export function createTransport(): Transport {
  const bridge = (globalThis as { twinforge?: TwinforgeBridge }).twinforge;
  if (bridge && typeof bridge.invoke === 'function') return new IpcTransport(bridge);
  // The printed URL carries ?token=; the host turned it into a cookie already, so hide it from
  // the address bar (and from screenshots and history).
  const url = new URL(location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return new WebTransport();
}
