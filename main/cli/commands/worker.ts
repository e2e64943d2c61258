// `twinforge worker --queue redis://…`: a cluster worker on this machine. It runs until Ctrl-C or
// SIGTERM (then finishes the twins in hand). Lines per job on stderr, JSON lines with --json.
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';

const USAGE = `twinforge worker --queue URL [--concurrency N] [--targets T1,T2] [--token T] [--shared-store DIR] [--json]

Takes twin jobs queued by \`twinforge run GRID --zoo NAME --queue URL\` and makes them here: fetches
each parent by sha256 from the coordinator, compresses, evaluates, measures latency, uploads the twin.

  --queue URL         Redis URL: redis://[user:pass@]host:port[/db], rediss:// for TLS
  --concurrency N     twins made at once (default 1; each runs in its own process)
  --targets T1,T2     hardware targets this machine measures for (profile ids, \`twinforge hw targets\`);
                      jobs for a target go only to workers that name it. Untargeted jobs always come.
  --token T           the coordinator's store token (default: TWINFORGE_TOKEN)
  --shared-store DIR  the coordinator's data folder mounted here: files move through it, not HTTP
  --lock-ms N         a worker silent this long loses its job to another (default 30000)
Environment: TWINFORGE_REDIS_PASSWORD, TWINFORGE_REDIS_CA (PEM), TWINFORGE_REDIS_TLS_INSECURE=1.`;

function positiveInt(v: unknown, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw badInput(`${flag} must be a positive whole number, not '${String(v)}'.`);
  return n;
}

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'Run a cluster worker: make queued zoo twins (BullMQ on Redis)',
  usage: USAGE,
  options: { queue: { type: 'string' }, concurrency: { type: 'string' }, targets: { type: 'string' }, token: { type: 'string' }, 'shared-store': { type: 'string' }, 'lock-ms': { type: 'string' } },
  async run(args, ctx) {
    const v = args.values as Record<string, string | undefined>;
    if (!v.queue) throw badInput('worker needs --queue URL.', `Usage: ${USAGE.split('\n')[0]}`);
    if (args.positionals.length) throw badInput(`worker takes no positional arguments (got '${args.positionals[0]}').`);
    const targets = (v.targets ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    if (targets.length) {
      const { targetFor } = await import('../../core/api/hardware');
      for (const t of targets) targetFor(t, ctx.dataDir); // an unknown target is a clear error now, not silence later
    }
    const token = v.token ?? process.env.TWINFORGE_TOKEN;
    if (!token && !v['shared-store']) ctx.err('twinforge worker: no TWINFORGE_TOKEN/--token: jobs served over HTTP will fail until the worker has the coordinator token.\n');
    const { startClusterWorker } = await import('../../core/cluster/worker');
    const w = await startClusterWorker({
      redisUrl: v.queue,
      dataDir: ctx.dataDir,
      concurrency: positiveInt(v.concurrency, '--concurrency', 1),
      targets,
      token,
      sharedDataDir: v['shared-store'],
      lockMs: positiveInt(v['lock-ms'], '--lock-ms', 30_000),
      onEvent: (e) => {
        if (ctx.json) return void ctx.out(JSON.stringify({ event: 'worker', ...e }) + '\n');
        if (e.type === 'ready') ctx.err(`worker ${e.worker.name} (isa ${e.worker.isa ?? '-'}, gpu ${e.worker.gpu ?? 'none'}) listening on ${e.queues.join(', ')} at ${e.redis}\n`);
        else if (e.type === 'start') ctx.err(`${e.model} ${e.cell}: started (try ${e.attempt})\n`);
        else if (e.type === 'done') ctx.err(`${e.model} ${e.cell}: twin ${e.twin.slice(0, 12)} in ${(e.ms / 1000).toFixed(1)} s\n`);
        else if (e.type === 'failed') ctx.err(`${e.model} ${e.cell}: FAILED ${e.error.message}${e.retry ? ' (will be retried)' : ''}\n`);
        else if (e.type === 'error') ctx.err(`worker: ${e.message}\n`);
      },
    });
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    await w.close();
    if (ctx.json) ctx.out(JSON.stringify({ event: 'stopped', worker: w.identity.name }) + '\n');
    return 0;
  },
};
