// Checks zod cannot express: method names and their args (each method's strict schema), patterns,
// sparsity against the pattern, stage order, sweep and grid references. Every issue names a field.
import { getMethodDefinition, methodNames } from '../methods/registry';
import { parsePattern, impliedSparsity, type Pattern } from '../methods/sparsity/pattern';
import { TwinforgeError } from '../errors';
import type { Recipe, Stage } from './schema';
import { fieldIssues, nearest, type FieldIssue } from '../strict';
import { expandGrid } from './grid';

/** All semantic problems of a schema-valid recipe (empty when it is runnable as far as text goes). */
export function checkRecipe(recipe: Recipe, opts: { grid?: boolean } = {}): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stages = recipe.stages ?? [];
  let sawQuant = -1;
  stages.forEach((stage, i) => {
    const f = `stages[${i}]`;
    checkStage(stage, f, issues, recipe);
    if (stage.type === 'quantize') {
      if (sawQuant >= 0) issues.push({ field: `${f}.type`, message: `only one quantize stage per recipe (stages[${sawQuant}] is one already)` });
      sawQuant = i;
    } else if (sawQuant >= 0) {
      issues.push({ field: `${f}.type`, message: `prune stages must come before the quantize stage (stages[${sawQuant}]): quantization keeps the zeros, pruning would undo the codes` });
    }
  });
  if (stages.length === 0 && !recipe.sweep) {
    issues.push({ field: 'stages', message: 'a recipe needs at least one stage (prune or quantize) or a sweep' });
  }
  if (recipe.sweep) {
    const idx = recipe.sweep.stage ?? stages.findIndex((s) => s.type === 'prune');
    if (idx < 0 || idx >= stages.length || stages[idx].type !== 'prune') {
      issues.push({ field: recipe.sweep.stage !== undefined ? 'sweep.stage' : 'sweep', message: 'a sweep needs a prune stage to sweep (add one to stages, or set sweep.stage to its index)' });
    } else {
      const st = stages[idx];
      if (st.type === 'prune' && st.pattern && safePattern(st.pattern)?.kind === 'nm') {
        issues.push({ field: 'sweep.levels', message: `stage ${idx} has the N:M pattern '${st.pattern}', whose sparsity is fixed; sweep an unstructured, block or channel stage` });
      }
    }
  }
  if (recipe.grid && opts.grid !== false) {
    for (const key of Object.keys(recipe.grid)) {
      try {
        expandGrid({ ...recipe, grid: { [key]: recipe.grid[key] } }, { validate: false });
      } catch (err) {
        issues.push({ field: `grid.${key}`, message: err instanceof TwinforgeError ? err.message : String(err) });
      }
    }
  }
  return issues;
}

function safePattern(s: string): Pattern | undefined {
  try {
    return parsePattern(s);
  } catch {
    return undefined;
  }
}

function checkStage(stage: Stage, f: string, issues: FieldIssue[], recipe: Recipe): void {
  const def = getMethodDefinitionOrUndefined(stage.method);
  if (!def) {
    const all = methodNames();
    const near = nearest(stage.method, all);
    issues.push({ field: `${f}.method`, message: `unknown method '${stage.method}'; known methods: ${all.join(', ')}${near ? ` (did you mean '${near}'?)` : ''}` });
    return;
  }
  if (def.kind !== stage.type) {
    issues.push({ field: `${f}.method`, message: `'${stage.method}' is a ${def.kind} method, this is a ${stage.type} stage; ${stage.type} methods: ${methodNames(stage.type).join(', ')}` });
    return;
  }
  const parsed = def.config.safeParse(stage.args ?? {});
  if (!parsed.success) issues.push(...fieldIssues(parsed.error, `${f}.args`));
  if (stage.type === 'prune') {
    let pattern: Pattern | undefined;
    try {
      pattern = parsePattern(stage.pattern ?? 'unstructured', `${f}.pattern`);
    } catch (err) {
      issues.push({ field: `${f}.pattern`, message: stripField((err as Error).message) });
    }
    if (pattern) {
      if (def.patterns && !def.patterns.includes(pattern.kind)) {
        issues.push({ field: `${f}.pattern`, message: `method '${def.name}' does not support ${pattern.kind} patterns (it supports: ${def.patterns.join(', ')})` });
      }
      const implied = impliedSparsity(pattern);
      if (implied !== undefined) {
        if (stage.sparsity !== undefined && Math.abs(stage.sparsity - implied) > 1e-9) {
          issues.push({ field: `${f}.sparsity`, message: `pattern ${stage.pattern} means sparsity ${round(implied)}; got ${stage.sparsity} (leave sparsity out for N:M)` });
        }
      } else if (stage.sparsity === undefined && !recipe.sweep) {
        issues.push({ field: `${f}.sparsity`, message: `a ${pattern.kind} prune stage needs a sparsity level (0 <= s < 1)` });
      }
    }
    (stage.overrides ?? []).forEach((o, j) => {
      if (o.pattern !== undefined) {
        try {
          const p = parsePattern(o.pattern, `${f}.overrides[${j}].pattern`);
          if (def.patterns && !def.patterns.includes(p.kind)) issues.push({ field: `${f}.overrides[${j}].pattern`, message: `method '${def.name}' does not support ${p.kind} patterns` });
          const imp = impliedSparsity(p);
          if (imp !== undefined && o.sparsity !== undefined && Math.abs(o.sparsity - imp) > 1e-9) {
            issues.push({ field: `${f}.overrides[${j}].sparsity`, message: `pattern ${o.pattern} means sparsity ${round(imp)}; got ${o.sparsity}` });
          }
        } catch (err) {
          issues.push({ field: `${f}.overrides[${j}].pattern`, message: stripField((err as Error).message) });
        }
      }
    });
  } else {
    (stage.overrides ?? []).forEach((o, j) => {
      if (o.args) {
        const r = def.config.safeParse({ ...(stage.args ?? {}), ...o.args });
        if (!r.success) issues.push(...fieldIssues(r.error, `${f}.overrides[${j}].args`));
      }
    });
  }
}

function getMethodDefinitionOrUndefined(name: string) {
  try {
    return getMethodDefinition(name);
  } catch {
    return undefined;
  }
}

function stripField(message: string): string {
  return message.replace(/^[^:]*: /, '');
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
