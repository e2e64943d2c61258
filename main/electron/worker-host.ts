// The desktop host's worker processes: Electron utility processes instead of Node's fork. The
// packaged app turns Electron's run-as-Node mode off (a fuse, electron-builder.yml), so the app's
// own binary cannot be forked as Node; a utility process is Electron's supported way to run
// Node code in a child. This adapter gives the engine the WorkerProcess it expects; the worker
// side (core/jobs/worker-channel.ts) talks over process.parentPort there.
import { EventEmitter } from 'node:events';
import { utilityProcess, type UtilityProcess } from 'electron';
import { setWorkerSpawner, type WorkerProcess } from '../core/jobs/worker-launch';

class UtilityWorker extends EventEmitter {
  private open = true;

  constructor(private readonly proc: UtilityProcess) {
    super();
    proc.on('message', (m: unknown) => this.emit('message', m));
    proc.on('exit', (code: number) => {
      this.open = false;
      this.emit('exit', code, null);
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get connected(): boolean {
    return this.open;
  }
  get stdout(): NodeJS.ReadableStream | null {
    return this.proc.stdout;
  }
  get stderr(): NodeJS.ReadableStream | null {
    return this.proc.stderr;
  }
  send(msg: unknown): boolean {
    if (!this.open) return false;
    this.proc.postMessage(msg);
    return true;
  }
  kill(): boolean {
    return this.proc.kill();
  }
  /** A utility process has no channel to close: an idle worker is simply ended. */
  disconnect(): void {
    if (!this.open) return;
    this.open = false;
    this.proc.kill();
  }
}

/** From now on the engine's workers (jobs, batches, bench) run as utility processes. */
export function useUtilityProcessWorkers(): void {
  setWorkerSpawner(
    (entry, args, env) =>
      new UtilityWorker(utilityProcess.fork(entry, args, { env: env as Record<string, string>, stdio: 'pipe', serviceName: 'Twinforge worker' })) as unknown as WorkerProcess,
  );
}
