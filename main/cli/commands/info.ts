// `twinforge info`: version, platform, ISA features and data folder — the same object as the contract's app.info.
import type { CliCommand } from '../command';
import { getAppInfo } from '../../core/api/app';

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'Show version, platform, CPU/GPU features and the data folder',
  usage: 'twinforge info [--json] [--data-dir DIR]',
  options: {},
  async run(_args, ctx) {
    const info = getAppInfo({ dataDir: ctx.dataDir, host: 'cli' });
    if (ctx.json) {
      ctx.out(JSON.stringify(info, null, 2) + '\n');
      return 0;
    }
    const rows: [string, string][] = [
      ['version', info.version],
      ['platform', `${info.platform} ${info.arch} (node ${info.node})`],
      ['cpu', `${info.cpu.model} · ${info.cpu.cores} logical cores`],
      ['cpu features', info.cpu.features.join(' ') || '(none detected)'],
      ['native kernels', info.native.loaded ? `${info.native.isa} (available: ${info.native.available.join(', ')}; ${info.native.threads} threads)` : `not built — ${info.native.error ?? ''}`],
      ['cuda', info.native.cuda.built ? (info.native.cuda.devices > 0 ? `${info.native.cuda.devices} device(s)` : `no device (${info.native.cuda.error ?? 'none found'})`) : 'built without CUDA'],
      ['data folder', info.dataDir],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) ctx.out(`${k.padEnd(w)}  ${v}\n`);
    return 0;
  },
};
