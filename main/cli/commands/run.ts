// `twinforge run RECIPE.yaml`: runs a recipe file headless (every grid cell in turn); with
// --zoo NAME the grid runs over every model of a zoo through the batch runner. Output as for
// `twinforge compress` (progress bars on a TTY, JSON lines with --json). Exit 3 when a gate failed.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CliCommand } from '../command';
import { TwinforgeError, badInput } from '../../core/errors';
import { parseRecipe } from '../../core/recipe/recipe';
import { expandGrid } from '../../core/recipe/grid';
import { compressModel, type CompressRun } from '../../core/pipeline/runner';
import { Reporter, gateExit } from './compress';
import { runOverQueue } from './run-queue';

const USAGE = `twinforge run RECIPE.yaml [--out DIR] [--zoo NAME] [--json]

Runs a recipe (YAML or JSON): every stage, evaluation, gates and exports it describes. Paths in
the recipe are relative to the recipe file. A recipe with a grid makes one twin per cell.

  --out DIR     write the outputs here instead of the recipe's export.dir
  --zoo NAME    run the recipe's grid over every model of a zoo (batch; twins are registered)
  --queue URL   with --zoo: queue the twins on Redis (redis://, rediss://) for \`twinforge worker\`s;
                --token T (or TWINFORGE_TOKEN), --listen HOST:PORT, --store-url URL, --shared-store
                say how workers reach this machine's store (docs/SCALE-OUT.md)
  --json        JSON lines: progress events, then a 'done' event per twin
Exit codes: 0 ok, 2 bad input (recipe or files), 3 a fidelity gate failed, 130 cancelled.`;

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run a compression recipe (YAML/JSON) headless; --zoo runs it over a zoo',
  usage: USAGE,
  options: {
    out: { type: 'string' },
    zoo: { type: 'string' },
    queue: { type: 'string' },
    token: { type: 'string' },
    listen: { type: 'string' },
    'store-url': { type: 'string' },
    'shared-store': { type: 'boolean' },
  },
  async run(args, ctx) {
    const file = args.positionals[0];
    if (!file) throw badInput('run needs a recipe file.', `Usage: ${USAGE.split('\n')[0]}`);
    if (args.positionals.length > 1) throw badInput(`run takes one recipe file, got ${args.positionals.length}.`);
    const abs = path.resolve(file);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new TwinforgeError('NOT_FOUND', `recipe: ${abs} does not exist`, 'Give the path of a recipe .yaml or .json file.');
    if (args.values.queue && !args.values.zoo) throw badInput('--queue needs --zoo NAME (the grid runs over a zoo).');
    if (args.values.zoo && args.values.queue) {
      const v = args.values as Record<string, string | boolean | undefined>;
      return runOverQueue(abs, String(v.zoo), { queue: String(v.queue), token: v.token as string | undefined, listen: v.listen as string | undefined, storeUrl: v['store-url'] as string | undefined, sharedStore: Boolean(v['shared-store']) }, ctx);
    }
    if (args.values.zoo) return runOverZoo(abs, String(args.values.zoo), ctx);
    const text = readFileSync(abs, 'utf8');
    const recipe = parseRecipe(text, { source: file });
    const cells = expandGrid(recipe);
    const rep = new Reporter(ctx);
    const results: CompressRun[] = [];
    for (const cell of cells) {
      const outDir = args.values.out ? path.resolve(String(args.values.out), cell.id) : undefined;
      const r = await compressModel(cell.recipe, {
        signal: ctx.signal,
        baseDir: path.dirname(abs),
        recipeText: text,
        ...(outDir ? { outDir } : {}),
        onProgress: (p) => rep.progress(cells.length > 1 ? { ...p, detail: `${cell.id}${p.detail ? ` ${p.detail}` : ''}` } : p),
        onLog: (l) => rep.log(l),
      });
      rep.done(r, cell.id || undefined);
      results.push(r);
    }
    return gateExit(results);
  },
};

async function runOverZoo(file: string, zoo: string, ctx: Parameters<CliCommand['run']>[1]): Promise<number> {
  let batch: { runBatch: (recipe: string, opts: Record<string, unknown>) => Promise<{ failed: number; made: number; cancelled?: boolean; [k: string]: unknown }> };
  try {
    batch = (await import('../../core/batch/index')) as unknown as typeof batch;
  } catch (err) {
    throw new TwinforgeError('NOT_IMPLEMENTED', `batch runs over a zoo are not available: ${(err as Error).message}`);
  }
  const summary = await batch.runBatch(file, {
    zoo,
    dataDir: ctx.dataDir,
    signal: ctx.signal,
    onEvent: (e: unknown) => {
      if (ctx.json) ctx.out(JSON.stringify({ event: 'batch', ...(e as object) }) + '\n');
      else if (ctx.isTTY) ctx.err(`${JSON.stringify(e)}\n`);
    },
  });
  if (ctx.json) ctx.out(JSON.stringify({ event: 'done', ...summary }) + '\n');
  else ctx.out(`zoo ${zoo}: ${summary.made} twins made, ${summary.failed} failed\n`);
  return summary.failed > 0 ? 1 : 0;
}
