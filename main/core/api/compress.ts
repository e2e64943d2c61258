// Core functions behind the contract calls of the compression pipeline: methods.list,
// recipe.validate, recipe.save, compress.start (a 'compress' job) and compress.result.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import type { CompressResult } from '../../../preload/contract';
import type { JobRunner } from '../jobs/runner';
import type { JobSnapshot } from '../jobs/types';
import type { MethodInfo } from '../../../preload/contract';
import { listMethods } from '../methods/registry';
import { serializeRecipe, validateRecipeData } from '../recipe/recipe';
import type { FieldIssue } from '../strict';
import { saveRecipeFile } from '../pipeline/recipe-file';
import { preflight } from '../pipeline/preflight';
import type { CompressJobParams, CompressJobResult } from '../batch/compress-job';
import type { CompressReport } from '../pipeline/report';
import { OnnxModel } from '../model/onnx/reader';
import { checkOpset } from '../model/onnx/opset';
import { UPGRADE_OPSET } from '../model/onnx/upgrade';
import type { Recipe } from '../recipe/schema';

/** methods.list: every method with its parameters (JSON Schema), defaults and needs. */
export function methodsList(args: { kind?: 'prune' | 'quantize' } = {}): MethodInfo[] {
  return listMethods(args.kind);
}

export interface RecipeCheckResult {
  ok: boolean;
  issues: FieldIssue[];
  yaml?: string;
}

