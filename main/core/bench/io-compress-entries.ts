// Registers `twinforge bench io` (model I/O: inspect time and peak memory of a 1 GB model) and
// `twinforge bench compress` (end-to-end magnitude 50% + int8 on a generated 100M model).
import { badInput } from '../errors';
import { runBenchCompress } from './compress';
import { benchIo, formatBenchIo } from './io';
import { registerBench } from './registry';

function positiveNumber(flag: string, text: unknown, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw badInput(`--${flag} must be a positive number, not '${String(text)}'.`);
  return n;
}

registerBench({
  name: 'io',
  summary: 'Model I/O: inspect time and peak memory for a generated 1 GB model (external data; --embedded adds one protobuf)',
  options: { 'io-mb': { type: 'string' }, embedded: { type: 'boolean' } },
  usage: '  --io-mb N      model size in MiB (default 1024)\n  --embedded     also measure the same weights stored inside the .onnx file',
  async run(args, ctx) {
    const mb = positiveNumber('io-mb', args.values['io-mb'], 1024);
    const r = await benchIo({ bytes: Math.round(mb * 1024 * 1024), embedded: Boolean(args.values.embedded), log: (l) => (ctx.json ? undefined : ctx.err(`${l}\n`)) });
    ctx.out(ctx.json ? JSON.stringify(r) + '\n' : formatBenchIo(r) + '\n');
    return r.pass ? 0 : 1;
  },
});

registerBench({
  name: 'compress',
  summary: 'End to end: magnitude 50% + int8 on a generated 100M-parameter model; share in native kernels, I/O and ONNX Runtime',
  options: { params: { type: 'string' } },
  usage: '  --params N     parameter count of the generated model (default 100000000)',
  async run(args, ctx) {
    return runBenchCompress(ctx, { params: positiveNumber('params', args.values.params, 100_000_000) });
  },
});
