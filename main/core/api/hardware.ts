// Hardware awareness as the contract, the CLI and the wizard see it: hw.targets, hw.explain,
// hw.estimate, hw.detect (a job), plan.make, sensitivity (a job). Plain-JSON results over
// main/core/hardware; measured profiles live in the zoo database of the data folder.
import path from 'node:path';
import { badInput } from '../errors';
import { openZoo } from '../zoo/db';
import { getHardwareProfile, saveHardwareProfile } from '../zoo/repo/hardware';
import { costGraph } from '../hardware/costs';
import { detectThisMachine, type DetectOptions, type DetectResult } from '../hardware/detect';
import { explainCost, type Explanation } from '../hardware/explain';
import { estimateModel } from '../hardware/latency';
import { readModelView } from '../hardware/onnx-view';
import { parsePattern, parsePrecision, type LayerOption } from '../hardware/options';
import { builtinProfiles, resolveTarget, THIS_MACHINE, validateProfile, type HardwareProfile, type MeasuredProfileLookup, type Target } from '../hardware/profile';
import { makePlan, parseBudget, planToRecipe, type Budget, type PlanPoint, type PlanResult } from '../hardware/planner';
import { measurePlanLatency, type PlanLatencyCheck } from '../hardware/plan-check';
import { analyzeSensitivity, findSensitivity, saveSensitivity, type SensitivityConfig, type SensitivityOptions, type SensitivityResult } from '../hardware/sensitivity';

export interface HwCallContext {
  dataDir: string;
  signal?: AbortSignal;
}

export interface TargetRow {
  /** What --target takes: "profile:runtime". */
  id: string;
  profile: string;
  runtime: string;
  engine: string;
  default: boolean;
  title: string;
  runtimeTitle: string;
  kind: 'cpu' | 'gpu';
  /** When the profile was measured (this-machine only). */
  measuredAt?: string;
  /** Patterns/precisions the runtime accelerates. */
  accelerates: string[];
}

/** The measured profile stored under `name` in this data folder's zoo, validated; undefined when absent. */
export function measuredProfile(dataDir: string, name = THIS_MACHINE): HardwareProfile | undefined {
  let stored;
  try {
    stored = getHardwareProfile(openZoo(dataDir), name);
  } catch {
    return undefined;
  }
  if (!stored) return undefined;
  return validateProfile(stored.profile, `zoo:${name}`);
}

/** How target resolution finds measured profiles ('this-machine') in the zoo of `dataDir`. */
export function measuredLookup(dataDir: string): MeasuredProfileLookup {
  return (name) => (name === THIS_MACHINE ? measuredProfile(dataDir, name) : undefined);
}

/** Resolves a --target spec, looking up measured profiles in the zoo of `dataDir`. */
export function targetFor(spec: string, dataDir: string): Target {
  return resolveTarget(spec, measuredLookup(dataDir));
}

/** hw.targets: every target (shipped profiles x runtimes, plus this-machine once measured). */
export function hwTargets(ctx: HwCallContext): TargetRow[] {
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

/** One profile as its document (hw.targets detail view). */
export function hwProfile(name: string, ctx: HwCallContext): HardwareProfile['document'] {
  return targetFor(name, ctx.dataDir).profile.document;
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

/** Parses "2:4", "unstructured@0.7", "block4x4@0.8+int8", "int8" into layer options for a target. */
export function parseOptionSpec(spec: string, target: Target): LayerOption {
  const [pat, prec] = spec.split('+');
  const [p, lvl] = pat.split('@');
  if (!prec && /^(fp32|tf32|fp16|bf16|fp8|int8|int4)$/i.test(p)) return { pattern: 'dense', level: 0, precision: parsePrecision(p) };
  const ps = parsePattern(p);
  const level = ps.family === 'nm' ? 1 - ps.n! / ps.m! : ps.family === 'dense' ? 0 : lvl !== undefined ? Number(lvl) : 0.5;
  if (!(level >= 0 && level < 1)) throw badInput(`Bad sparsity level in '${spec}'.`, 'Write e.g. unstructured@0.7 (a fraction below 1).');
  return { pattern: ps.text, level, precision: prec ? parsePrecision(prec) : target.runtime.basePrecision };
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

export interface DetectSummary {
  name: string;
  profile: unknown;
  checks: DetectResult['checks'];
  warnings: string[];
  load: [number, number];
}

/** hw.detect (run as a job): measures this machine and stores the profile in the zoo. */
export async function hwDetect(opts: DetectOptions, ctx: HwCallContext): Promise<DetectSummary> {
  const r = await detectThisMachine({ ...opts, signal: opts.signal ?? ctx.signal });
  saveHardwareProfile(openZoo(ctx.dataDir), THIS_MACHINE, r.profile, (r.profile.measured as { host: string }).host);
  return { name: THIS_MACHINE, profile: r.profile, checks: r.checks, warnings: r.warnings, load: r.load };
}

// ---------- sensitivity and plans ----------

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
  plan: PlanResult;
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
  const { recipeSave } = await import('./compress');
  const write = (p: PlanResult, exportDir: string) => {
    const r = planToRecipe(p, model, { inputShapes: args.inputShapes, exportDir });
    recipeSave({ recipe: r, path: out, overwrite: true });
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

function planCallResult(plan: PlanResult, sens: SensitivityResult, recipe: string | undefined, verification: PlanVerification | undefined): PlanCallResult {
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
async function keepAsIs(model: string, plan: PlanResult, budget: Budget, target: Target, sens: SensitivityResult, args: PlanArgs, ctx: HwCallContext & SensitivityOptions): Promise<PlanCallResult> {
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
export async function verifyPlan(plan: PlanResult, recipe: Record<string, unknown>, target: Target, ctx: HwCallContext & SensitivityOptions, effort = 1): Promise<PlanVerification> {
  const { compressModel } = await import('../pipeline/runner');
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
  const { mkdirSync, readFileSync } = await import('node:fs');
  mkdirSync(path.dirname(out), { recursive: true });
  const r = await hwPlan({ model: args.model, target: args.target, budget: budgetText(args.budget, denseMs), inputShapes: args.inputShapes, out }, ctx);
  const { parseRecipe } = await import('../recipe/recipe');
  return { ...r, recipeData: r.recipe ? parseRecipe(readFileSync(out, 'utf8')) : undefined };
}
