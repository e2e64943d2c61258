// The closed planning loop: sensitivity (stored or measured) -> joint plan for a budget -> a
// recipe file; with verify, the twin is compressed and measured, and a latency plan that misses
// is re-planned against the latency model's measured error. The api/ adapters and the CLI call it.
import path from 'node:path';
import { compressModel } from '../pipeline/runner';
import { saveRecipeFile } from '../pipeline/recipe-file';
import { costGraph } from '../hardware/costs';
import { readModelView } from '../hardware/onnx-view';
import type { Target } from '../hardware/profile';
import { makePlan, parseBudget, planToRecipe, type Budget, type PlanPoint, type JointPlan } from './planner';
import { measurePlanLatency, type PlanLatencyCheck } from './plan-check';
import { analyzeSensitivity, findSensitivity, saveSensitivity, type SensitivityConfig, type SensitivityOptions, type SensitivityResult } from './sensitivity';
import { measuredLookup, targetFor, type HwCallContext } from '../hardware/profile-store';

export interface SensitivityArgs extends SensitivityConfig {
  model: string;
  /** Reuse a stored result for the same model and settings (default true). */
  reuse?: boolean;
}

/** sensitivity (run as a job): per-layer fidelity loss against sparsity and precision, stored in the zoo. */
export async function hwSensitivity(args: SensitivityArgs, ctx: HwCallContext & SensitivityOptions): Promise<SensitivityResult> {
  const { model, reuse, ...cfg } = args;
  if (reuse !== false) {
    const found = findSensitivity(ctx.dataDir, model, cfg);
    if (found) {
      ctx.log?.(`reusing stored sensitivity ${found.key} (${found.createdAt})`);
      return found;
    }
  }
  const r = await analyzeSensitivity(model, cfg, { signal: ctx.signal, progress: ctx.progress, log: ctx.log });
  saveSensitivity(ctx.dataDir, r);
  return r;
}

export interface PlanArgs {
  model: string;
  target: string;
  /** "latency=8ms" | "size=5MB" | "sparsity=0.6" */
  budget: string;
  inputShapes?: Record<string, number[]>;
  /** Where to write the recipe (default: <model name>.plan.yaml in the current folder). */
  out?: string;
  sensitivity?: SensitivityConfig;
  patterns?: string[];
  precisions?: string[];
  /** Compress with the recipe and measure the twin on this machine. */
  verify?: boolean;
  /** Scales the verification's timing budgets (1: ~2 s per model timed). */
  effort?: number;
}

export interface PlanVerification {
  twin: string;
  measuredMs?: number;
  parentMs?: number;
  met: boolean;
  /** (measured - budget) / budget, for latency and size budgets. */
  over?: number;
  why: string[];
  fidelity: { sqnrDb: number; cosine: number; top1Agreement?: number };
  /** How the latency was measured (latency budgets): runtime, threads, sparse layers on Twinforge's kernels. */
  latency?: PlanLatencyCheck;
  /** Latency plans that missed are re-planned against the measured error: every attempt, in order. */
  attempts?: PlanAttempt[];
}

export interface PlanAttempt {
  /** The latency the planner aimed at, its estimate, and what the twin measured (ms). */
  aimMs: number;
  estimatedMs: number;
  measuredMs?: number;
  met: boolean;
  twin: string;
}

export interface PlanCallResult {
  /** The recipe written (absent when the plan changes no layer). */
  recipe?: string;
  estimated: { latencyMs: number; sizeBytes: number; fidelityLoss: number };
  pareto: PlanPoint[];
  plan: JointPlan;
  sensitivity: { key: string; method: string; entries: number };
  verification?: PlanVerification;
}

