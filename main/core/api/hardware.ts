// Hardware awareness as the contract, the CLI and the wizard see it: hw.targets, hw.explain,
// hw.estimate, hw.detect (a job), plan.make, sensitivity (a job). Adapters only: the planning
// loop is planning/plan-loop.ts, measured profiles in the zoo are hardware/profile-store.ts.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TargetInfo } from '../../../preload/contract';
import { badInput } from '../errors';
import { parseRecipe } from '../recipe/recipe';
import { costGraph } from '../hardware/costs';
import { DETECT_PLANS, detectBudget, type DetectMode } from '../hardware/detect-plan';
import { samplesDir } from '../paths';
import { explainCost, type Explanation } from '../hardware/explain';
import { estimateModel } from '../hardware/latency';
import { readModelView } from '../hardware/onnx-view';
import { parseOptionSpec } from '../hardware/options';
import { builtinProfiles } from '../hardware/profile';
import { measuredProfile, targetFor, type HwCallContext } from '../hardware/profile-store';
import { hwPlan, type PlanCallResult } from '../planning/plan-loop';
import type { SensitivityOptions } from '../planning/sensitivity';

// The engine functions these calls adapt, re-exported for the hosts (CLI, IPC, web).
export { measuredLookup, measuredProfile, targetFor, hwDetect, type DetectSummary, type HwCallContext } from '../hardware/profile-store';
export { hwPlan, hwSensitivity, verifyPlan, type PlanArgs, type PlanAttempt, type PlanCallResult, type PlanVerification, type SensitivityArgs } from '../planning/plan-loop';


/** hw.detectModes: full and quick measurement with the duration their budgets add up to (the shipped sample models are the checks). */
export function detectModes(): { mode: DetectMode; passes: number; effort: number; timingSeconds: number; expectedSeconds: number }[] {
  const shipped = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => f.endsWith('.onnx')).length : 0;
  return (['full', 'quick'] as const).map((mode) => {
    const plan = DETECT_PLANS[mode];
    return { mode, passes: plan.passes, effort: plan.effort, ...detectBudget(plan, shipped) };
  });
}

/** hw.targets: every target (shipped profiles x runtimes, plus this-machine once measured). */
export function hwTargets(ctx: HwCallContext): TargetInfo[] {
  const profiles = [...builtinProfiles()];
  const mine = measuredProfile(ctx.dataDir);
  if (mine) profiles.unshift(mine);
  return profiles.flatMap((p) =>
    p.runtimes.map((r) => ({
      id: `${p.name}:${r.id}`,
      profile: p.name,
      runtime: r.id,
      engine: r.engine,
      default: r.isDefault,
      title: p.title,
      runtimeTitle: r.title,
      kind: p.kind,
      ...(p.measured ? { measuredAt: p.measured.at } : {}),
      accelerates: r.speedups.filter((s) => s.accelerated).map((s) => `${s.pattern === 'dense' ? '' : `${s.pattern} `}${s.precision}`.trim()),
    })),
  );
}

export interface ExplainArgs {
  model: string;
  target: string;
  inputShapes?: Record<string, number[]>;
  /** Restrict the options judged, e.g. ["2:4", "unstructured@0.7", "dense+int8"]. */
  options?: string[];
  /** Measured layer speedups by `${node}|${label}` (from hw validate). */
  measured?: Map<string, number>;
}

/** hw.explain: per layer and option, estimated speedup, verdict and reason on a target. */
export async function hwExplain(args: ExplainArgs, ctx: HwCallContext): Promise<Explanation> {
  const target = targetFor(args.target, ctx.dataDir);
  const view = await readModelView(args.model, args.inputShapes);
  const options = args.options?.map((s) => parseOptionSpec(s, target));
  return explainCost(costGraph(view), target, { options, notes: view.notes, measured: args.measured });
}

export interface EstimateResult {
  target: string;
  latencyMs: number;
  callOverheadMs: number;
  memoryLevel: string;
  layers: { name: string; op: string; ms: number; bound: string }[];
  notes: string[];
}

/** hw.estimate: the latency model's whole-model and per-node estimate (dense). */
export async function hwEstimate(args: { model: string; target: string; inputShapes?: Record<string, number[]> }, ctx: HwCallContext): Promise<EstimateResult> {
  const target = targetFor(args.target, ctx.dataDir);
  const view = await readModelView(args.model, args.inputShapes);
  const est = estimateModel(costGraph(view), target);
  return {
    target: target.id,
    latencyMs: est.seconds * 1e3,
    callOverheadMs: (est.callSeconds + est.outputSeconds) * 1e3,
    memoryLevel: est.memoryLevel,
    layers: est.layers.filter((l) => !l.fused).map((l) => ({ name: l.name, op: l.op, ms: l.seconds * 1e3, bound: l.bound })),
    notes: view.notes,
  };
}

/** The contract's budget object ({latencyMs} | {sizeMb} | {sparsity} | {speedup}) as a planner budget text. */
export function budgetText(b: { latencyMs?: number; sizeMb?: number; sparsity?: number; speedup?: number }, denseMs?: number): string {
  if (b.latencyMs !== undefined) return `latency=${b.latencyMs}ms`;
  if (b.sizeMb !== undefined) return `size=${b.sizeMb}MB`;
  if (b.sparsity !== undefined) return `sparsity=${b.sparsity}`;
  if (b.speedup !== undefined) {
    if (!denseMs) throw badInput('budget.speedup needs the dense latency estimate.');
    return `latency=${denseMs / b.speedup}ms`;
  }
  throw badInput('budget: give latencyMs, sizeMb, sparsity or speedup.');
}

/**
 * plan.make as the contract calls it: {model, target, budget: {latencyMs|sizeMb|sparsity|speedup},
 * inputShapes} -> {recipe, recipeData, estimated, pareto (each point with its stages), ...}. The
 * recipe is written under <dataDir>/plans/.
 */
export async function planMakeCall(args: { model: string; target: string; budget: { latencyMs?: number; sizeMb?: number; sparsity?: number; speedup?: number }; inputShapes?: Record<string, number[]> }, ctx: HwCallContext & SensitivityOptions): Promise<PlanCallResult & { recipeData: unknown }> {
  let denseMs: number | undefined;
  if (args.budget.speedup !== undefined) denseMs = (await hwEstimate({ model: args.model, target: args.target, inputShapes: args.inputShapes }, ctx)).latencyMs;
  const base = path.basename(args.model).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  const out = path.join(ctx.dataDir, 'plans', `${base}-${new Date().toISOString().replace(/[:.]/g, '-')}.plan.yaml`);
  mkdirSync(path.dirname(out), { recursive: true });
  const r = await hwPlan({ model: args.model, target: args.target, budget: budgetText(args.budget, denseMs), inputShapes: args.inputShapes, out }, ctx);
  return { ...r, recipeData: r.recipe ? parseRecipe(readFileSync(out, 'utf8')) : undefined };
}
