// `twinforge serve`: the browser-mode host — the full UI over HTTP + WebSocket on 127.0.0.1.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import { JobRunner } from '../../core/jobs/runner';
import { packageRoot } from '../../core/paths';
import { startWebHost } from '../../web/server';

/** Where the browser-mode renderer build lives (npm run build:web). */
export const webRendererDir = path.join(packageRoot, 'out', 'web');

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the Twinforge UI to a browser on this machine (prints the URL)',
  usage: [
    'twinforge serve [--port N] [--host ADDRESS] [--json] [--data-dir DIR]',
    '',
    '  --port N        port to listen on (default 5417; 0 picks a free one)',
    '  --host ADDRESS  bind address (default 127.0.0.1). Non-loopback addresses must be named',
    '                  explicitly and expose Twinforge to anyone who has the printed token.',
  ].join('\n'),
  options: { port: { type: 'string' }, host: { type: 'string' } },
  async run(args, ctx) {
    const portText = (args.values.port as string | undefined) ?? '5417';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw badInput(`--port must be a number from 0 to 65535, not '${portText}'.`);
    const host = args.values.host as string | undefined;
    if (!existsSync(path.join(webRendererDir, 'index.html'))) {
      ctx.err('twinforge: the UI is not built yet; serving the API only. Run `npm run build:web` for the UI.\n');
    }
    const jobs = new JobRunner({ dataDir: ctx.dataDir });
    const web = await startWebHost({ port, host, explicitHost: host !== undefined, dataDir: ctx.dataDir, jobs, rendererDir: webRendererDir });
    if (ctx.json) ctx.out(JSON.stringify({ event: 'listening', url: web.url, port: web.port }) + '\n');
    else ctx.out(`Twinforge is serving at ${web.url}\nOpen it in a browser on this machine. Press Ctrl-C to stop.\n`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    await jobs.shutdown();
    await web.close();
    if (!ctx.json) ctx.out('Twinforge stopped.\n');
    return 0;
  },
};
