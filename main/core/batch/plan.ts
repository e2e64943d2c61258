// Planning a batch: the recipe's grid (methods × patterns × levels × quantization) crossed with
// every model of a zoo, one task per (model, cell), each with a deterministic key. Keys of twins
// already in the zoo are skipped, which is what makes a rerun resume instead of redo.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import { impliedSparsity, parsePattern } from '../methods/sparsity/pattern';
import { expandGrid, type GridCell } from '../recipe/grid';
import { parseRecipe, serializeRecipe, validateRecipeData } from '../recipe/recipe';
import { RecipeSchema, type Recipe } from '../recipe/schema';
import { fieldIssues, issuesError } from '../strict';
import { checkRecipe } from '../recipe/validate';
import type { ZooDb } from '../zoo/db';
import { modelsOfZoo } from '../zoo/repo/models';
import { existingGridKeys } from '../zoo/repo/twins';
import { requireZoo } from '../zoo/repo/zoos';
import { ModelStore } from '../zoo/store';
import type { TwinTask } from './queue';
import { sourceFiles } from '../data/source';

export interface BatchCell {
  id: string;
  values: Record<string, number | string | boolean>;
  recipe: Recipe;
}

export interface BatchPlan {
  zoo: { id: number; name: string };
  /** The recipe as given (before grid expansion). */
  recipe: Recipe;
  recipeText: string;
  baseDir: string;
  cells: BatchCell[];
  /** Every (model, cell) task, finished ones included. */
  tasks: TwinTask[];
  /** Keys of tasks whose twin is already in the zoo. */
  done: Set<string>;
}

/** Reads a recipe from a file (YAML or JSON) or takes recipe data; grid cells are checked later. */
export function loadBatchRecipe(input: string | Record<string, unknown>): { recipe: Recipe; text: string; baseDir: string } {
  if (typeof input === 'string') {
    let text: string;
    try {
      if (!statSync(input).isFile()) throw new Error('not a file');
      text = readFileSync(input, 'utf8');
    } catch {
      throw new TwinforgeError('NOT_FOUND', `Recipe ${input} does not exist or is not a file.`, 'Give the path of a recipe .yaml or .json file.');
    }
    // Cells are checked one by one below (after N:M cells drop their sparsity), not as a whole.
    return { recipe: parseRecipe(text, { source: input, semantic: false }), text, baseDir: path.dirname(path.resolve(input)) };
  }
  const recipe = validateRecipeData(input, { semantic: false });
  return { recipe, text: serializeRecipe(recipe), baseDir: process.cwd() };
}

/**
 * Expands the grid into cells. A cell whose prune stage has an N:M pattern drops its sparsity
 * (N:M fixes it), so `pattern: [unstructured, '2:4'] × sparsity: [0.5, 0.7, 0.9]` gives the three
 * unstructured levels and one 2:4 cell instead of three invalid ones. Every cell is then checked
 * as a recipe of its own.
 */
export function expandCells(recipe: Recipe): BatchCell[] {
  const seen = new Map<string, BatchCell>();
  for (const cell of expandGrid(recipe, { validate: false }) as GridCell[]) {
    const r = structuredClone(cell.recipe);
    const values = { ...cell.values };
    for (const [i, st] of (r.stages ?? []).entries()) {
      if (st.type !== 'prune' || !st.pattern) continue;
      let implied: number | undefined;
      try {
        implied = impliedSparsity(parsePattern(st.pattern));
      } catch {
        continue; // checkRecipe reports the bad pattern below
      }
      if (implied !== undefined && st.sparsity !== undefined) {
        delete st.sparsity;
        for (const k of Object.keys(values)) if (k.replace(/\[(\d+)\]/g, '.$1') === `stages.${i}.sparsity`) delete values[k];
      }
    }
    const order = Object.keys(recipe.grid ?? {});
    const id = Object.entries(values)
      .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
      .map(([k, v]) => `${k.replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => !/^\d+$/.test(p)).pop()}-${String(v).replace(/[^A-Za-z0-9.]+/g, '-')}`)
      .join('_');
    if (r.name && recipe.name) r.name = id ? `${recipe.name} [${id}]` : recipe.name;
    const canon = canonical(withoutVolatile(r));
    if (seen.has(canon)) continue;
    const parsed = RecipeSchema.safeParse(r);
    const issues = parsed.success ? checkRecipe(parsed.data, { grid: false }) : fieldIssues(parsed.error);
    if (issues.length) throw issuesError(`recipe, grid cell '${id || cell.id}'`, issues);
    seen.set(canon, { id, values, recipe: r });
  }
  return [...seen.values()];
}

// Fields that do not change the twin: where it is written and what it is called.
function withoutVolatile(r: Recipe): Record<string, unknown> {
  const { model: _m, name: _n, description: _d, export: _e, $schema: _s, ...rest } = r as Recipe & Record<string, unknown>;
  return rest;
}

/** JSON with object keys sorted at every level: equal data, equal text. */
export function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x)
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/**
 * The twin's grid key: the parent's content and what the cell does to it (plus the content of
 * the model's own data, when the zoo supplied it rather than the recipe).
 */
