// `twinforge bench runtime`: a GEMV-bound MLP twin (hidden >= 1024) exported for the Twinforge
// target and run end to end by the twin runtime (twin-runtime/) against the dense parent in plain
// ONNX Runtime at batch 1, interleaved in the same run, same threads, steady protocol; for 90%
// unstructured (CSR kernels), 90% 4x4 blocks (BSR kernels) and 2:4 (the packed 2:4 kernels,
// fp32 values: random weights are not fp16 numbers). Next to each measurement the synthesized
// estimate the planner used before the runtime existed (planning/plan-check.ts) and its error.
// Targets (issues): >= 1.5x at CSR 90%, >= 2x at BSR 4x4 90%, >= 1.5x at 2:4 (the 2:4 GEMV's).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../errors';
import { costGraph } from '../hardware/costs';
import { readModelView } from '../hardware/onnx-view';
import { synthesizeTwinforgeMs } from '../planning/plan-check';
import { defaultThreads } from '../runtime/threads';
import { exportTwin } from '../twin-runtime/export';
import { timeParentAndTwin } from '../twin-runtime/time';
import { registerBench, type BenchArgs, type BenchContext } from './registry';
import { mlpPair, type Zeros } from '../twin-runtime/models';
import { copyBandwidth } from '../native/measure';

export interface RuntimeBenchRow {
  case: string;
  /** What the issue asks of this case. */
  target: number;
  layers: number;
  /** The packed format(s) the exporter chose for the layers (what the runtime ran). */
  format: string;
  sparsity: number;
  parentMs: number;
  twinMs: number;
  /** parentMs / twinMs (quietest blocks). */
  speedup: number;
  /** Median over rounds of the per-round ratio (noise of the same round cancels). */
  roundSpeedup: number;
  /** The synthesized figure (not run): ORT twin time with sparse layers swapped for kernel times. */
  estimateMs: number;
  estimateSpeedup: number;
  /** (estimate - measured) / measured. */
  estimateError: number;
  twinOrtMs: number;
  met: boolean;
  packedBytes: number;
  denseBytes: number;
}

export interface RuntimeBenchResult {
  hidden: number;
  depth: number;
  batch: number;
  threads: number;
  load: [number, number];
  /** In-process copy bandwidth (read + write), GB/s, measured first as `bench native --quick` does. */
  copyGBps: number;
  rows: RuntimeBenchRow[];
}

const CASES: { name: string; zeros: Zeros; pattern: string; level: number; target: number }[] = [
  { name: 'CSR 90% unstructured', zeros: { kind: 'unstructured', level: 0.9 }, pattern: 'unstructured', level: 0.9, target: 1.5 },
  { name: 'BSR 4x4 90% blocks', zeros: { kind: 'block', level: 0.9, rows: 4, cols: 4 }, pattern: 'block4x4', level: 0.9, target: 2 },
  { name: '2:4 packed (fp32)', zeros: { kind: 'nm', n: 2, m: 4 }, pattern: '2:4', level: 0.5, target: 1.5 },
];

