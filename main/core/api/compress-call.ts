// compress.start as the hosts bind it: the pipeline's compressStart, plus one guarantee only the
// host can give. A worker that does not stop within the cancel grace period is killed (SIGKILL),
// and a killed process cannot remove its own staging folder; so once a run ends without success,
// the host sweeps staging folders in the run's export folder whose owning process is gone.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { JobRunner } from '../jobs/runner';
import type { JobSnapshot } from '../jobs/types';
import { compressStart } from './compress';
import { pidAlive } from '../system/processes';

const STAGING = /^\.twinforge-staging-(\d+)-[0-9a-f]+$/;

/** Removes staging folders in `dir` left by processes that no longer exist; returns how many. */
export function sweepDeadStaging(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const m = STAGING.exec(e.name);
    if (!e.isDirectory() || !m || pidAlive(Number(m[1]))) continue;
    rmSync(path.join(dir, e.name), { recursive: true, force: true });
    n++;
  }
  return n;
}

/** Starts a compression job; after a cancelled or failed run, sweeps what a killed worker left. */
export function startCompression(jobs: JobRunner, args: { recipe: Record<string, unknown>; zoo?: string; title?: string }): JobSnapshot {
  const snap = compressStart(jobs, args);
  const exp = args.recipe.export as { dir?: unknown } | undefined;
  if (typeof exp?.dir === 'string') {
    const dir = path.resolve(exp.dir);
    void jobs.wait(snap.id).then((end) => {
      if (end.state !== 'done') sweepDeadStaging(dir);
    });
  }
  return snap;
}
