// `twinforge bench <name> [--json] [...]`: runs one benchmark of main/core/bench. Benchmarks
// register themselves (main/core/bench/registry.ts); adding one is one import line below.
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import { getBench, listBenches } from '../../core/bench/registry';
import '../../core/bench/native';
import '../../core/bench/io-compress-entries';
import '../../core/bench/fuzz/bench';
import '../../core/bench/runtime';
import '../../core/bench/queue';
import '../../core/bench/structured';
import '../../core/llm/bench';

function usage(): string {
  const list = listBenches();
  const w = Math.max(8, ...list.map((b) => b.name.length));
  return [
    'Usage: twinforge bench <name> [--json] [options]',
    '',
    ...list.map((b) => `  ${b.name.padEnd(w)}  ${b.summary}`),
    '',
    ...list.map((b) => `${b.name} options:\n${b.usage}`),
  ].join('\n');
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Benchmarks: native kernels (vs copy bandwidth, ONNX Runtime, PyTorch), ...',
  get usage() {
    return usage();
  },
  // The union of every registered benchmark's flags (parsed strictly by the CLI).
  options: Object.assign({}, ...listBenches().map((b) => b.options)),
  async run(args, ctx) {
    const name = args.positionals[0];
    if (!name) throw badInput('bench needs a benchmark name.', `One of: ${listBenches().map((b) => b.name).join(', ')}`);
    const entry = getBench(name);
    if (!entry) throw badInput(`Unknown benchmark '${name}'.`, `One of: ${listBenches().map((b) => b.name).join(', ')}`);
    return entry.run({ values: args.values, positionals: args.positionals.slice(1) }, ctx);
  },
};
