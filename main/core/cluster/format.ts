// How a grid on the cluster shows in a terminal: one plain line per event for logs and pipes,
// and on a TTY a small redrawn block — the whole grid's bar plus one line per twin in hand,
// naming the worker that runs it.
import type { ClusterEvent } from './coordinator';

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** One human line for an event, or undefined for events that need none (progress snapshots). */
export function formatClusterEvent(e: ClusterEvent): string | undefined {
  switch (e.type) {
    case 'plan':
      return `zoo ${e.zoo}: ${e.models} model(s) × ${e.cells} cell(s) = ${e.tasks} twin(s); ${e.skipped} already made, ${e.todo} queued on ${e.redis} (${e.queues.join(', ') || 'no queue'}), grid ${e.grid}`;
    case 'start':
      return `${e.model} ${e.cell}: running on ${e.worker}`;
    case 'twin':
      return `[${e.done}/${e.total}] ${e.model} ${e.cell}: twin #${e.twinId} from ${e.worker}, sparsity ${pct(e.sparsity)}, agreement ${pct(e.agreement)}`;
    case 'failed':
      return `[${e.done}/${e.total}] ${e.model} ${e.cell}: FAILED${e.worker ? ` on ${e.worker}` : ''}: ${e.error.message}`;
    case 'requeued':
      return `${e.model} ${e.cell}: queued again (${e.reason})`;
    case 'end': {
      const s = e.summary;
      const by = Object.entries(s.workers).map(([w, n]) => `${w} ${n}`).join(', ');
      return `zoo ${s.zoo}: ${s.made} twin(s) made${by ? ` (${by})` : ''}, ${s.skipped} skipped, ${s.failed} failed in ${(s.durationMs / 1000).toFixed(1)} s${s.cancelled ? ' (cancelled: rerun to resume)' : ''}`;
    }
    default:
      return undefined;
  }
}

/** The redrawn TTY block: feed it every event, write what it returns to stderr. */
export class GridBars {
  private total = 0;
  private done = 0;
  private failed = 0;
  private running = new Map<string, { model: string; cell: string; worker: string; stage: string; frac: number }>();
  private lines = 0;

  update(e: ClusterEvent): string {
    if (e.type === 'plan') {
      this.total = e.todo;
      return ''; // the caller prints the plan as a line; the block starts below it
    }
    if (e.type === 'start') this.running.set(e.key, { model: e.model, cell: e.cell, worker: e.worker, stage: 'start', frac: 0 });
    else if (e.type === 'progress') this.running.set(e.key, { model: e.model, cell: e.cell, worker: e.worker, stage: e.progress.stage, frac: e.progress.total ? e.progress.done / e.progress.total : 0 });
    else if (e.type === 'twin') {
      this.running.delete(e.key);
      this.done = e.done - this.failed;
    } else if (e.type === 'failed') {
      this.running.delete(e.key);
      this.failed++;
    }
    const up = this.lines ? `\x1b[${this.lines}F` : '';
    const out: string[] = [];
    const frac = this.total ? (this.done + this.failed) / this.total : 1;
    out.push(`grid  ${bar(frac, 30)} ${this.done + this.failed}/${this.total}  done ${this.done}  failed ${this.failed}  running ${this.running.size}`);
    for (const r of [...this.running.values()].slice(0, 12)) out.push(`  ${r.worker.slice(0, 24).padEnd(24)} ${bar(r.frac, 12)} ${r.stage.slice(0, 10).padEnd(10)} ${r.model} ${r.cell}`.slice(0, 118));
    const extra = Math.max(0, this.lines - out.length);
    const text = up + out.map((l) => `${l}\x1b[K\n`).join('') + '\x1b[K\n'.repeat(extra) + (extra ? `\x1b[${extra}F` : '');
    this.lines = out.length;
    return text;
  }
}

function bar(frac: number, width: number): string {
  const f = Math.max(0, Math.min(1, frac));
  return '█'.repeat(Math.round(f * width)).padEnd(width, '░');
}
