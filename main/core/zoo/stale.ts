// Rows left behind by a batch process that was killed (SIGKILL, power loss): the run stays
// 'running' and its twin jobs 'queued'/'running' until someone notices the process is gone.
// Anyone who opens the zoo for a batch or a gc notices: a run whose PID no longer exists is marked
// interrupted (state 'failed', summary.interrupted = true; the next run redoes its twins).
import type { ZooDb } from './db';
import { now } from './db';
import { toJson } from './repo/json';
import { pidAlive } from '../system/processes';

/** The job kind of one twin of a batch (batch/index.ts's TWIN_JOB_KIND; kept here to avoid a cycle). */
const TWIN_JOB_KIND = 'zoo.twin';

/**
 * Marks runs whose process is gone as interrupted, and fails their unfinished twin jobs; returns
 * how many runs. `ownRunsStale`: a new batch in this process may mark this process's own
 * leftover runs too (it is the only batch this process runs); a gc must not.
 */
export function markInterruptedRuns(db: ZooDb, opts: { ownRunsStale?: boolean } = {}): number {
  const rows = db.stmt<{ id: number; summary: string }>("SELECT id, summary FROM batch_runs WHERE state = 'running'").all();
  let n = 0;
  for (const r of rows) {
    let pid = 0;
    try {
      pid = Number(JSON.parse(r.summary).pid) || 0;
    } catch {
      // unreadable summary: treat as interrupted
    }
    const own = pid === process.pid;
    if (pid && (own ? !opts.ownRunsStale : pidAlive(pid))) continue;
    db.tx(() => {
      db.stmt("UPDATE batch_runs SET state = 'failed', ended_at = ?, summary = json_set(summary, '$.interrupted', json('true')) WHERE id = ? AND state = 'running'").run(now(), r.id);
      db.stmt(`UPDATE jobs SET state = 'failed', ended_at = ?, error = ? WHERE kind = ? AND state IN ('queued', 'running') AND json_extract(params, '$.runId') = ?`).run(
        now(),
        toJson({ code: 'INTERNAL', message: 'The batch process stopped before this twin was made; the next run redoes it.' }),
        TWIN_JOB_KIND,
        r.id,
      );
    });
    n++;
  }
  return n;
}
