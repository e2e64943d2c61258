// The 'compress' job kind: runs compressModel in a worker process for the UI (compress.start).
// Grid recipes run cell by cell; the result is what compress.result returns.
import type { JobFunction } from '../jobs/types';
import { validateRecipeData } from '../recipe/recipe';
import { serializeRecipe } from '../recipe/recipe';
import { expandGrid } from '../recipe/grid';
import { compressModel, type CompressRun } from '../pipeline/runner';
import type { Recipe } from '../recipe/schema';
import { registerSingleTwin } from './single';

export interface CompressJobParams {
  recipe: unknown;
  /** Folder relative recipe paths resolve against (default: the worker's cwd). */
  baseDir?: string;
  outDir?: string;
  zoo?: string;
  title?: string;
}

export interface CompressJobResult {
  recipeYaml: string;
  runs: (CompressRun & { cell?: string; zoo?: { zoo: string; modelId: number; parentId: number } })[];
}

/** Registers a finished twin in a zoo (the zoo's own statistics and evaluation follow). */
export async function registerInZoo(zoo: string, dataDir: string, r: CompressRun, recipe: Recipe, baseDir?: string, recipeText?: string): Promise<{ zoo: string; modelId: number; parentId: number }> {
  return registerSingleTwin({
    dataDir,
    zoo,
    parentFile: r.parent,
    twinFile: r.twin,
    recipe,
    ...(recipeText ? { recipeText } : {}),
    ...(baseDir ? { baseDir } : {}),
    pipeline: { metrics: r.metrics, sizes: r.sizes, ...(r.latencyMs ? { latencyMs: { parent: r.latencyMs.parent, twin: r.latencyMs.twin } } : {}), passed: r.passed },
  });
}

export const run: JobFunction<CompressJobParams, CompressJobResult> = async (params, ctx) => {
  const recipe = validateRecipeData(params.recipe);
  const cells = expandGrid(recipe);
  const runs: CompressJobResult['runs'] = [];
  for (const [i, cell] of cells.entries()) {
    if (cells.length > 1) ctx.log(`grid cell ${i + 1}/${cells.length}: ${cell.id}`);
    const r = await compressModel(cell.recipe, {
      signal: ctx.signal,
      baseDir: params.baseDir,
      ...(params.outDir ? { outDir: cells.length > 1 ? `${params.outDir}/${cell.id}` : params.outDir } : {}),
      onLog: (l) => ctx.log(l),
      onProgress: (p) => ctx.progress(cells.length > 1 ? { ...p, detail: `${cell.id}${p.detail ? `: ${p.detail}` : ''}` } : p),
    });
    const zoo = params.zoo ? await registerInZoo(params.zoo, ctx.dataDir, r, cell.recipe, params.baseDir) : undefined;
    if (zoo) ctx.log(`registered in zoo '${zoo.zoo}' as model ${zoo.modelId}`);
    runs.push({ ...r, ...(cell.id ? { cell: cell.id } : {}), ...(zoo ? { zoo } : {}) });
  }
  return { recipeYaml: serializeRecipe(recipe), runs };
};
