// `twinforge compress MODEL ...`: the flags become a recipe (the same data `twinforge run`
// takes; --save-recipe writes it), and the same core compressModel runs in-process. A progress
// bar per stage and layer on a TTY; with --json one JSON event per line, the last one
// {"event":"done", twin, report, metrics, sizes, latencyMs}. Exit 0 ok, 2 bad input, 3 a gate failed.
import path from 'node:path';
import type { CliCommand, CliContext } from '../command';
import { TwinforgeError, badInput } from '../../core/errors';
import type { JobProgress } from '../../core/jobs/types';
import type { Recipe, Stage } from '../../core/recipe/schema';
import { serializeRecipe, validateRecipeData } from '../../core/recipe/recipe';
import { compressModel, type CompressRun } from '../../core/pipeline/runner';
import { StagedOutput } from '../../core/pipeline/atomic';
import { preflight } from '../../core/pipeline/preflight';
import { parseDims, parseInputShapes, parseInputValues } from './inspect';
import { isHfFolder } from '../../core/model/hf/folder';
import { LLM_USAGE, runLlmCompress } from './compress-llm';

const USAGE = `twinforge compress MODEL --out DIR [options] [--json]

Makes a compressed twin of an ONNX (or safetensors) model, checks it against the parent in
ONNX Runtime and writes the twin, its packed sparse weights and report.json / report.md.

  --method M            pruning criterion: magnitude (default), random, wanda, sparsegpt
  --pattern P           unstructured (default), N:M such as 2:4 or 4:8, block:RxC, channel
  --sparsity S          fraction of weights to prune, 0 <= S < 1 (implied by N:M; 0.5 when
                        no pruning or quantization flag is given at all)
  --allocation A        magnitude/random: uniform (default), global, erk; with --pattern
                        channel: uniform or global over the dependency groups
  --importance I        --pattern channel: l1, l2, wanda or random (default from --method)
  --refit               --pattern channel: re-fit the layers that read removed channels by
                        least squares on the calibration data
  --round-to N          --pattern channel: keep channel counts a multiple of N (default 8,
                        fastest in ONNX Runtime CPU; 1 = the exact level)
  --quant Q             int8 (QDQ, calibrated activations) or int4 (weight-only, MatMulNBits)
  --calib PATH          calibration data: .npy/.npz file or folder (default: synthetic inputs)
  --eval PATH           evaluation data (default: the calibration data)
  --labels FILE         integer labels (.npy) for accuracy
  --samples N           calibration samples (default 32)
  --exclude GLOB        leave matching layers untouched (repeatable)
  --input-shape NAME=1,3,48,192   fix dynamic input dims (repeatable)
  --dim NAME=N          value of a symbolic input dim, e.g. --dim seq=64 (repeatable)
  --input-value NAME=V  value of a scalar control input, e.g. --input-value sample_rate=16000
  --target T            hardware target (profile name) recorded with the twin
  --budget K=V          planner budget: latencyMs=5, sizeMb=10 or speedup=2
  --seed N              seed for synthetic data and random masks
  --save-recipe FILE    also write the recipe these flags make (for twinforge run)
  --dry-run             run every check a compression would meet (files, opset, input shapes,
                        control values, each stage over the layers), then stop: exit 0 or 2
  --zoo NAME            register the twin (and its parent) in a zoo
  --out DIR             output folder (required)
  --json                JSON lines: progress events, then one 'done' event`;

// Recipe fields -> the flags that set them, so errors name what the user typed.
const FIELD_FLAGS: [RegExp, string][] = [
  [/stages\[0\]\.sparsity/g, '--sparsity'],
  [/stages\[0\]\.pattern/g, '--pattern'],
  [/stages\[0\]\.method/g, '--method'],
  [/stages\[0\]\.args\.allocation/g, '--allocation'],
  [/stages\[0\]\.structured\.importance/g, '--importance'],
  [/stages\[0\]\.structured\.roundTo/g, '--round-to'],
  [/stages\[0\]\.exclude\[\d+\]/g, '--exclude'],
  [/stages\[1\]\.method/g, '--quant'],
  [/calibration\.source/g, '--calib'],
  [/evaluation\.source/g, '--eval'],
  [/evaluation\.labels/g, '--labels'],
  [/inputShapes\.?/g, '--input-shape '],
  [/inputValues\.?/g, '--input-value '],
  [/^dims\.?/g, '--dim '],
  [/^model/g, 'MODEL'],
];

function num(flag: string, v: unknown, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw badInput(`${flag}: '${String(v)}' is not ${int ? 'an integer' : 'a number'}`);
  return n;
}

