// Hardware awareness as the contract, the CLI and the wizard see it: hw.targets, hw.explain,
// hw.estimate, hw.detect (a job), plan.make, sensitivity (a job). Plain-JSON results over
// main/core/hardware; measured profiles live in the zoo database of the data folder.
import { badInput } from '../errors';
import { openZoo } from '../zoo/db';
import { getHardwareProfile, saveHardwareProfile } from '../zoo/repo/hardware';
import { costGraph } from '../hardware/costs';
import { detectThisMachine, type DetectOptions, type DetectResult } from '../hardware/detect';
import { explainCost, type Explanation } from '../hardware/explain';
import { estimateModel } from '../hardware/latency';
import { readModelView } from '../hardware/onnx-view';
import { parsePattern, parsePrecision, type LayerOption } from '../hardware/options';
import { builtinProfiles, resolveTarget, THIS_MACHINE, validateProfile, type HardwareProfile, type Target } from '../hardware/profile';

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

/** Resolves a --target spec, looking up measured profiles in the zoo of `dataDir`. */
export function targetFor(spec: string, dataDir: string): Target {
  return resolveTarget(spec, (name) => (name === THIS_MACHINE ? measuredProfile(dataDir, name) : undefined));
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
  return explainCost(costGraph(view), target, { options, notes: view.notes });
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
