// Every engine module that a worker process loads by path (not by import): the worker entries
// and the modules they import on request (job kinds, the batch's twin job). The desktop build
// (electron.vite.config.ts) makes each its own entry under out/main, and worker-launch.ts's
// engineModule() finds them there; add a module here when a worker starts loading a new one.
import path from 'node:path';
import { jobKinds } from './jobs/kinds';

/** Paths under main/, without extension. */
export const workerEntries: string[] = [
  'core/jobs/worker-entry',
  'core/batch/worker',
  'core/batch/twin-job',
  'core/bench/io-worker',
  'core/api/inspect-worker',
  'core/bench/fuzz/worker',
  ...Object.values(jobKinds).map((rel) => path.posix.join('core/jobs', rel.replace(/\.ts$/, ''))),
];
