// `twinforge hw targets|detect|explain|estimate|validate`: hardware awareness from the command
// line, over the same core functions as the contract's hw.* calls.
import path from 'node:path';
import type { CliCommand, CliContext, ParsedCommandArgs } from '../command';
import { badInput } from '../../core/errors';
import { hwDetect, hwEstimate, hwExplain, hwTargets, targetFor } from '../../core/api/hardware';
import { validateModel } from '../../core/hardware/validate';
import { validateTarget, type TargetValidation } from '../../core/twin-runtime/validate';
import type { Explanation } from '../../core/hardware/explain';
import { parseInputShapes } from './inspect';

const USAGE = `Usage: twinforge hw <subcommand> [options]

  hw targets                               every target (profile:runtime) and what it accelerates
  hw detect [--quick] [--effort X] [--check MODEL ...]
                                           measure this machine; stores the 'this-machine' profile
                                           (--quick: one pass of small probes at a quarter budget,
                                           checked on one sample model: rougher figures, ~1/4 the time)
  hw explain MODEL --target T [--input-shape NAME=D1,D2,...] [--option SPEC ...] [--measure]
                                           per layer and option: estimated speedup, verdict, reason
                                           (--measure: also time every option here: measuredSpeedup)
  hw estimate MODEL --target T [--input-shape ...]
                                           estimated latency, whole model and per node
  hw validate MODEL --target T [--input-shape ...] [--effort X] [--option SPEC ...]
                                           measure every option the explainer judged; print the
                                           share of verdicts measurement confirms

Targets: NAME or NAME:RUNTIME (twinforge hw targets), 'this-machine' after hw detect, or a profile .json.
Option SPECs: 2:4, unstructured@0.7, block4x4@0.8, channels@0.5, int8, 2:4+int8.
Options: --json (one JSON object), --data-dir DIR`;

function print(ctx: CliContext, value: unknown, text: () => string): void {
  ctx.out(ctx.json ? JSON.stringify(value, null, 2) + '\n' : text());
}