/** plan.make: sensitivity (stored or measured) -> joint plan for the budget -> a recipe file; optionally compressed and measured. */
export async function hwPlan(args: PlanArgs, ctx: HwCallContext & SensitivityOptions): Promise<PlanCallResult> {
  const target = targetFor(args.target, ctx.dataDir);
  const budget = parseBudget(args.budget);
  const model = path.resolve(args.model);
  const sens = await hwSensitivity({ model, ...(args.inputShapes ? { inputShapes: args.inputShapes } : {}), ...(args.sensitivity ?? {}) }, ctx);
  const view = await readModelView(model, args.inputShapes);
  const cost = costGraph(view);
  const planOpts = { patterns: args.patterns, precisions: args.precisions };
  let plan = makePlan(cost, target, sens, budget, planOpts);
  const out = path.resolve(args.out ?? `${path.basename(model, path.extname(model))}.plan.yaml`);
  const twinDir = path.join(path.dirname(out), `${path.basename(out).replace(/\.(ya?ml|json)$/, '')}-twin`);
  const write = (p: JointPlan, exportDir: string) => {
    const r = planToRecipe(p, model, { inputShapes: args.inputShapes, exportDir });
    saveRecipeFile(r, out, { overwrite: true });
    return r;
  };
  if (plan.choices.length === 0) return keepAsIs(model, plan, budget, target, sens, args, ctx);
  let recipe = write(plan, twinDir);
  let verification: PlanVerification | undefined;
  if (args.verify) {
    verification = await verifyPlan(plan, recipe, target, ctx, args.effort);
    // Closed loop: a latency plan that misses is re-planned against a budget tightened by the
    // latency model's measured error on this very twin, compressed and measured again (twice at
    // most). Every attempt's twin is kept in its own folder; the recipe ends as the last attempt.
    const attempts: PlanAttempt[] = [{ aimMs: budget.kind === 'latency' ? budget.seconds * 1e3 : 0, estimatedMs: plan.estimated.latencyMs, measuredMs: verification.measuredMs, met: verification.met, twin: verification.twin }];
    let aim = budget.kind === 'latency' ? budget.seconds : 0;
    for (let round = 2; round <= 3 && budget.kind === 'latency' && !verification.met && verification.measuredMs; round++) {
      const ratio = verification.measuredMs / plan.estimated.latencyMs;
      if (!(ratio > 1.02)) break;
      aim /= ratio;
      const next = makePlan(cost, target, sens, { kind: 'latency', seconds: aim }, planOpts);
      if (!next.feasible) {
        verification.why.push(`re-planning for ${(aim * 1e3).toFixed(4)} ms (the budget less the latency model's measured ${((ratio - 1) * 100).toFixed(0)}% under-estimate) found no plan: the options measured cannot go faster`);
        break;
      }
      ctx.log?.(`attempt ${round}: the twin measured ${verification.measuredMs.toFixed(4)} ms against ${plan.estimated.latencyMs.toFixed(4)} ms estimated; re-planning for ${(aim * 1e3).toFixed(4)} ms`);
      plan = { ...next, budget, budgetLabel: plan.budgetLabel, notes: [...next.notes, `re-planned (attempt ${round}) for ${(aim * 1e3).toFixed(4)} ms after the twin of the previous plan measured ${verification.measuredMs.toFixed(4)} ms against ${attempts[attempts.length - 1].estimatedMs.toFixed(4)} ms estimated`] };
      recipe = write(plan, `${twinDir}-${round}`);
      verification = await verifyPlan(plan, recipe, target, ctx, args.effort);
      attempts.push({ aimMs: aim * 1e3, estimatedMs: plan.estimated.latencyMs, measuredMs: verification.measuredMs, met: verification.met, twin: verification.twin });
    }
    if (attempts.length > 1) verification.attempts = attempts;
  }
  return planCallResult(plan, sens, out, verification);
}

function planCallResult(plan: JointPlan, sens: SensitivityResult, recipe: string | undefined, verification: PlanVerification | undefined): PlanCallResult {
  return {
    ...(recipe ? { recipe } : {}),
    estimated: { latencyMs: plan.estimated.latencyMs, sizeBytes: plan.estimated.sizeBytes, fidelityLoss: plan.estimated.fidelityLoss },
    pareto: plan.pareto,
    plan,
    sensitivity: { key: sens.key, method: sens.method, entries: sens.entries.length },
    ...(verification ? { verification } : {}),
  };
}

/** A plan that changes no layer: no recipe to write (a recipe needs a stage); --verify times the model itself. */
async function keepAsIs(model: string, plan: JointPlan, budget: Budget, target: Target, sens: SensitivityResult, args: PlanArgs, ctx: HwCallContext & SensitivityOptions): Promise<PlanCallResult> {
  const notes = [...plan.notes, plan.feasible ? `the model as it is meets ${plan.budgetLabel} (estimated ${plan.estimated.latencyMs.toFixed(4)} ms): nothing to compress, no recipe written` : `no layer option brings the model closer to ${plan.budgetLabel}: no recipe written`];
  plan = { ...plan, notes };
  let verification: PlanVerification | undefined;
  if (args.verify) {
    const why: string[] = [];
    let met = plan.feasible;
    let over: number | undefined;
    let measuredMs: number | undefined;
    let latency: PlanLatencyCheck | undefined;
    if (budget.kind === 'latency') {
      latency = await measurePlanLatency(model, model, plan, target, { inputShapes: args.inputShapes, signal: ctx.signal, effort: args.effort });
      measuredMs = latency.parentMs;
      over = (measuredMs - budget.seconds * 1e3) / (budget.seconds * 1e3);
      met = over <= 0;
      why.push(`the model as it is measured ${measuredMs.toFixed(4)} ms (${latency.threads} thread(s)) against the ${(budget.seconds * 1e3).toFixed(4)} ms budget`);
    } else why.push('nothing was compressed: the estimate of an unchanged model is its measurement');
    verification = { twin: model, measuredMs, parentMs: measuredMs, met, ...(over !== undefined ? { over } : {}), why, fidelity: { sqnrDb: Infinity, cosine: 1 }, ...(latency ? { latency } : {}) };
  }
  return planCallResult(plan, sens, undefined, verification);
}

