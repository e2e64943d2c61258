// How to start a worker process that can run the engine's TypeScript: Node (or Electron as
// Node) with tsx's loader. One place decides it, so the job runner and the batch pool agree.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../paths';

/** The tsx loader as a file URL (independent of the child's working folder). */
export function tsxLoaderUrl(): string {
  return pathToFileURL(path.join(packageRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
}

/** Forks `entry` (a .ts file of the engine) as a worker with an IPC channel. */
export function forkTsWorker(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const inElectron = Boolean(process.versions.electron);
  return fork(entry, args, {
    execPath: process.execPath,
    execArgv: ['--import', tsxLoaderUrl()],
    env: { ...process.env, ...env, ...(inElectron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}