function table(rows: (string | number)[][]): string {
  if (!rows.length) return '';
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

function modelArg(args: ParsedCommandArgs, sub: string): string {
  const m = args.positionals[1];
  if (!m) throw badInput(`hw ${sub} needs a model file.`, 'See: twinforge hw --help');
  return m;
}

function targetArg(args: ParsedCommandArgs, sub: string): string {
  const t = args.values.target as string | undefined;
  if (!t) throw badInput(`hw ${sub} needs --target.`, 'List targets with: twinforge hw targets');
  return t;
}

function explanationText(e: Explanation): string {
  const out: string[] = [`target ${e.target} — ${e.runtime}\n${e.hardware}\nestimated ${e.modelMs.toFixed(4)} ms per call (${e.callOverheadMs.toFixed(4)} ms fixed call cost; weights from ${e.memoryLevel})\n`];
  for (const n of e.notes) out.push(`note: ${n}\n`);
  for (const l of e.layers) {
    const g = l.gemm ? ` M=${l.gemm.m} N=${l.gemm.n} K=${l.gemm.k}` : '';
    out.push(`\n${l.name} (${l.op} [${l.weightShape.join('x')}]${g}) ${l.denseMs.toFixed(4)} ms, ${(l.share * 100).toFixed(1)}% of the model, ${l.bound}-bound\n`);
    out.push(
      table(
        l.options.map((o) => [
          `  ${o.label}`,
          `${o.estimatedSpeedup.toFixed(2)}x`,
          o.measuredSpeedup !== undefined ? `measured ${o.measuredSpeedup.toFixed(2)}x` : '',
          o.verdict,
          o.reason,
        ]),
      ),
    );
  }
  return out.join('');
}

function validationText(r: TargetValidation): string {
  const out: string[] = [`validated ${r.model} on ${r.target} (${r.engine}); load ${r.load.map((x) => x.toFixed(1)).join(' -> ')}\n`];
  out.push(
    table([
      ['layer', 'option', 'estimated', 'measured', 'verdict', 'measured verdict', 'confirmed'],
      ...r.judgements.map((j) => [j.layer, j.label, `${j.estimatedSpeedup.toFixed(2)}x`, j.measuredSpeedup === null ? '-' : `${j.measuredSpeedup.toFixed(2)}x`, j.verdict, j.measuredVerdict ?? '-', j.confirmed === null ? 'n/a' : j.confirmed ? 'yes' : 'NO']),
    ]),
  );
  for (const s of r.skipped) out.push(`skipped: ${s}\n`);
  out.push(`\nconfirmed ${r.confirmed} of ${r.measured} verdicts measured (${(r.share * 100).toFixed(1)}%)\n`);
  if (r.latency) out.push(`whole model: estimated ${r.latency.estimatedMs.toFixed(4)} ms, measured ${r.latency.measuredMs.toFixed(4)} ms (error ${(r.latency.error * 100).toFixed(1)}%)\n`);
  for (const t of r.twinRuntime ?? []) {
    out.push(t.measuredMs !== undefined
      ? `whole twin, ${t.option}, ${t.layers} layer(s) on Twinforge's kernels: estimated ${t.estimatedMs!.toFixed(4)} ms, measured end to end through the twin runtime ${t.measuredMs.toFixed(4)} ms (error ${(t.error! * 100).toFixed(1)}%), parent in ONNX Runtime ${t.parentMs!.toFixed(4)} ms, ${t.speedup!.toFixed(2)}x\n`
      : `whole twin, ${t.option}: not measured (${t.why})\n`);
  }
  return out.join('');
}

export const hwCommand: CliCommand = {
  name: 'hw',
  summary: 'Hardware targets: detect this machine, explain what will really be faster, validate it',
  usage: USAGE,
  options: {
    target: { type: 'string', short: 't' },
    'input-shape': { type: 'string', multiple: true },
    option: { type: 'string', multiple: true },
    effort: { type: 'string' },
    check: { type: 'string', multiple: true },
    measure: { type: 'boolean' },
    quick: { type: 'boolean' },
  },
  async run(args, ctx) {
    const sub = args.positionals[0];
    const inputShapes = parseInputShapes(args.values['input-shape'] as string[] | undefined);
    const effort = args.values.effort === undefined ? undefined : Number(args.values.effort);
    if (effort !== undefined && !(effort > 0 && effort <= 10)) throw badInput(`--effort ${String(args.values.effort)} is not a number in (0, 10].`, 'Use e.g. --effort 0.5 for a quicker, noisier run.');
    const options = args.values.option as string[] | undefined;
    switch (sub) {
      case 'targets': {
        const rows = hwTargets({ dataDir: ctx.dataDir });
        print(ctx, { targets: rows }, () =>
          table([['target', 'engine', 'accelerates', 'hardware'], ...rows.map((r) => [`${r.id}${r.default ? ' *' : ''}`, r.engine, r.accelerates.join(', ') || '-', r.title])]) + '\n* default runtime of its profile (NAME alone picks it)\n',
        );
        return 0;
      }
      case 'detect': {
        const checks = (args.values.check as string[] | undefined)?.map((p) => ({ path: p, inputShapes }));
        const r = await hwDetect(
          {
            mode: args.values.quick ? 'quick' : 'full',
            effort,
            models: checks,
            progress: ctx.isTTY && !ctx.json ? (d, t, stage, detail) => ctx.err(`\r${stage} ${detail ?? ''} ${d}/${t}`.padEnd(60)) : undefined,
            log: ctx.json ? undefined : (l) => ctx.err(`${ctx.isTTY ? '\r' : ''}${l}\n`),
          },
          { dataDir: ctx.dataDir, signal: ctx.signal },
        );
        print(ctx, r, () => {
          const lines = [`stored profile '${r.name}' in the zoo of ${ctx.dataDir}\n`];
          for (const w of r.warnings) lines.push(`warning: ${w}\n`);
          // the shipped sample models by file name (where the app is installed is nobody's business); --check paths as given
          for (const c of r.checks) lines.push(`${checks ? c.model : path.basename(c.model)}: estimated ${c.estimatedMs.toFixed(4)} ms, ORT measured ${c.measuredMs.toFixed(4)} ms (error ${(c.error * 100).toFixed(1)}%)\n`);
          return lines.join('');
        });
        return 0;
      }
      case 'explain': {
        let measured: Map<string, number> | undefined;
        if (args.values.measure) {
          const r = await validateModel({ model: modelArg(args, sub), target: targetFor(targetArg(args, sub), ctx.dataDir), inputShapes, effort, options, signal: ctx.signal });
          measured = new Map(r.judgements.filter((j) => j.measuredSpeedup !== null).map((j) => [`${j.layer}|${j.label}`, j.measuredSpeedup!]));
        }
        const e = await hwExplain({ model: modelArg(args, sub), target: targetArg(args, sub), inputShapes, options, measured }, { dataDir: ctx.dataDir });
        print(ctx, e, () => explanationText(e));
        return 0;
      }
      case 'estimate': {
        const e = await hwEstimate({ model: modelArg(args, sub), target: targetArg(args, sub), inputShapes }, { dataDir: ctx.dataDir });
        print(ctx, e, () => `${e.target}: ${e.latencyMs.toFixed(4)} ms per call (${e.callOverheadMs.toFixed(4)} ms call cost, weights from ${e.memoryLevel})\n` + table(e.layers.map((l) => [`  ${l.name}`, l.op, `${l.ms.toFixed(4)} ms`, l.bound])));
        return 0;
      }
      case 'validate': {
        const model = modelArg(args, sub);
        const target = targetFor(targetArg(args, sub), ctx.dataDir);
        const r = await validateTarget({ model, target, inputShapes, effort, options, signal: ctx.signal, log: ctx.json ? undefined : (l) => ctx.err(`${l}\n`) });
        print(ctx, r, () => validationText(r));
        return 0;
      }
      case undefined:
        throw badInput('hw needs a subcommand.', USAGE);
      default:
        throw badInput(`Unknown hw subcommand '${sub}'.`, 'Subcommands: targets, detect, explain, estimate, validate.');
    }
  },
};
