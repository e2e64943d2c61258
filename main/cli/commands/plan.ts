// `twinforge plan MODEL --target T --budget latency=8ms|size=5MB|sparsity=0.6`: a per-layer plan
// over sparsity and precision jointly, written as a recipe; --verify compresses with it and
// measures the twin. Same core function as the contract's plan.make.
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import { hwPlan, type PlanCallResult } from '../../core/api/hardware';
import { parseInputShapes } from './inspect';

const USAGE = `twinforge plan MODEL --target T --budget latency=8ms|size=5MB|sparsity=0.6 [options]

Chooses per layer a sparsity pattern, level and precision that meets the budget at the least
estimated fidelity loss (sensitivity measured per layer, stored in the zoo and reused), writes the
plan as a recipe and reports the Pareto front of candidate plans.

  --target T                 hardware target (twinforge hw targets)
  --budget KIND=VALUE        latency=8ms, size=5MB or sparsity=0.6
  --input-shape NAME=D1,...  fixes dynamic input dims (repeatable)
  --out FILE                 recipe to write (default MODEL.plan.yaml here)
  --pattern P                patterns the plan may use (repeatable; default unstructured, 2:4, channels)
  --precision Q              precisions the plan may use (repeatable: int8, int4; default both;
                             fp32 alone: no quantization, sparsity and channels only)
  --levels 0.3,0.5,0.7,0.9   sparsity levels to measure sensitivity at
  --sensitivity M            measure | proxy | auto (default auto: measure small models)
  --samples N                evaluation samples per sensitivity run (default 32)
  --calib PATH               calibration/evaluation data (.npy/.npz or folder; default synthetic)
  --verify                   compress with the plan and measure the twin on this machine
  --json                     {recipe, estimated: {latencyMs, sizeBytes, fidelityLoss}, pareto: [...]}`;