/** recipe.validate: never throws for a bad recipe; lists the issues, each naming its field. */
export function recipeValidate(args: { recipe: unknown }): RecipeCheckResult {
  try {
    const r = validateRecipeData(args.recipe);
    const opset = opsetIssue(r);
    if (opset) return { ok: false, issues: [opset] };
    return { ok: true, issues: [], yaml: serializeRecipe(r) };
  } catch (err) {
    if (err instanceof TwinforgeError && err.code === 'BAD_INPUT') {
      const issues = (err.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [{ field: '(recipe)', message: err.message }];
      return { ok: false, issues };
    }
    throw err;
  }
}

/**
 * recipe.validate as the wizard calls it: the schema check above, then every static check a run
 * would meet (files, opset, open dims with synthetic data, control values, each stage's plan over
 * the layers) when the model is a file on disk — all before any work.
 */
export async function recipeCheck(args: { recipe: unknown }): Promise<RecipeCheckResult> {
  const base = recipeValidate(args);
  const model = (args.recipe as { model?: unknown } | null)?.model;
  if (!base.ok || typeof model !== 'string' || !path.isAbsolute(model) || !existsSync(model) || statSync(model).isDirectory()) return base;
  const pf = await preflight(args.recipe);
  if (pf.ok) return base;
  return { ok: false, issues: pf.issues.map((i) => ({ field: i.field, message: i.hint ? `${i.message} ${i.hint}` : i.message })) };
}

// A quantized export raises an old model to opset 13: a model the converter refuses is an issue
// of the recipe check, not a failure after calibration (only for a model file given by absolute path).
function opsetIssue(r: Recipe): FieldIssue | undefined {
  if (!r.stages?.some((s) => s.type === 'quantize') || !path.isAbsolute(r.model) || !/\.onnx$/i.test(r.model) || !existsSync(r.model)) return undefined;
  let model: OnnxModel | undefined;
  try {
    model = OnnxModel.open(r.model);
    checkOpset(model.proto, UPGRADE_OPSET);
    return undefined;
  } catch (err) {
    return err instanceof TwinforgeError && err.code === 'UNSUPPORTED' ? { field: 'model', message: `${err.message} ${err.hint ?? ''}`.trim() } : undefined;
  } finally {
    model?.close();
  }
}

/** recipe.save: checks the recipe, then writes it as YAML atomically. */
export function recipeSave(args: { recipe: unknown; path: string; overwrite?: boolean }): { path: string; bytes: number } {
  return saveRecipeFile(args.recipe, args.path, { overwrite: args.overwrite });
}

/** compress.start: validates the recipe here (errors before a worker starts), then submits the job. */
export function compressStart(jobs: JobRunner, args: { recipe: Record<string, unknown>; zoo?: string; title?: string }): JobSnapshot {
  const r = validateRecipeData(args.recipe);
  const params: CompressJobParams = { recipe: r, ...(args.zoo ? { zoo: args.zoo } : {}) };
  return jobs.submit('compress', params, { title: args.title ?? r.name ?? `Compress ${path.basename(r.model)}` });
}

/** compress.result: the outcome of a finished compress job, in the contract's shape. */
export function compressResult(jobs: JobRunner, args: { id: string }): CompressResult {
  const snap = jobs.get(args.id);
  if (snap.kind !== 'compress') throw badInput(`id: job ${args.id} is a '${snap.kind}' job, not a compression`);
  if (snap.state !== 'done') {
    if (snap.state === 'failed' && snap.error) throw new TwinforgeError(snap.error.code, snap.error.message, snap.error.hint);
    throw new TwinforgeError('NOT_FOUND', `Job ${args.id} is ${snap.state}; it has no result yet.`, 'Wait for the job to finish (jobs.get).');
  }
  const res = snap.result as CompressJobResult;
  const last = res.runs[res.runs.length - 1];
  return toContractResult(last, res.recipeYaml, res.runs.length > 1 ? res.runs : undefined);
}

/** Maps a pipeline result (and its report file) to the contract's CompressResult. */
export function toContractResult(r: CompressJobResult['runs'][number], recipeYaml?: string, cells?: unknown[]): CompressResult {
  let report: CompressReport | undefined;
  try {
    report = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
  } catch {
    report = undefined;
  }
  const kind = (f: string) => (/\.twsp$/.test(f) ? 'packed' : /report\.json$/.test(f) ? 'report' : /report\.md$/.test(f) ? 'report-md' : /\.data$/.test(f) ? 'external-data' : 'model');
  return {
    twin: r.twin,
    report: r.report,
    files: r.files.map((f) => ({ path: f, kind: kind(f), bytes: existsSync(f) ? statSync(f).size : 0 })),
    metrics: { ...r.metrics, ...(r.metrics.accuracyParent !== undefined ? { parentAccuracy: r.metrics.accuracyParent } : {}) },
    sizes: { ...r.sizes, ...(r.sizes.packedWeightBytes !== undefined ? { packedBytes: r.sizes.packedWeightBytes } : {}) },
    ...(r.latencyMs
      ? {
          latencyMs: {
            ...r.latencyMs,
            // The latency model's figures for this machine at the timed shapes, beside the measurement.
            ...(r.latencyMs.estimated ? { estimatedParent: r.latencyMs.estimated.parent, estimatedTwin: r.latencyMs.estimated.twin, estimatedTarget: r.latencyMs.estimated.target } : {}),
            ...(report?.latencyMs?.disagreement ? { disagreement: report.latencyMs.disagreement } : {}),
          },
        }
      : {}),
    ...(report?.metrics?.notes?.length ? { metricNotes: report.metrics.notes } : {}),
    ...(report?.metrics?.top1Output ? { top1Output: report.metrics.top1Output } : {}),
    layers: (report?.layers ?? []).map((l) => ({
      name: l.name,
      op: l.op,
      parameters: l.params,
      nonzeros: l.nonzeros,
      sparsity: l.params ? 1 - l.nonzeros / l.params : 0,
      ...(l.prune ? { pattern: l.prune.pattern } : {}),
      ...(l.quant ? { precision: l.quant.scheme } : {}),
      ...(l.prune?.note || l.channels?.reason || l.left?.length ? { note: [l.prune?.note, l.channels?.reason, ...(l.left ?? []).map((x) => x.reason)].filter(Boolean).join('; ') } : {}),
    })),
    gates: r.gates.map((g) => ({ name: g.gate, ok: g.passed, value: g.value, limit: g.limit })),
    recipe: report?.recipe,
    ...(recipeYaml ? { recipeYaml } : {}),
    zoo: r.zoo ?? null,
    warnings: r.warnings,
    passed: r.passed,
    ...(r.sweep ? { sweep: r.sweep } : {}),
    ...(report?.structured ? { structured: report.structured.map((s) => ({ ...s })) } : {}),
    ...(cells ? { cells } : {}),
  };
}
