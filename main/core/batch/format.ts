// One human line per batch event, for terminals and plain logs (`twinforge run --zoo`);
// progress snapshots give none (a TTY host draws those as a bar).
import type { BatchEvent } from './index';

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** The line to print for an event, or undefined for events that need none. */
export function formatBatchEvent(e: BatchEvent): string | undefined {
  switch (e.type) {
    case 'plan':
      return `zoo ${e.zoo}: ${e.models} model(s) × ${e.cells} cell(s) = ${e.tasks} twin(s); ${e.skipped} already made, ${e.todo} to make on ${e.concurrency} worker(s)`;
    case 'twin':
      return `[${e.done}/${e.total}] ${e.model} ${e.cell}: twin #${e.twinId}, sparsity ${pct(e.sparsity)}, agreement ${pct(e.agreement)}`;
    case 'failed':
      return `[${e.done}/${e.total}] ${e.model} ${e.cell}: FAILED ${e.error.message}`;
    case 'end': {
      const s = e.summary;
      return `zoo ${s.zoo}: ${s.made} twin(s) made, ${s.skipped} skipped, ${s.failed} failed in ${(s.durationMs / 1000).toFixed(1)} s${s.cancelled ? ' (cancelled: rerun to resume)' : ''}`;
    }
    default:
      return undefined;
  }
}
