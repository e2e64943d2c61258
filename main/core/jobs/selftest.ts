// A diagnostic job: steps through a fixed number of ticks with progress, so a user (and the
// tests) can check that the worker pool, progress stream, cancel and crash handling work.
import type { JobFunction } from './types';
import { TwinforgeError } from '../errors';

export interface SelftestParams {
  steps?: number;
  stepMs?: number;
  /** 'throw' raises an error at the middle step; 'crash' kills the worker process there. */
  fail?: 'throw' | 'crash';
  /** Keep stepping after a cancel (checks that the runner stops a stuck worker). */
  ignoreCancel?: boolean;
}

export const run: JobFunction<SelftestParams, { steps: number }> = async (params, ctx) => {
  const steps = params.steps ?? 10;
  const stepMs = params.stepMs ?? 50;
  for (let i = 0; i < steps; i++) {
    if (ctx.signal.aborted && !params.ignoreCancel) throw new TwinforgeError('CANCELLED', 'Self-test cancelled.');
    if (i === Math.floor(steps / 2)) {
      if (params.fail === 'throw') throw new TwinforgeError('BAD_INPUT', 'Self-test asked to fail.', 'Run it without fail.');
      if (params.fail === 'crash') process.kill(process.pid, 'SIGKILL');
    }
    ctx.progress({ done: i, total: steps, stage: 'tick', detail: `step ${i + 1}/${steps}` });
    ctx.log(`step ${i + 1}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
  ctx.progress({ done: steps, total: steps, stage: 'tick' });
  return { steps };
};
