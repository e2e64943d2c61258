import { afterAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { JobRunner } from '../../../main/core/jobs/runner';
import type { JobSnapshot } from '../../../main/core/jobs/types';

const runner = new JobRunner({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'tf-jobs-')), concurrency: 2 });
afterAll(() => runner.shutdown());

describe('job runner', () => {
  it('runs a job in a worker process with ordered progress and a result', async () => {
    const updates: JobSnapshot[] = [];
    const onUpdate = (s: JobSnapshot) => updates.push(s);
    runner.on('update', onUpdate);
    const job = runner.submit('selftest', { steps: 6, stepMs: 60 }, { title: 'self-test' });
    const end = await runner.wait(job.id);
    runner.off('update', onUpdate);
    expect(end.state).toBe('done');
    expect(end.result).toEqual({ steps: 6 });
    const mine = updates.filter((u) => u.id === job.id);
    expect(mine[0].state).toBe('queued');
    const dones = mine.filter((u) => u.progress.stage === 'tick').map((u) => u.progress.done);
    expect(dones.length).toBeGreaterThan(1);
    expect([...dones].sort((a, b) => a - b)).toEqual(dones);
    expect(runner.log(job.id).lines).toContain('step 6');
  });

  it('cancels a running job through its signal', async () => {
    const job = runner.submit('selftest', { steps: 200, stepMs: 20 });
    await new Promise((r) => setTimeout(r, 600));
    runner.cancel(job.id);
    const end = await runner.wait(job.id);
    expect(end.state).toBe('cancelled');
    expect(end.error?.code).toBe('CANCELLED');
  });

  it('stops a worker that ignores cancel after the grace period and reports it cancelled', async () => {
    const job = runner.submit('selftest', { steps: 400, stepMs: 20, ignoreCancel: true });
    await new Promise((r) => setTimeout(r, 600));
    runner.cancel(job.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(runner.get(job.id).progress.stage).toBe('cancelling');
    const end = await runner.wait(job.id);
    expect(end.state).toBe('cancelled');
  });

  it('reports a thrown error as a failed job with its envelope', async () => {
    const job = runner.submit('selftest', { steps: 4, stepMs: 5, fail: 'throw' });
    const end = await runner.wait(job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'BAD_INPUT', message: 'Self-test asked to fail.' });
  });

  it('survives a worker crash and reports the job failed', async () => {
    const job = runner.submit('selftest', { steps: 4, stepMs: 5, fail: 'crash' });
    const end = await runner.wait(job.id);
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('INTERNAL');
    expect(end.error?.message).toMatch(/crashed \(signal SIGKILL\)/);
    // The runner (this process) still works.
    const ok = await runner.wait(runner.submit('selftest', { steps: 2, stepMs: 1 }).id);
    expect(ok.state).toBe('done');
  });

  it('rejects unknown kinds and ids with typed errors', () => {
    expect(() => runner.submit('nope', {})).toThrow(/Unknown job kind 'nope'/);
    expect(() => runner.get('missing')).toThrow(/No job with id/);
  });
});
