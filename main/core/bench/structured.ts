// `twinforge bench structured`: structured pruning by dependency groups on PyTorch exports
// (ResNet-style, MobileNetV3-style, BERT-style): prune, save, then time parent and twin in ONNX
// Runtime CPU in the same run, interleaved, same inputs. Prints per model the groups shrunk,
// parameters, file bytes, FLOPs and the latency ratio twin / parent (lower is faster).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { badInput } from '../errors';
import { ModelEditor } from '../model/onnx/editor';
import { analyzeModel } from '../model/analysis';
import { pruneStructured } from '../pipeline/structured-prune';
import { measureLatency } from '../runtime/latency';
import { packageRoot } from '../paths';
import { registerBench, type BenchArgs, type BenchContext } from './registry';

export interface StructuredBenchRow {
  model: string;
  sparsity: number;
  groups: number;
  groupsShrunk: number;
  params: [number, number];
  bytes: [number, number];
  flops: [number, number];
  inputs: Record<string, number[]>;
  parentMs: number;
  twinMs: number;
  /** twin / parent median latency (below 1: the twin is faster). */
  latencyRatio: number;
}

interface Case {
  file: string;
  sparsity: number;
  feeds: () => Record<string, ort.Tensor>;
}

const image = (n: number, hw: number) => (): Record<string, ort.Tensor> => ({ input: new ort.Tensor('float32', Float32Array.from({ length: n * 3 * hw * hw }, (_, k) => Math.sin(k * 0.013)), [n, 3, hw, hw]) });
const tokens = (n: number, t: number) => (): Record<string, ort.Tensor> => ({
  input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n * t }, (_, k) => BigInt((k * 31) % 128)), [n, t]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(n * t).fill(1n), [n, t]),
});

/** Where the PyTorch fixtures live in a source checkout. */
export function torchFixtureDir(): string | undefined {
  for (const base of [process.cwd(), packageRoot]) {
    const d = path.join(base, 'tests', 'fixtures', 'torch');
    if (existsSync(path.join(d, 'models.json'))) return d;
  }
  return undefined;
}

export async function benchStructured(opts: { dir: string; runs?: number; sparsity?: number; log?: (l: string) => void; signal?: AbortSignal }): Promise<{ rows: StructuredBenchRow[]; load: [number, number]; runs: number }> {
  const cases: Case[] = [
    { file: 'resnet_tiny_op13.onnx', sparsity: opts.sparsity ?? 0.3, feeds: image(8, 96) },
    { file: 'mobilenetv3_small_op13.onnx', sparsity: opts.sparsity ?? 0.3, feeds: image(8, 160) },
    { file: 'bert_encoder_op13.onnx', sparsity: opts.sparsity ?? 0.25, feeds: tokens(8, 32) },
  ];
  const runs = opts.runs ?? 30;
  const load0 = os.loadavg()[0];
  const rows: StructuredBenchRow[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-structured-'));
  try {
    for (const c of cases) {
      const src = path.join(opts.dir, c.file);
      if (!existsSync(src)) throw badInput(`bench structured: '${src}' is missing`, 'Run it from a source checkout, or make the fixtures with `python3 scripts/export-torch-fixtures.py`.');
      const feeds = c.feeds();
      const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, [...v.dims]]));
      opts.log?.(`${c.file}: pruning ${Math.round(c.sparsity * 100)}% by dependency groups`);
      const ed = ModelEditor.open(src);
      const out = path.join(tmp, c.file);
      let row: Omit<StructuredBenchRow, 'parentMs' | 'twinMs' | 'latencyRatio'>;
      try {
        const before = analyzeModel(ed.current(), { nonzeros: false, inputShapes: inputs }).totals;
        const r = await pruneStructured(ed, { sparsity: () => c.sparsity, importance: 'l2', allocation: 'uniform', refit: false, seed: 1 });
        const after = analyzeModel(ed.current(), { nonzeros: false, inputShapes: inputs }).totals;
        ed.save(out);
        row = { model: c.file, sparsity: c.sparsity, groups: r.groups.length, groupsShrunk: r.groups.filter((g) => g.removed).length, params: [before.parameters, after.parameters], bytes: [statSync(src).size, statSync(out).size], flops: [before.flops, after.flops], inputs };
      } finally {
        ed.close();
      }
      opts.log?.(`${c.file}: timing parent and twin, ${runs} interleaved runs`);
      const [p, t] = await measureLatency([src, out], { feeds, runs, warmup: 5, signal: opts.signal });
      rows.push({ ...row, parentMs: p.medianMs, twinMs: t.medianMs, latencyRatio: t.medianMs / p.medianMs });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { rows, load: [load0, os.loadavg()[0]], runs };
}

