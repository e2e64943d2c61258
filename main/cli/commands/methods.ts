// `twinforge methods`: every compression method from the registry with its patterns, needs,
// parameters and defaults (the same data as the contract's methods.list).
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import { listMethods } from '../../core/methods/registry';

const USAGE = `twinforge methods [prune|quantize] [--json]

Lists the compression methods a recipe stage (or --method / --quant) can name, with the
patterns they support, what data they need and their parameters (args) with defaults.`;

export const methodsCommand: CliCommand = {
  name: 'methods',
  summary: 'List compression methods with their parameters and defaults',
  usage: USAGE,
  options: {},
  async run(args, ctx) {
    const kind = args.positionals[0];
    if (kind !== undefined && kind !== 'prune' && kind !== 'quantize') throw badInput(`methods: unknown kind '${kind}'`, 'Use prune or quantize.');
    const list = listMethods(kind as 'prune' | 'quantize' | undefined);
    if (ctx.json) {
      ctx.out(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    const lines: string[] = [];
    for (const m of list) {
      const needs = Object.entries(m.needs).filter(([, v]) => v).map(([k]) => k);
      lines.push(`${m.name} (${m.kind})  ${m.summary}`);
      if (m.patterns) lines.push(`  patterns: ${m.patterns.join(', ')}`);
      lines.push(`  needs: ${needs.length ? needs.join(', ') : 'no data'}`);
      const props = (m.parameters.properties ?? {}) as Record<string, { description?: string; enum?: unknown[]; anyOf?: { const?: unknown }[] }>;
      for (const [k, p] of Object.entries(props)) {
        const choices = p.enum ?? p.anyOf?.map((a) => a.const).filter((x) => x !== undefined);
        lines.push(`  args.${k} = ${JSON.stringify(m.defaults[k] ?? null)}${choices?.length ? `  (${choices.join(' | ')})` : ''}${p.description ? `  ${p.description}` : ''}`);
      }
      lines.push('');
    }
    ctx.out(lines.join('\n'));
    return 0;
  },
};
