// Local cluster pieces for tests and `bench queue`: a private redis-server on a free loopback port
// (never the system one on 6379) and worker processes started through the real CLI, whose JSON
// lines the caller can wait on.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { packageRoot } from '../paths';

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server: no persistence, loopback only. */
export class RedisProcess {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `extraArgs`: more redis-server options, e.g. ['--requirepass', 'pw']. */
  static async start(port?: number, extraArgs: string[] = []): Promise<RedisProcess> {
    const r = new RedisProcess(port ?? (await freePort()), extraArgs);
    await r.launch();
    return r;
  }

  private launch(): Promise<void> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        return reject(e);
      }
      this.child = child;
      let out = '';
      const timer = setTimeout(() => reject(new TwinforgeError('INTERNAL', `redis-server did not start on port ${this.port}: ${out.slice(-400)}`)), 10_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new TwinforgeError('NOT_FOUND', `Cannot start redis-server: ${e.message}`, 'Install it: apt-get install -y redis-server.'));
      });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new TwinforgeError('INTERNAL', `redis-server exited (${code}) on port ${this.port}: ${out.slice(-400)}`));
      });
    });
  }

  /** Stops the server (SIGKILL: as abrupt as a crash) and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  /** Stop, then start again on the same port (empty: nothing was persisted). */
  async restart(downMs = 500): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }
}

export interface WorkerProcessOptions {
  url: string;
  dataDir: string;
  token?: string;
  concurrency?: number;
  lockMs?: number;
  targets?: string[];
  sharedStore?: string;
  env?: NodeJS.ProcessEnv;
}

/** A `twinforge worker --json` process; `lines` collects its JSON events. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];

  constructor(opts: WorkerProcessOptions) {
    const args = [path.join(packageRoot, 'bin', 'twinforge.mjs'), 'worker', '--queue', opts.url, '--data-dir', opts.dataDir, '--json'];
    if (opts.concurrency) args.push('--concurrency', String(opts.concurrency));
    if (opts.lockMs) args.push('--lock-ms', String(opts.lockMs));
    if (opts.targets?.length) args.push('--targets', opts.targets.join(','));
    if (opts.sharedStore) args.push('--shared-store', opts.sharedStore);
    this.child = spawn(process.execPath, args, { env: { ...process.env, ...(opts.token ? { TWINFORGE_TOKEN: opts.token } : {}), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let l: Record<string, unknown>;
        try {
          l = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        this.lines.push(l);
        this.waiters = this.waiters.filter((w) => (w.pred(l) ? (w.resolve(l), false) : true));
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves with the first event (already seen or coming) that matches; rejects after timeoutMs. */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker event not seen in ${timeoutMs} ms; stderr: ${this.stderr.slice(-1000)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  ready(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return this.waitFor((l) => l.type === 'ready', timeoutMs);
  }

  /** Asks it to stop (SIGTERM: finishes the twins in hand) or kills it (SIGKILL). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/**
 * `twinforge serve` on a free loopback port over a data folder: the web host (with its blob
 * routes) in its own process, for core code that may not import the web host itself.
 */
export class ServeProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly token: string,
  ) {}

  static start(dataDir: string): Promise<ServeProcess> {
    const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'twinforge.mjs'), 'serve', '--port', '0', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new TwinforgeError('INTERNAL', `twinforge serve did not start: ${err.slice(-400)}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /\{"event":"listening".*\}/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        const u = new URL((JSON.parse(m[0]) as { url: string }).url);
        resolve(new ServeProcess(child, u.origin, u.searchParams.get('token') ?? ''));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new TwinforgeError('INTERNAL', `twinforge serve exited (${code}): ${err.slice(-400)}`));
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
