// The zoo's own record of its grid runs, for the GUI's progress panel (contract call zoo.grids):
// each run's twins by state, and the twins in hand with the worker running each. It reads the
// batch_runs and jobs rows that the coordinator (the only writer) keeps current, so it works for
// local and cluster runs alike and needs no Redis connection.
import type { GridProgress } from '../../../preload/contract';
import { openZoo } from '../zoo/db';
import { requireZoo } from '../zoo/repo/zoos';

const KIND = 'zoo.twin';

function parse<T>(text: string | null, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** The newest `limit` grid runs over a zoo (default 3), newest first. */
export function zooGrids(dataDir: string, args: { name: string; limit?: number }): GridProgress[] {
  const db = openZoo(dataDir);
  return db.read(() => {
    const zoo = requireZoo(db, args.name);
    const runs = db
      .stmt<{ id: number; state: GridProgress['state']; summary: string; started_at: string; ended_at: string | null }>('SELECT id, state, summary, started_at, ended_at FROM batch_runs WHERE zoo_id = ? ORDER BY id DESC LIMIT ?')
      .all(zoo.id, args.limit ?? 3);
    return runs.map((r) => {
      const summary = parse<{ queue?: string; grid?: string }>(r.summary, {});
      const counts: Record<string, number> = {};
      for (const c of db.stmt<{ state: string; n: number }>(`SELECT state, count(*) AS n FROM jobs WHERE kind = ? AND json_extract(params, '$.runId') = ? GROUP BY state`).all(KIND, r.id)) counts[c.state] = c.n;
      const split = (title: string) => {
        const i = title.indexOf(' ');
        return i < 0 ? { model: title, cell: '' } : { model: title.slice(0, i), cell: title.slice(i + 1) };
      };
      const running = db
        .stmt<{ title: string; progress: string }>(`SELECT title, progress FROM jobs WHERE kind = ? AND state = 'running' AND json_extract(params, '$.runId') = ? ORDER BY started_at LIMIT 50`)
        .all(KIND, r.id)
        .map((j) => {
          const p = parse<{ worker?: string; stage?: string }>(j.progress, {});
          return { ...split(j.title), worker: p.worker ?? null, stage: p.stage ?? null };
        });
      const failures = db
        .stmt<{ title: string; error: string | null }>(`SELECT title, error FROM jobs WHERE kind = ? AND state = 'failed' AND json_extract(params, '$.runId') = ? ORDER BY ended_at DESC LIMIT 20`)
        .all(KIND, r.id)
        .map((j) => ({ ...split(j.title), message: parse<{ message?: string }>(j.error, {}).message ?? 'failed' }));
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return {
        runId: r.id,
        state: r.state,
        mode: summary.queue ? 'cluster' : 'local',
        queue: summary.queue ?? null,
        grid: summary.grid ?? null,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        total,
        queued: counts.queued ?? 0,
        done: counts.done ?? 0,
        failed: counts.failed ?? 0,
        cancelled: counts.cancelled ?? 0,
        running,
        failures,
      } satisfies GridProgress;
    });
  });
}