export function gridKey(parentSha256: string, cellRecipe: Recipe, dataDigest = ''): string {
  return createHash('sha256').update(`twinforge-twin-v1\0${parentSha256}\0${canonical(withoutVolatile(cellRecipe))}${dataDigest ? `\0${dataDigest}` : ''}`).digest('hex');
}

/**
 * A recipe without calibration/evaluation data takes the data stored with the model at import
 * (e.g. from a population manifest); without either, the pipeline uses synthetic inputs.
 */
export function withModelData(r: Recipe, data: { calibration?: string; evaluation?: string } | undefined): Recipe {
  if (!data) return r;
  const out = { ...r };
  const cal = data.calibration ?? data.evaluation;
  if (!out.calibration && cal) out.calibration = { source: cal };
  if (!out.evaluation && data.evaluation) out.evaluation = { source: data.evaluation };
  return out;
}

function digestOf(files: string[], cache: Map<string, string>): string {
  const h = createHash('sha256');
  for (const f of files) {
    let d = cache.get(f);
    if (d === undefined) {
      d = statSync(f).isFile() ? createHash('sha256').update(readFileSync(f)).digest('hex') : f;
      cache.set(f, d);
    }
    h.update(d);
  }
  return h.digest('hex');
}

/** Method, pattern, level and quantization of a cell, as the zoo indexes twins. */
export function cellFacets(r: Recipe): { method: string; pattern: string | null; level: number | null; quantization: string | null } {
  const prune = (r.stages ?? []).find((s) => s.type === 'prune');
  const quant = (r.stages ?? []).find((s) => s.type === 'quantize');
  let pattern: string | null = null;
  let level: number | null = null;
  if (prune && prune.type === 'prune') {
    pattern = prune.pattern ?? 'unstructured';
    level = prune.sparsity ?? null;
    try {
      level = impliedSparsity(parsePattern(pattern)) ?? level;
    } catch {
      // left as written
    }
  }
  let quantization: string | null = null;
  if (quant && quant.type === 'quantize') {
    const a = (quant.args ?? {}) as Record<string, unknown>;
    const detail = ['group', 'groupSize', 'bits', 'scheme'].filter((k) => a[k] !== undefined).map((k) => `${k}=${String(a[k])}`);
    quantization = [quant.method, ...detail].join(' ');
  }
  const method = prune && prune.type === 'prune' ? prune.method : quant ? `${quant.method}-only` : 'none';
  return { method, pattern, level, quantization };
}

/** Plans a batch: every (model of the zoo, cell), with the keys already done. */
export function planBatch(db: ZooDb, input: string | Record<string, unknown>, zooName: string): BatchPlan {
  const { recipe, text, baseDir } = loadBatchRecipe(input);
  const cells = expandCells(recipe);
  if (!cells.length) throw badInput('The recipe grid has no cells.', 'Give each grid key at least one value.');
  const { zoo, models } = db.read(() => {
    const z = requireZoo(db, zooName);
    return { zoo: z, models: modelsOfZoo(db, z.id) };
  });
  if (!models.length) throw badInput(`Zoo '${zoo.name}' has no models.`, `Import some first: twinforge zoo import ${zoo.name} PATH...`);
  const store = new ModelStore(db.dataDir);
  const tasks: TwinTask[] = [];
  const digests = new Map<string, string>();
  for (const m of models) {
    // Model folders are compressed layer by layer by core/llm, not by the grid's graph pipeline.
    if (m.format === 'hf') throw badInput(`Zoo '${zoo.name}' holds the Hugging Face folder '${m.name}'; batch grids run ONNX and safetensors models.`, 'Compress a model folder with `twinforge compress FOLDER --calib TOKENS`, or use a zoo without model folders.');
    const data = (m.meta as { data?: { calibration?: string; evaluation?: string } }).data;
    for (const c of cells) {
      const filled = withModelData(c.recipe, data);
      const used = [filled.calibration !== c.recipe.calibration ? filled.calibration?.source : undefined, filled.evaluation !== c.recipe.evaluation ? filled.evaluation?.source : undefined]
        .flatMap((x) => (x ? sourceFiles(x) : []))
        .filter((x) => existsSync(x));
      const cellRecipe = { ...filled, model: `zoo:${m.sha256}` } as Recipe;
      tasks.push({
        key: gridKey(m.sha256, c.recipe, used.length ? digestOf(used, digests) : ''),
        parentId: m.id,
        parentSha256: m.sha256,
        parentName: m.name,
        parentFile: store.pathOf(m.sha256),
        parentFormat: m.format,
        cellId: c.id,
        cellValues: c.values,
        recipe: cellRecipe as unknown as Record<string, unknown>,
        recipeYaml: serializeRecipe(cellRecipe),
        baseDir,
      });
    }
  }
  const done = existingGridKeys(db, tasks.map((t) => t.key));
  return { zoo: { id: zoo.id, name: zoo.name }, recipe, recipeText: text, baseDir, cells, tasks, done };
}
