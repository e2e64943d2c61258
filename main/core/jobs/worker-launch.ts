// The engine's one worker-process layer (parent side): which file a worker runs and how it is
// started. Job workers, batch workers, cluster slots and the bench's IO worker all start here, so
// they agree on the mode and on the cancel grace period.
//
// Two modes, chosen by how this very file runs:
// - built (out/main, bundled by electron-vite): every worker is a built JS entry next to this
//   code (out/main/core/...js), started by Node's fork or, in the desktop app, as an Electron
//   utility process (setWorkerSpawner): no loader, no sources.
// - sources (development, tests): the worker is the .ts source, started with the TypeScript
//   loader of a development install (dev-loader.ts).
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwinforgeError } from '../errors';
import { packageRoot } from '../paths';
import { devLoaderUrl } from './dev-loader';

/** How long a cancelled worker may take to stop on its own before it is killed. */
export const CANCEL_GRACE_MS = 3000;

const self = fileURLToPath(import.meta.url);
/** True when this code runs from the bundled output rather than the TypeScript sources. */
export const runningBuilt = !/\.[cm]?ts$/.test(self);

/** The folder of built main-process entries (out/main): where the bundle runs from. */
export const builtMainDir = path.join(packageRoot, 'out', 'main');

/**
 * The file of an engine module that a worker loads by path, given as its path under main/
 * without extension (e.g. 'core/jobs/worker-entry'): the built .js when running built, else
 * the .ts source. electron.vite.config.ts builds every such module (see worker-entries.ts).
 */
export function engineModule(rel: string): string {
  return runningBuilt ? path.join(builtMainDir, `${rel}.js`) : path.join(packageRoot, 'main', `${rel}.ts`);
}

/** Node options a worker needs to run `entry`: a TypeScript loader for a source, nothing for built JS. */
export function workerExecArgv(entry: string): string[] {
  if (!/\.[cm]?ts$/.test(entry)) return [];
  const loader = devLoaderUrl();
  if (!loader) {
    throw new TwinforgeError(
      'INTERNAL',
      `Cannot start a worker for ${entry}: it is a TypeScript source and no development install is here to run it.`,
      'Build the app (npm run build: bin/twinforge.mjs then runs out/main), or install the development dependencies (npm ci).',
    );
  }
  return ['--import', loader];
}

/** A worker process as the engine uses it: a Node child process, or a host's equivalent. */
export interface WorkerProcess {
  readonly pid?: number;
  /** False once the channel is closed (the worker exited or was disconnected). */
  readonly connected: boolean;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  send(msg: unknown): boolean;
  kill(signal?: NodeJS.Signals): boolean;
  /** Closes the channel: an idle worker then exits. */
  disconnect(): void;
  on(event: 'message', fn: (msg: never) => void): this;
  on(event: 'exit', fn: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
}

/** Starts a worker for a built entry file; a host sets one where Node's fork does not fit. */
export type WorkerSpawner = (entry: string, args: string[], env: NodeJS.ProcessEnv) => WorkerProcess;
let spawner: WorkerSpawner | undefined;

/**
 * The desktop host sets Electron's utility processes here: the packaged app turns off Electron's
 * run-as-Node mode (a fuse), so forking the app's own binary as Node would not work there.
 */
export function setWorkerSpawner(s: WorkerSpawner | undefined): void {
  spawner = s;
}

/** Starts `entry` (a built .js or, in development, a .ts source) as a worker with a message channel. */
export function forkWorker(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const execArgv = workerExecArgv(entry);
  if (spawner && execArgv.length === 0) return spawner(entry, args, { ...process.env, ...env });
  const inElectron = Boolean(process.versions.electron);
  const child: ChildProcess = fork(entry, args, {
    execPath: process.execPath,
    execArgv,
    env: { ...process.env, ...env, ...(inElectron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return child as unknown as WorkerProcess;
}

/** Sends one message to a worker; false when its channel is already closed (it died). */
export function sendToWorker(child: WorkerProcess, msg: unknown): boolean {
  if (!child.connected) return false;
  try {
    return child.send(msg);
  } catch {
    return false;
  }
}

/** Asks a worker to stop (a 'cancel' message), then kills it if it is still there after the grace. */
export function cancelWorker(child: WorkerProcess, cancelMsg: unknown): NodeJS.Timeout {
  sendToWorker(child, cancelMsg);
  const t = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
  t.unref();
  return t;
}
