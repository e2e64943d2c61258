// A recipe with `grid` describes one run per combination of values. Expansion is a pure
// function: each cell is a complete recipe without `grid`, its changed fields set, its export
// folder and name made unique, so a batch runner can call compressModel on each cell.
import { badInput } from '../errors';
import type { Recipe } from './schema';

export type GridScalar = number | string | boolean;

export interface GridCell {
  /** Stable, file-name-safe id, e.g. 'sparsity-0.5_method-wanda'. */
  id: string;
  /** The grid path -> value of this cell. */
  values: Record<string, GridScalar>;
  recipe: Recipe;
}

/** Splits 'stages[0].args.group' or 'stages.0.args.group' into ['stages', 0, 'args', 'group']. */
export function parseGridPath(key: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const raw of key.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (raw === '') throw badInput(`grid key '${key}' is not a field path`, "Write paths like 'stages[0].sparsity' or 'stages[1].args.group'.");
    parts.push(/^\d+$/.test(raw) ? Number(raw) : raw);
  }
  if (parts[0] === 'grid' || parts[0] === 'version') throw badInput(`grid key '${key}' cannot vary '${String(parts[0])}'`);
  return parts;
}

function setPath(obj: Record<string, unknown>, path: (string | number)[], value: GridScalar, key: string): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i];
    if (Array.isArray(cur) && (typeof p !== 'number' || p >= cur.length)) {
      throw badInput(`grid key '${key}': ${typeof p === 'number' ? `index ${p} is past the end of '${path.slice(0, i).join('.')}' (${cur.length} entries)` : `'${path.slice(0, i).join('.')}' is a list`}`);
    }
    const next = (cur as Record<string | number, unknown>)[p];
    if (next === undefined) {
      // Creating objects is fine (e.g. 'stages[0].args.group' when args is absent); list entries must exist.
      if (typeof path[i + 1] === 'number') throw badInput(`grid key '${key}': '${path.slice(0, i + 1).join('.')}' does not exist in the recipe`);
      (cur as Record<string | number, unknown>)[p] = {};
    } else if (typeof next !== 'object' || next === null) {
      throw badInput(`grid key '${key}': '${path.slice(0, i + 1).join('.')}' is not an object or list`);
    }
    cur = (cur as Record<string | number, unknown>)[p];
  }
  if (Array.isArray(cur) && typeof path[path.length - 1] !== 'number') throw badInput(`grid key '${key}' indexes a list with a name`);
  (cur as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

function token(v: GridScalar): string {
  return String(v).replace(/[^A-Za-z0-9.]+/g, '-');
}

/**
 * Expands a recipe's grid into cells (one cell, id '', when there is no grid). With validate
 * (default), each cell is checked like a recipe of its own by `check`.
 */
export function expandGrid(recipe: Recipe, opts: { validate?: boolean; check?: (r: Recipe, cellId: string) => void } = {}): GridCell[] {
  const grid = recipe.grid;
  const { grid: _drop, ...base } = recipe;
  if (!grid || Object.keys(grid).length === 0) return [{ id: '', values: {}, recipe: structuredClone(base) as Recipe }];
  const keys = Object.keys(grid);
  const paths = keys.map(parseGridPath);
  const cells: GridCell[] = [];
  const total = keys.reduce((a, k) => a * grid[k].length, 1);
  if (total > 10_000) throw badInput(`grid: ${total} combinations is too many (limit 10000)`);
  for (let c = 0; c < total; c++) {
    let rest = c;
    const values: Record<string, GridScalar> = {};
    const r = structuredClone(base) as Recipe & Record<string, unknown>;
    const ids: string[] = [];
    for (let k = keys.length - 1; k >= 0; k--) {
      const vs = grid[keys[k]];
      const v = vs[rest % vs.length];
      rest = Math.floor(rest / vs.length);
      values[keys[k]] = v;
    }
    keys.forEach((key, k) => {
      setPath(r, paths[k], values[key], key);
      const last = paths[k].filter((p) => typeof p === 'string').pop() as string;
      ids.push(`${last}-${token(values[key])}`);
    });
    const id = ids.join('_');
    if (r.name) r.name = `${r.name} [${id}]`;
    if (r.export) r.export = { ...r.export, dir: `${r.export.dir}/${id}` };
    if (opts.validate !== false && opts.check) opts.check(r, id);
    cells.push({ id, values, recipe: r });
  }
  return cells;
}