function text(r: PlanCallResult): string {
  const p = r.plan;
  const out: string[] = [];
  out.push(`plan for ${p.budgetLabel} on ${p.target}: ${p.feasible ? 'meets the budget (estimated)' : 'DOES NOT meet the budget'}\n`);
  out.push(`dense:     ${p.dense.latencyMs.toFixed(4)} ms, ${(p.dense.sizeBytes / 1e6).toFixed(3)} MB\n`);
  out.push(`estimated: ${p.estimated.latencyMs.toFixed(4)} ms, ${(p.estimated.sizeBytes / 1e6).toFixed(3)} MB, sparsity ${(p.estimated.sparsity * 100).toFixed(1)}%, fidelity loss ${p.estimated.fidelityLoss.toExponential(2)} (~${Number.isFinite(p.estimated.sqnrDb) ? p.estimated.sqnrDb.toFixed(1) : 'inf'} dB SQNR)\n`);
  out.push(`sensitivity: ${r.sensitivity.method}, ${r.sensitivity.entries} entries (${r.sensitivity.key})\n\n`);
  if (!p.choices.length) out.push('no layer changes\n');
  for (const c of p.choices) out.push(`  ${c.layer.padEnd(32)} ${c.label.padEnd(24)} ${c.estimatedMs.toFixed(4)} ms  loss ${c.loss.toExponential(2)}\n`);
  for (const n of p.notes) out.push(`note: ${n}\n`);
  out.push('\nPareto front (latency, size, fidelity loss):\n');
  for (const q of p.pareto) out.push(`  ${q.latencyMs.toFixed(4)} ms  ${(q.sizeBytes / 1e6).toFixed(3)} MB  sparsity ${(q.sparsity * 100).toFixed(0).padStart(3)}%  loss ${q.fidelityLoss.toExponential(2)}  (${q.changes.length} layers changed)\n`);
  out.push(`\nrecipe: ${r.recipe ?? '(none written: the plan changes no layer)'}\n`);
  if (r.verification) {
    const v = r.verification;
    out.push(`\nverified: ${v.met ? 'budget MET' : 'budget MISSED'}${v.over !== undefined ? ` (${(v.over * 100).toFixed(1)}% ${v.over > 0 ? 'over' : 'under'})` : ''}; twin ${v.twin}\n`);
    for (const w of v.why) out.push(`  - ${w}\n`);
    if (v.attempts) {
      out.push(`  attempts (re-planned against the measured error):\n`);
      v.attempts.forEach((a, i) => out.push(`    ${i + 1}. aimed at ${a.aimMs.toFixed(4)} ms, estimated ${a.estimatedMs.toFixed(4)} ms, measured ${a.measuredMs?.toFixed(4) ?? '-'} ms: ${a.met ? 'met' : 'missed'} (${a.twin})\n`));
    }
    if (v.latency?.estimateMs !== undefined) out.push(`  estimate (synthesized from the layer timings below, not run): ${v.latency.estimateMs.toFixed(4)} ms${v.latency.estimateError !== undefined ? `, off by ${(v.latency.estimateError * 100).toFixed(1)}% from the measured twin` : ''}\n`);
    for (const l of v.latency?.sparseLayers ?? []) out.push(`  sparse layer ${l.node} ${l.pattern} (${(l.sparsity * 100).toFixed(1)}% zeros), timed alone: ONNX Runtime ${l.ortMs.toFixed(4)} ms${l.nativeMs !== undefined ? ` -> Twinforge ${l.nativeMs.toFixed(4)} ms` : ` (${l.why})`}\n`);
    out.push(`  fidelity: SQNR ${v.fidelity.sqnrDb.toFixed(1)} dB, cosine ${v.fidelity.cosine.toFixed(4)}${v.fidelity.top1Agreement !== undefined ? `, top-1 agreement ${(v.fidelity.top1Agreement * 100).toFixed(1)}%` : ''}\n`);
  }
  return out.join('');
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Plan per-layer sparsity and precision to meet a latency, size or sparsity budget on a target',
  usage: USAGE,
  options: {
    target: { type: 'string', short: 't' },
    budget: { type: 'string', short: 'b' },
    'input-shape': { type: 'string', multiple: true },
    out: { type: 'string', short: 'o' },
    pattern: { type: 'string', multiple: true },
    precision: { type: 'string', multiple: true },
    levels: { type: 'string' },
    sensitivity: { type: 'string' },
    samples: { type: 'string' },
    calib: { type: 'string' },
    verify: { type: 'boolean' },
  },
  async run(args, ctx) {
    const model = args.positionals[0];
    if (!model) throw badInput('plan needs a model file.', `Usage: ${USAGE.split('\n')[0]}`);
    const target = args.values.target as string | undefined;
    const budget = args.values.budget as string | undefined;
    if (!target) throw badInput('plan needs --target.', 'List targets with: twinforge hw targets');
    if (!budget) throw badInput('plan needs --budget.', 'Use latency=8ms, size=5MB or sparsity=0.6.');
    const levels = args.values.levels === undefined ? undefined : String(args.values.levels).split(',').map(Number);
    if (levels && levels.some((l) => !(l > 0 && l < 1))) throw badInput(`--levels '${String(args.values.levels)}': give fractions between 0 and 1.`, 'Example: --levels 0.3,0.5,0.7,0.9');
    const method = args.values.sensitivity as string | undefined;
    if (method && !['measure', 'proxy', 'auto'].includes(method)) throw badInput(`--sensitivity '${method}' is not measure, proxy or auto.`);
    const samples = args.values.samples === undefined ? undefined : Number(args.values.samples);
    if (samples !== undefined && !(Number.isInteger(samples) && samples > 0)) throw badInput('--samples takes a positive integer.');
    const precisions = args.values.precision as string[] | undefined;
    for (const p of precisions ?? []) if (!['int8', 'int4', 'fp32'].includes(p)) throw badInput(`--precision '${p}': the planner quantizes to int8 or int4, or keeps fp32 (sparsity only).`, 'Give --precision int8, int4 or fp32 (repeatable).');
    const patterns = args.values.pattern as string[] | undefined;
    const inputShapes = parseInputShapes(args.values['input-shape'] as string[] | undefined);
    const r = await hwPlan(
      {
        model,
        target,
        budget,
        inputShapes,
        out: args.values.out as string | undefined,
        patterns,
        precisions,
        verify: !!args.values.verify,
        sensitivity: {
          ...(levels ? { levels } : {}),
          ...(patterns ? { patterns } : {}),
          // fp32 is the float baseline, not a quantization to measure
          ...(precisions ? { precisions: precisions.filter((p): p is 'int8' | 'int4' => p !== 'fp32') } : {}),
          ...(method ? { method: method as 'measure' | 'proxy' | 'auto' } : {}),
          ...(samples ? { samples } : {}),
          ...(args.values.calib ? { calibration: String(args.values.calib) } : {}),
        },
      },
      {
        dataDir: ctx.dataDir,
        signal: ctx.signal,
        progress: ctx.isTTY && !ctx.json ? (d, t, detail) => ctx.err(`\rsensitivity ${d}/${t} ${detail}`.padEnd(70).slice(0, 70)) : undefined,
        log: ctx.json ? undefined : (l) => ctx.err(`${ctx.isTTY ? '\r' : ''}${l}\n`),
      },
    );
    if (ctx.json) ctx.out(JSON.stringify({ recipe: r.recipe, estimated: r.estimated, pareto: r.pareto, feasible: r.plan.feasible, choices: r.plan.choices, notes: r.plan.notes, ...(r.verification ? { verification: r.verification } : {}) }, null, 2) + '\n');
    else ctx.out(text(r));
    return r.verification && !r.verification.met ? 3 : 0;
  },
};
