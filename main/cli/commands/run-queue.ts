// `twinforge run GRID --zoo NAME --queue redis://…`: the coordinator. It serves this machine's store
// to the workers (the web host, token-protected) unless they share the store folder, queues one
// job per twin and registers results as they come. Progress: bars on a TTY, JSON lines with --json.
import os from 'node:os';
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import type { ClusterEvent } from '../../core/cluster/coordinator';

type Ctx = Parameters<CliCommand['run']>[1];

export interface QueueRunFlags {
  queue: string;
  token?: string;
  listen?: string;
  storeUrl?: string;
  sharedStore?: boolean;
}

/** Parses --listen HOST:PORT (default 127.0.0.1:0). */
export function parseListen(text: string | undefined): { host: string; port: number; explicit: boolean } {
  if (!text) return { host: '127.0.0.1', port: 0, explicit: false };
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw badInput(`--listen '${text}' is not HOST:PORT.`, 'E.g. --listen 0.0.0.0:5418 so workers on other machines reach the store.');
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]), explicit: true };
}

export async function runOverQueue(file: string, zoo: string, flags: QueueRunFlags, ctx: Ctx): Promise<number> {
  const { runClusterBatch } = await import('../../core/cluster/coordinator');
  const { formatClusterEvent, GridBars } = await import('../../core/cluster/format');
  const { parseRedisUrl } = await import('../../core/cluster/connection');
  parseRedisUrl(flags.queue); // bad URLs fail before anything starts
  const token = flags.token ?? process.env.TWINFORGE_TOKEN;
  let storeUrl: string | null = null;
  let close = async () => {};
  if (!flags.sharedStore) {
    if (flags.storeUrl) storeUrl = flags.storeUrl;
    else {
      if (!token || token.length < 16) {
        throw badInput('The coordinator needs a token of at least 16 characters for its store.', 'export TWINFORGE_TOKEN=$(openssl rand -hex 24) in the coordinator and every worker shell (or pass --token), or use --shared-store.');
      }
      const listen = parseListen(flags.listen);
      const { startWebHost } = await import('../../web/server');
      const { JobRunner } = await import('../../core/jobs/runner');
      const { webRendererDir } = await import('./serve');
      const jobs = new JobRunner({ dataDir: ctx.dataDir });
      const web = await startWebHost({ port: listen.port, host: listen.host, explicitHost: listen.explicit, dataDir: ctx.dataDir, jobs, rendererDir: webRendererDir, token });
      const shown = listen.host === '0.0.0.0' || listen.host === '::' ? os.hostname() : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
      storeUrl = `http://${shown}:${web.port}`;
      close = async () => {
        await jobs.shutdown();
        await web.close();
      };
    }
  }
  const bars = ctx.isTTY && !ctx.json ? new GridBars() : undefined;
  try {
    const summary = await runClusterBatch(file, {
      zoo,
      dataDir: ctx.dataDir,
      redisUrl: flags.queue,
      storeUrl,
      signal: ctx.signal,
      onEvent: (e: ClusterEvent) => {
        if (ctx.json) {
          if (e.type !== 'end') ctx.out(JSON.stringify({ event: 'batch', ...e }) + '\n');
          return;
        }
        if (bars && e.type === 'plan') bars.update(e); // sets the total; the plan prints as a line below
        else if (bars && e.type !== 'end') return void ctx.err(bars.update(e));
        const line = formatClusterEvent(e);
        if (line && (e.type === 'plan' || e.type === 'end' || !bars)) ctx.err(`${line}\n`);
      },
    });
    if (ctx.json) ctx.out(JSON.stringify({ event: 'done', ...summary }) + '\n');
    else ctx.out(`zoo ${zoo}: ${summary.made} twins made, ${summary.failed} failed\n`);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}