export function formatBenchStructured(r: Awaited<ReturnType<typeof benchStructured>>): string {
  const pct = (a: [number, number]) => `${((a[1] / a[0]) * 100).toFixed(1)}%`;
  const lines = [`structured bench: ONNX Runtime CPU, parent vs twin interleaved (${r.runs} runs each); load average ${r.load[0].toFixed(1)} -> ${r.load[1].toFixed(1)}`, ''];
  lines.push(`  ${'model'.padEnd(30)} ${'level'.padStart(5)} ${'groups'.padStart(8)} ${'params'.padStart(7)} ${'bytes'.padStart(7)} ${'FLOPs'.padStart(7)} ${'parent ms'.padStart(10)} ${'twin ms'.padStart(8)} ${'twin/parent'.padStart(11)}`);
  for (const x of r.rows) {
    lines.push(`  ${x.model.padEnd(30)} ${`${Math.round(x.sparsity * 100)}%`.padStart(5)} ${`${x.groupsShrunk}/${x.groups}`.padStart(8)} ${pct(x.params).padStart(7)} ${pct(x.bytes).padStart(7)} ${pct(x.flops).padStart(7)} ${x.parentMs.toFixed(3).padStart(10)} ${x.twinMs.toFixed(3).padStart(8)} ${x.latencyRatio.toFixed(3).padStart(11)}`);
  }
  lines.push('', '  inputs: ' + r.rows.map((x) => `${x.model} ${Object.entries(x.inputs).map(([k, v]) => `${k}[${v.join(',')}]`).join(' ')}`).join('; '));
  return lines.join('\n');
}

registerBench({
  name: 'structured',
  summary: 'Structured (dependency-group) pruning of PyTorch exports: parameters, bytes, FLOPs and ORT latency twin / parent in the same run',
  options: { dir: { type: 'string' }, runs: { type: 'string' }, sparsity: { type: 'string' } },
  usage: ['  --dir DIR       folder of the PyTorch fixtures (default: tests/fixtures/torch of the checkout)', '  --runs N        timed runs per model (default 30)', '  --sparsity S    share of channels per group (default 0.3 for the CNNs, 0.25 for the encoder)'].join('\n'),
  async run(args: BenchArgs, ctx: BenchContext) {
    const dir = (args.values.dir as string | undefined) ?? torchFixtureDir();
    if (!dir) throw badInput('bench structured: no fixture folder found', 'Give --dir with resnet_tiny_op13.onnx, mobilenetv3_small_op13.onnx and bert_encoder_op13.onnx (scripts/export-torch-fixtures.py makes them).');
    const runs = args.values.runs === undefined ? 30 : Number(args.values.runs);
    if (!Number.isInteger(runs) || runs < 3) throw badInput(`--runs must be an integer >= 3, got ${String(args.values.runs)}`);
    const sparsity = args.values.sparsity === undefined ? undefined : Number(args.values.sparsity);
    if (sparsity !== undefined && !(sparsity > 0 && sparsity < 1)) throw badInput(`--sparsity must be between 0 and 1, got ${String(args.values.sparsity)}`);
    const r = await benchStructured({ dir, runs, sparsity, signal: ctx.signal, log: ctx.json ? undefined : (l) => ctx.err(`${l}\n`) });
    ctx.out(ctx.json ? JSON.stringify(r) + '\n' : formatBenchStructured(r) + '\n');
    return 0;
  },
});
