// Every static check that can fail a compression, run before any work: the recipe's schema and
// files, the model's format, the opset conversion a quantized export needs, the input model
// (open dims with synthetic data, control values), and each stage's plan over the model's layers
// (method, pattern, globs). The wizard's recipe check and `twinforge compress --dry-run` call it,
// so a run never fails at 57% for a reason that was knowable at 0%.
import { TwinforgeError } from '../errors';
import { findLayers } from '../methods/layers';
import { openModel } from '../model';
import { buildInputModel, factsFromIR, requireResolved } from '../model/input-model';
import { checkOpset } from '../model/onnx/opset';
import { OnnxModel } from '../model/onnx/reader';
import { UPGRADE_OPSET } from '../model/onnx/upgrade';
import { validateRecipeData } from '../recipe/recipe';
import type { Recipe } from '../recipe/schema';
import { planStage } from './plan';
import { resolveInputs, type CompressOptions } from './runner';

export interface PreflightIssue {
  field: string;
  message: string;
  hint?: string;
}

export interface PreflightResult {
  ok: boolean;
  issues: PreflightIssue[];
  /** Layers each stage would change. */
  stages: { index: number; method: string; layers: number }[];
  warnings: string[];
}

const DATA_AWARE = new Set(['wanda', 'sparsegpt', 'gptq']);

function issueOf(field: string, err: unknown): PreflightIssue {
  if (err instanceof TwinforgeError && err.code !== 'INTERNAL') {
    const nested = (err.details as { issues?: PreflightIssue[] } | undefined)?.issues;
    if (nested?.length) return nested[0];
    return { field, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  throw err;
}

/** Runs the checks in the order a run would meet them; stops at the first that makes later ones meaningless. */
export async function preflight(recipeIn: unknown, opts: CompressOptions = {}): Promise<PreflightResult> {
  const out: PreflightResult = { ok: true, issues: [], stages: [], warnings: [] };
  const fail = (i: PreflightIssue) => {
    out.ok = false;
    out.issues.push(i);
    return out;
  };
  let recipe: Recipe;
  try {
    recipe = validateRecipeData(recipeIn);
  } catch (err) {
    const nested = (err as TwinforgeError).details as { issues?: PreflightIssue[] } | undefined;
    if (err instanceof TwinforgeError && nested?.issues?.length) {
      out.ok = false;
      out.issues.push(...nested.issues);
      return out;
    }
    return fail(issueOf('(recipe)', err));
  }
  let inputs;
  try {
    inputs = await resolveInputs(recipe, opts);
  } catch (err) {
    return fail(issueOf('model', err));
  }
  if (inputs.format !== 'onnx') return out; // safetensors and model folders have their own paths
  const quantizes = (recipe.stages ?? []).some((s) => s.type === 'quantize');
  if (quantizes) {
    let proto: OnnxModel | undefined;
    try {
      proto = OnnxModel.open(inputs.model);
      checkOpset(proto.proto, UPGRADE_OPSET);
    } catch (err) {
      fail(issueOf('model', err));
    } finally {
      proto?.close();
    }
  }
  let ir;
  try {
    ir = openModel(inputs.model);
  } catch (err) {
    return fail(issueOf('model', err));
  }
  try {
    try {
      const im = buildInputModel(factsFromIR(ir), { inputShapes: recipe.inputShapes, dims: recipe.dims, inputValues: recipe.inputValues });
      if (inputs.calibration.source === 'synthetic' || inputs.evaluation.source === 'synthetic') requireResolved(im, 'Compressing with synthetic data');
    } catch (err) {
      fail(issueOf('inputShapes', err));
    }
    const layers = findLayers(ir);
    (recipe.stages ?? []).forEach((stage, index) => {
      try {
        const plan = planStage(stage, index, layers);
        out.stages.push({ index, method: stage.method, layers: plan.chosen.length });
        if (DATA_AWARE.has(stage.method) && inputs.calibration.source === 'synthetic') {
          out.warnings.push(`stages[${index}]: ${stage.method} learns from calibration data; on synthetic inputs its choices are weak. Give real samples.`);
        }
      } catch (err) {
        fail(issueOf(`stages[${index}]`, err));
      }
    });
  } finally {
    ir.close();
  }
  return out;
}