/** Compresses with the plan's recipe, measures the twin, and says whether the budget is met, by how much it misses and why. */
export async function verifyPlan(plan: JointPlan, recipe: Record<string, unknown>, target: Target, ctx: HwCallContext & SensitivityOptions, effort = 1): Promise<PlanVerification> {
  const res = await compressModel({ ...recipe, evaluation: { source: 'synthetic', latency: { warmup: 10, runs: 60 } } } as never, { signal: ctx.signal, onLog: ctx.log, measuredProfile: measuredLookup(ctx.dataDir) });
  const why: string[] = [];
  const b = plan.budget;
  let met = true;
  let over: number | undefined;
  let measuredMs: number | undefined;
  let parentMs: number | undefined;
  let latency: PlanLatencyCheck | undefined;
  if (b.kind === 'latency') {
    const engine = target.runtime.engine;
    if (engine !== 'onnxruntime' && engine !== 'twinforge') why.push(`the target runs ${target.runtime.title}, which is not on this machine: the twin was timed in ONNX Runtime here instead`);
    const sparse = plan.choices.filter((c) => c.pattern !== 'dense' && c.pattern !== 'channels');
    if (sparse.length && engine === 'onnxruntime') why.push(`${sparse.length} layer(s) use sparse patterns ONNX Runtime runs as dense: they were chosen for fidelity/size, not speed`);
    ctx.log?.('timing parent and twin as the target runs them');
    latency = await measurePlanLatency(String(recipe.model), res.twin, plan, target, { inputShapes: recipe.inputShapes as Record<string, number[]> | undefined, signal: ctx.signal, effort });
    measuredMs = latency.twinMs;
    parentMs = latency.parentMs;
    why.push(...latency.notes);
    const budgetMs = b.seconds * 1e3;
    over = (measuredMs - budgetMs) / budgetMs;
    met = measuredMs <= budgetMs;
    const err = (plan.estimated.latencyMs - measuredMs) / measuredMs;
    const how = `${latency.engine === 'onnxruntime' ? 'ONNX Runtime' : latency.measured ? 'end to end through the twin runtime: ONNX Runtime + Twinforge kernels for the sparse layers' : "an ESTIMATE, synthesized: the twin runtime could not run the twin"}, ${latency.threads} thread(s); parent ${parentMs.toFixed(4)} ms`;
    if (!met) {
      why.push(`measured ${measuredMs.toFixed(4)} ms (${how}), ${(over * 100).toFixed(1)}% over the ${budgetMs.toFixed(4)} ms budget`);
      why.push(`the latency model estimated ${plan.estimated.latencyMs.toFixed(4)} ms (error ${(err * 100).toFixed(1)}%)`);
      const callMs = target.runtime.perCall * 1e3;
      if (callMs > 0.3 * budgetMs) why.push(`the runtime's fixed cost per call (~${callMs.toFixed(4)} ms) is a large share of the budget and no compression removes it`);
      if (!plan.feasible) why.push('the planner already found no plan within the budget (see its notes)');
    } else why.push(`measured ${measuredMs.toFixed(4)} ms (${how}) within the ${budgetMs.toFixed(4)} ms budget (estimate ${plan.estimated.latencyMs.toFixed(4)} ms, error ${(err * 100).toFixed(1)}%)`);
  } else if (b.kind === 'size') {
    const bytes = res.sizes.packedWeightBytes ?? res.sizes.twinBytes;
    over = (bytes - b.bytes) / b.bytes;
    met = bytes <= b.bytes;
    why.push(`${res.sizes.packedWeightBytes !== undefined ? 'packed weights' : 'twin file'} ${(bytes / 1e6).toFixed(3)} MB vs budget ${(b.bytes / 1e6).toFixed(3)} MB`);
  } else {
    met = res.sizes.sparsity >= b.fraction - 1e-3;
    why.push(`twin sparsity ${(res.sizes.sparsity * 100).toFixed(1)}% vs budget ${(b.fraction * 100).toFixed(1)}%`);
  }
  return {
    twin: res.twin,
    measuredMs,
    parentMs: parentMs ?? res.latencyMs?.parent,
    met,
    ...(over !== undefined ? { over } : {}),
    why,
    fidelity: { sqnrDb: res.metrics.sqnrDb, cosine: res.metrics.cosine, ...(res.metrics.top1Agreement !== undefined ? { top1Agreement: res.metrics.top1Agreement } : {}) },
    ...(latency ? { latency } : {}),
  };
}