/** The recipe the compress flags describe. */
export function recipeFromFlags(model: string, v: Record<string, unknown>): Recipe {
  const stages: Stage[] = [];
  // No compression flag at all: the documented default, magnitude 50% unstructured.
  const none = v.sparsity === undefined && !v.pattern && !v.method && !v.quant;
  const sparsity = none ? 0.5 : num('--sparsity', v.sparsity);
  const pattern = v.pattern as string | undefined;
  const method = (v.method as string | undefined) ?? (sparsity !== undefined || pattern ? 'magnitude' : undefined);
  const exclude = v.exclude as string[] | undefined;
  if (method) {
    stages.push({
      type: 'prune',
      method,
      ...(pattern ? { pattern } : {}),
      ...(sparsity !== undefined ? { sparsity } : {}),
      ...(exclude?.length ? { exclude } : {}),
      ...(v.allocation ? { args: { allocation: v.allocation } } : {}),
      ...(v.importance || v.refit || v['round-to'] ? { structured: { ...(v.importance ? { importance: v.importance } : {}), ...(v.refit ? { refit: true } : {}), ...(v['round-to'] ? { roundTo: num('--round-to', v['round-to'], true) } : {}) } } : {}),
    } as Stage);
  }
  if (v.quant) stages.push({ type: 'quantize', method: String(v.quant), ...(exclude?.length ? { exclude } : {}) } as Stage);
  if (stages.length === 0) throw badInput('nothing to do: give --sparsity / --pattern (pruning) and/or --quant', `Usage: ${USAGE.split('\n')[0]}`);
  const samples = num('--samples', v.samples, true);
  const seed = num('--seed', v.seed, true);
  const budget: Record<string, number> = {};
  for (const b of (v.budget as string[] | undefined) ?? []) {
    const m = /^(latencyMs|sizeMb|speedup)=([0-9.]+)$/.exec(b);
    if (!m) throw badInput(`--budget: '${b}' is not latencyMs=N, sizeMb=N or speedup=N`);
    budget[m[1]] = Number(m[2]);
  }
  const recipe: Recipe = {
    version: 1,
    model,
    ...(v['input-shape'] ? { inputShapes: parseInputShapes(v['input-shape'] as string[]) } : {}),
    ...(v.dim ? { dims: parseDims(v.dim as string[]) } : {}),
    ...(v['input-value'] ? { inputValues: parseInputValues(v['input-value'] as string[]) } : {}),
    ...(v.target ? { target: String(v.target) } : {}),
    ...(Object.keys(budget).length ? { budget } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(v.calib || samples ? { calibration: { source: (v.calib as string | undefined) ?? 'synthetic', ...(samples ? { samples } : {}) } } : {}),
    ...(v.eval || v.labels ? { evaluation: { source: (v.eval as string | undefined) ?? (v.calib as string | undefined) ?? 'synthetic', ...(v.labels ? { labels: String(v.labels) } : {}) } } : {}),
    stages,
    export: { dir: String(v.out) },
  };
  try {
    return validateRecipeData(recipe);
  } catch (err) {
    if (err instanceof TwinforgeError) {
      let msg = err.message.replace(/^recipe: /, '');
      for (const [re, flag] of FIELD_FLAGS) msg = msg.replace(re, flag);
      throw new TwinforgeError(err.code, msg, err.hint, err.details);
    }
    throw err;
  }
}

/** --dry-run: every static check, no work; exit 0 when a run would start, 2 naming each problem. */
async function dryRun(recipe: Recipe, cwd: string, ctx: CliContext): Promise<number> {
  const r = await preflight(recipe, { baseDir: cwd });
  if (ctx.json) ctx.out(JSON.stringify({ event: 'dry-run', ...r }) + '\n');
  else {
    for (const i of r.issues) ctx.err(`problem: ${i.field}: ${i.message}${i.hint ? `\n  hint: ${i.hint}` : ''}\n`);
    for (const w of r.warnings) ctx.err(`warning: ${w}\n`);
    if (r.ok) ctx.out(`ok: ${r.stages.map((s) => `stage ${s.index} (${s.method}) changes ${s.layers} layer${s.layers === 1 ? '' : 's'}`).join('; ') || 'nothing to change'}\n`);
  }
  return r.ok ? 0 : 2;
}

/** Progress and result output shared by compress and run: TTY bars, JSON lines or quiet lines. */
export class Reporter {
  private lastStage = '';
  private lastEmit = 0;
  private barOpen = false;
  constructor(private readonly ctx: CliContext) {}

  progress(p: JobProgress): void {
    const now = Date.now();
    const final = p.done >= p.total;
    const changed = p.stage !== this.lastStage;
    if (!changed && !final && now - this.lastEmit < 100) return;
    this.lastEmit = now;
    if (this.ctx.json) {
      this.ctx.out(JSON.stringify({ event: 'progress', stage: p.stage, done: p.done, total: p.total, ...(p.detail ? { detail: p.detail } : {}) }) + '\n');
    } else if (this.ctx.isTTY) {
      if (changed && this.barOpen) this.ctx.err('\n');
      const width = 28;
      const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      const detail = p.detail ? ` ${p.detail}`.slice(0, 48) : '';
      this.ctx.err(`\r${p.stage.padEnd(10)} ${bar} ${String(p.done).padStart(4)}/${p.total}${detail}\x1b[K`);
      this.barOpen = true;
    }
    this.lastStage = p.stage;
  }

  log(line: string): void {
    this.closeBar();
    const warning = line.startsWith('warning: ');
    if (this.ctx.json) this.ctx.out(JSON.stringify(warning ? { event: 'warning', message: line.slice(9) } : { event: 'log', message: line }) + '\n');
    else if (warning || this.ctx.isTTY) this.ctx.err(`${line}\n`);
  }

  closeBar(): void {
    if (this.barOpen) {
      this.ctx.err('\n');
      this.barOpen = false;
    }
  }

  done(r: CompressRun, cell?: string): void {
    this.closeBar();
    if (this.ctx.json) {
      const metrics: Record<string, number> = { cosine: r.metrics.cosine, sqnrDb: r.metrics.sqnrDb, maxAbsError: r.metrics.maxAbsError };
      if (r.metrics.top1Agreement !== undefined) metrics.top1Agreement = r.metrics.top1Agreement;
      if (r.metrics.accuracy !== undefined) metrics.accuracy = r.metrics.accuracy;
      this.ctx.out(
        JSON.stringify({
          event: 'done',
          ...(cell ? { cell } : {}),
          twin: r.twin,
          report: r.report,
          metrics,
          sizes: r.sizes,
          ...(r.latencyMs ? { latencyMs: { parent: r.latencyMs.parent, twin: r.latencyMs.twin } } : {}),
          passed: r.passed,
          gates: r.gates,
          ...(r.structured ? { structured: r.structured } : {}),
          ...(r.sweep ? { sweep: { knee: r.sweep.knee, metric: r.sweep.metric, points: r.sweep.points.map((p) => ({ level: p.level, value: p.value })) } } : {}),
        }) + '\n',
      );
      return;
    }
    const m = r.metrics;
    const s = r.sizes;
    const lines = [
      `${cell ? `[${cell}] ` : ''}twin: ${r.twin}`,
      `report: ${r.reportMarkdown}`,
      `fidelity: ${m.top1Agreement !== undefined ? `top-1 agreement ${(m.top1Agreement * 100).toFixed(2)}%, ` : ''}cosine ${m.cosine.toFixed(5)}, SQNR ${m.sqnrDb.toFixed(1)} dB${m.accuracy !== undefined ? `, accuracy ${(m.accuracy * 100).toFixed(2)}% (parent ${((m.accuracyParent ?? 0) * 100).toFixed(2)}%)` : ''}`,
      `size: ${s.parentBytes} -> ${s.twinBytes} bytes, sparsity ${(s.sparsity * 100).toFixed(1)}%${s.packedWeightBytes !== undefined ? `, packed layer weights ${s.packedWeightBytes} of ${s.denseWeightBytes} bytes` : ''}`,
      ...(r.latencyMs ? [`latency: parent ${r.latencyMs.parent.toFixed(3)} ms, twin ${r.latencyMs.twin.toFixed(3)} ms (${r.latencyMs.speedup.toFixed(2)}x)${r.latencyMs.estimated ? `; estimated ${r.latencyMs.estimated.parent.toFixed(3)} -> ${r.latencyMs.estimated.twin.toFixed(3)} ms on ${r.latencyMs.estimated.target}` : ''}`] : []),
      ...(r.latencyMs?.twinforge ? [`Twinforge target: ${r.latencyMs.twinforge.folder} run end to end by the twin runtime: ${r.latencyMs.twinforge.twin.toFixed(3)} ms vs parent ${r.latencyMs.twinforge.parent.toFixed(3)} ms in ONNX Runtime (${r.latencyMs.twinforge.speedup.toFixed(2)}x, measured)`] : []),
      ...(r.sweep ? [`sweep: knee (essential sparsity) at ${r.sweep.knee}`] : []),
      ...(r.structured ?? []).map((st) => `channels: ${st.groups.filter((g) => g.removed).length} of ${st.groups.length} groups shrunk, ${st.layers.shrunk} of ${st.layers.eligible} layers (graph outputs aside); parameters ${st.parent.parameters} -> ${st.twin.parameters}, FLOPs ${st.parent.flops} -> ${st.twin.flops}${st.refitLayers.length ? `; re-fit ${st.refitLayers.filter((f) => f.applied).length} layers` : ''}`),
      ...r.gates.map((g) => `gate ${g.gate}: ${g.value === null ? 'not measured' : g.value.toFixed(4)} vs ${g.limit} ${g.passed ? 'ok' : 'FAILED'}`),
    ];
    this.ctx.out(lines.join('\n') + '\n');
  }
}

/** Exit code for finished runs: 3 when a gate failed. */
export function gateExit(results: CompressRun[]): number {
  return results.some((r) => !r.passed) ? 3 : 0;
}

export const compressCommand: CliCommand = {
  name: 'compress',
  summary: 'Compress a model (prune, quantize) into a twin; evaluate and export it',
  usage: USAGE + '\n' + LLM_USAGE,
  options: {
    method: { type: 'string' },
    pattern: { type: 'string' },
    sparsity: { type: 'string' },
    allocation: { type: 'string' },
    importance: { type: 'string' },
    refit: { type: 'boolean' },
    'round-to': { type: 'string' },
    quant: { type: 'string' },
    calib: { type: 'string' },
    eval: { type: 'string' },
    labels: { type: 'string' },
    samples: { type: 'string' },
    exclude: { type: 'string', multiple: true },
    'input-shape': { type: 'string', multiple: true },
    dim: { type: 'string', multiple: true },
    'input-value': { type: 'string', multiple: true },
    target: { type: 'string' },
    budget: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'save-recipe': { type: 'string' },
    'dry-run': { type: 'boolean' },
    zoo: { type: 'string' },
    out: { type: 'string' },
    // Hugging Face folders only (compress-llm.ts):
    dsnot: { type: 'boolean' },
    'group-size': { type: 'string' },
    'one-shot': { type: 'boolean' },
    'seq-len': { type: 'string' },
  },
  async run(args, ctx) {
    const model = args.positionals[0];
    if (!model) throw badInput('compress needs a model file.', `Usage: ${USAGE.split('\n')[0]}`);
    if (args.positionals.length > 1) throw badInput(`compress takes one model file, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
    if (!args.values.out) throw badInput('--out DIR is required', `Usage: ${USAGE.split('\n')[0]}`);
    const cwd = process.cwd();
    // --- Hugging Face folders: the layer-by-layer LLM path (compress-llm.ts) ---
    if (isHfFolder(path.resolve(cwd, model))) return runLlmCompress(path.resolve(cwd, model), args, ctx);
    // --- end of the LLM branch ---
    const v = { ...args.values };
    for (const k of ['calib', 'eval', 'labels', 'out'] as const) if (typeof v[k] === 'string' && v[k] !== 'synthetic') v[k] = path.resolve(cwd, v[k] as string);
    const recipe = recipeFromFlags(path.resolve(cwd, model), v);
    if (args.values['save-recipe']) {
      const file = path.resolve(cwd, String(args.values['save-recipe']));
      const out = new StagedOutput(path.dirname(file));
      out.write(path.basename(file), serializeRecipe(recipe, /\.json$/i.test(file) ? 'json' : 'yaml'));
      out.commit(true);
    }
    if (args.values['dry-run']) return dryRun(recipe, cwd, ctx);
    const rep = new Reporter(ctx);
    if (v.sparsity === undefined && !v.pattern && !v.method && !v.quant) rep.log('no compression flags given: magnitude pruning, 50% unstructured (the default)');
    const { measuredLookup } = await import('../../core/api/hardware');
    const result = await compressModel(recipe, { signal: ctx.signal, baseDir: cwd, onProgress: (p) => rep.progress(p), onLog: (l) => rep.log(l), measuredProfile: measuredLookup(ctx.dataDir) });
    if (args.values.zoo) {
      const { registerInZoo } = await import('../../core/batch/compress-job');
      const z = await registerInZoo(String(args.values.zoo), ctx.dataDir, result, recipe, cwd);
      rep.log(`registered in zoo '${z.zoo}' as model ${z.modelId} (parent ${z.parentId})`);
    }
    rep.done(result);
    return gateExit([result]);
  },
};