export async function benchRuntime(opts: { hidden?: number; depth?: number; budgetMs?: number; signal?: AbortSignal; log?: (l: string) => void } = {}): Promise<RuntimeBenchResult> {
  const hidden = opts.hidden ?? 2048;
  const depth = opts.depth ?? 3;
  const budgetMs = opts.budgetMs ?? 6000;
  const threads = defaultThreads();
  const log = opts.log ?? (() => {});
  const load0 = os.loadavg()[0];
  const copyGBps = copyBandwidth(64 << 20, 5);
  const rows: RuntimeBenchRow[] = [];
  for (const c of CASES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-runtime-'));
    try {
      log(`${c.name}: building a ${depth}-layer ${hidden}-wide MLP and its twin`);
      const pair = mlpPair(Array.from({ length: depth + 1 }, () => hidden), c.zeros);
      const exp = exportTwin(pair.twin, dir);
      log(`${c.name}: timing parent (ORT) vs twin (runtime) at batch 1`);
      // the dense-with-zeros twin in plain ORT runs in the same rounds: the estimate starts from it
      const t = await timeParentAndTwin(pair.parent, dir, pair.inputShapes, { budgetMs, threads, signal: opts.signal, alsoOrt: [pair.twin] });
      const twinOrt = t.others[0];
      log(`${c.name}: synthesizing the estimate`);
      const view = await readModelView(pair.twin, pair.inputShapes);
      const sparse = costGraph(view).layers.filter((l) => l.op === 'MatMul' && l.weight).map((l) => ({ node: l.name, pattern: c.pattern, level: c.level, precision: 'fp32' }));
      const synth = await synthesizeTwinforgeMs(view, twinOrt.bestBlockMs, sparse, { effort: budgetMs / 4000, threads, signal: opts.signal });
      const speedup = t.parent.bestBlockMs / t.twin.bestBlockMs;
      rows.push({
        case: c.name,
        target: c.target,
        layers: exp.manifest.layers.length,
        format: [...new Set(exp.manifest.layers.map((l) => l.format))].join('+'),
        sparsity: exp.manifest.layers.reduce((a, l) => a + l.sparsity, 0) / exp.manifest.layers.length,
        parentMs: t.parent.bestBlockMs,
        twinMs: t.twin.bestBlockMs,
        speedup,
        roundSpeedup: t.speedup,
        estimateMs: synth.estimateMs,
        estimateSpeedup: t.parent.bestBlockMs / synth.estimateMs,
        estimateError: (synth.estimateMs - t.twin.bestBlockMs) / t.twin.bestBlockMs,
        twinOrtMs: twinOrt.bestBlockMs,
        met: speedup >= c.target,
        packedBytes: exp.manifest.packedWeightBytes,
        denseBytes: exp.manifest.denseWeightBytes,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { hidden, depth, batch: 1, threads, load: [load0, os.loadavg()[0]], copyGBps, rows };
}

export function formatBenchRuntime(r: RuntimeBenchResult): string {
  const lines = [
    `runtime bench: ${r.depth}-layer MLP, hidden ${r.hidden}, batch ${r.batch}, ${r.threads} thread(s); load average ${r.load[0].toFixed(1)} -> ${r.load[1].toFixed(1)}; copy bandwidth ${r.copyGBps.toFixed(1)} GB/s`,
    `  twin = exported twin folder run end to end by loadTwin (ORT segments + Twinforge sparse kernels); parent = dense model in plain ONNX Runtime; same run, interleaved`,
    '',
    `  ${'case'.padEnd(22)} ${'format'.padEnd(6)} ${'parent ms'.padStart(10)} ${'twin ms'.padStart(9)} ${'speedup'.padStart(8)} ${'target'.padStart(7)}   ${'estimate ms'.padStart(11)} ${'est. x'.padStart(7)} ${'est. error'.padStart(10)}   twin in ORT`,
  ];
  for (const x of r.rows) {
    lines.push(
      `  ${x.case.padEnd(22)} ${x.format.padEnd(6)} ${x.parentMs.toFixed(3).padStart(10)} ${x.twinMs.toFixed(3).padStart(9)} ${`${x.speedup.toFixed(2)}x`.padStart(8)} ${`${x.target}x`.padStart(7)}   ${x.estimateMs.toFixed(3).padStart(11)} ${(Number.isFinite(x.estimateSpeedup) ? `${x.estimateSpeedup.toFixed(2)}x` : 'n/a').padStart(7)} ${`${(x.estimateError * 100).toFixed(1)}%`.padStart(10)}   ${x.twinOrtMs.toFixed(3)} ms  ${x.met ? 'MET' : 'MISSED'}`,
    );
  }
  lines.push('', '  estimate = synthesized (ORT twin time, less what its sparse layers take inside it, plus their kernels timed alone), not run; error = (estimate - measured) / measured');
  return lines.join('\n');
}

registerBench({
  name: 'runtime',
  summary: 'Sparse twin end to end through the twin runtime vs the dense parent in ONNX Runtime (m=1), with the synthesized estimate and its error',
  options: { hidden: { type: 'string' }, depth: { type: 'string' }, 'budget-ms': { type: 'string' } },
  usage: ['  --hidden N      MLP width (default 2048, at least 1024: GEMV-bound)', '  --depth N       sparse layers (default 3)', '  --budget-ms MS  timing budget per case (default 6000)'].join('\n'),
  async run(args: BenchArgs, ctx: BenchContext) {
    const int = (k: string, def: number, min: number) => {
      const v = args.values[k];
      if (v === undefined) return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw badInput(`--${k} must be an integer >= ${min}, got ${String(v)}`);
      return n;
    };
    const hidden = int('hidden', 2048, 1024);
    if (hidden % 4) throw badInput(`--hidden must be a multiple of 4 (4x4 blocks), got ${hidden}`);
    const r = await benchRuntime({ hidden, depth: int('depth', 3, 1), budgetMs: int('budget-ms', 6000, 200), signal: ctx.signal, log: ctx.json ? undefined : (l) => ctx.err(`${l}\n`) });
    ctx.out(ctx.json ? JSON.stringify(r) + '\n' : formatBenchRuntime(r) + '\n');
    return 0;
  },
});
