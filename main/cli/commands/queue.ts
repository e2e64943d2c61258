// `twinforge queue status|cancel --queue URL`: the cluster seen from Redis (queues, workers, grids),
// and cancelling a grid.
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';

const USAGE = `twinforge queue status --queue URL [--json]
twinforge queue cancel GRID --queue URL [--json]

  status   job counts per queue (one queue per target), live workers with their targets, ISA and
           GPU, and the grids coordinators have queued
  cancel   marks a grid cancelled (id or unique prefix, from status) and removes its jobs no worker
           has taken; its coordinator stops, and a rerun of the same grid resumes it`;

export const queueCommand: CliCommand = {
  name: 'queue',
  summary: 'Cluster queue status and grid cancel (BullMQ on Redis)',
  usage: USAGE,
  options: { queue: { type: 'string' } },
  async run(args, ctx) {
    const [sub, ...rest] = args.positionals;
    const url = args.values.queue as string | undefined;
    if (!url) throw badInput('queue needs --queue URL.', `Usage: ${USAGE.split('\n')[0]}`);
    const { queueStatus, cancelGrid } = await import('../../core/cluster/status');
    if (sub === 'status') {
      if (rest.length) throw badInput(`queue status takes no more arguments (got '${rest[0]}').`);
      const s = await queueStatus(url);
      if (ctx.json) return void ctx.out(JSON.stringify(s) + '\n');
      const lines = [`redis ${s.redis}`, 'queues:'];
      if (!s.queues.length) lines.push('  (none)');
      for (const q of s.queues) lines.push(`  ${q.target.padEnd(24)} waiting ${q.waiting}  active ${q.active}  delayed ${q.delayed}  completed ${q.completed}  failed ${q.failed}`);
      lines.push('workers:');
      if (!s.workers.length) lines.push('  (none)');
      for (const w of s.workers) lines.push(`  ${w.name.padEnd(28)} ×${w.concurrency}  targets ${w.targets.join(',') || '-'}  isa ${w.isa ?? '-'}  gpu ${w.gpu ?? 'none'}`);
      lines.push('grids:');
      if (!s.grids.length) lines.push('  (none)');
      for (const g of s.grids) lines.push(`  ${g.grid.slice(0, 12)}  zoo ${g.zoo}  ${g.total} twin(s)  ${g.state}  coordinator ${g.coordinator}  since ${g.startedAt}`);
      ctx.out(lines.join('\n') + '\n');
      return 0;
    }
    if (sub === 'cancel') {
      if (rest.length !== 1) throw badInput('queue cancel takes one grid id.', '`twinforge queue status` lists them.');
      const r = await cancelGrid(url, rest[0]);
      if (ctx.json) ctx.out(JSON.stringify({ cancelled: r.grid, removed: r.removed }) + '\n');
      else ctx.out(`grid ${r.grid}: cancelled, ${r.removed} queued job(s) removed (twins in hand finish; a rerun resumes)\n`);
      return 0;
    }
    throw badInput(`Unknown queue subcommand '${sub ?? ''}'.`, `Usage:\n${USAGE}`);
  },
};
