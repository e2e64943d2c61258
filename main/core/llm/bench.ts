// `twinforge bench llm`: SparseGPT 2:4 on a randomly initialised Llama-shaped model, layer by
// layer from calibration tokens, end to end (write the fp16 folder, compress, write
// compressed-tensors + dense twin): time with its split (forward, Hessians, solves, I/O) and the
// process's peak RSS. Then the PyTorch reference algorithm (scripts/sparsegpt-reference.py) and
// Twinforge's native Hessian + SparseGPT on the same layer shapes in the same run, as a ratio.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../errors';
import { writeNpy } from '../data/npy';
import { encodeFromNumbers } from '../model/dtype';
import { saveSafetensors } from '../model/safetensors/writer';
import { hessianAccumulate, sparsegpt } from '../native/solvers';
import { packageRoot } from '../paths';
import { nativeInfo } from '../native/addon';
import { registerBench, type BenchArgs, type BenchContext } from '../bench/registry';
import { compressLlm } from './compress';

export interface LlmBenchShape {
  layers: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  heads: number;
  kvHeads: number;
}

/** The issue's 1B shape, and a quick one for loaded machines. */
export const SHAPE_1B: LlmBenchShape = { layers: 16, hidden: 2048, intermediate: 8192, vocab: 32000, heads: 32, kvHeads: 8 };
export const SHAPE_QUICK: LlmBenchShape = { layers: 4, hidden: 512, intermediate: 2048, vocab: 8000, heads: 8, kvHeads: 2 };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/** Writes a random fp16 Llama folder (one shard per block) and returns its path. */
export function writeRandomLlama(dir: string, s: LlmBenchShape): void {
  fs.mkdirSync(dir, { recursive: true });
  const hd = s.hidden / s.heads;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: s.hidden, intermediate_size: s.intermediate, num_hidden_layers: s.layers, num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, vocab_size: s.vocab, max_position_embeddings: 4096, rms_norm_eps: 1e-5, rope_theta: 10000, torch_dtype: 'float16', tie_word_embeddings: false }));
  const r = rng(7);
  const t = (name: string, dims: number[], ones = false) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = ones ? 0 : 2 / Math.sqrt(dims[dims.length - 1]);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = ones ? 1 : r() * scale * 1.7;
    return { name, dtype: 'float16' as const, dims, bytes: encodeFromNumbers('float16', v) };
  };
  const map: Record<string, string> = {};
  const shards = s.layers + 1;
  const file = (k: number) => `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    const kv = s.kvHeads * hd;
    const ts = [
      t(`${p}.input_layernorm.weight`, [s.hidden], true),
      t(`${p}.post_attention_layernorm.weight`, [s.hidden], true),
      t(`${p}.self_attn.q_proj.weight`, [s.hidden, s.hidden]),
      t(`${p}.self_attn.k_proj.weight`, [kv, s.hidden]),
      t(`${p}.self_attn.v_proj.weight`, [kv, s.hidden]),
      t(`${p}.self_attn.o_proj.weight`, [s.hidden, s.hidden]),
      t(`${p}.mlp.gate_proj.weight`, [s.intermediate, s.hidden]),
      t(`${p}.mlp.up_proj.weight`, [s.intermediate, s.hidden]),
      t(`${p}.mlp.down_proj.weight`, [s.hidden, s.intermediate]),
    ];
    saveSafetensors(path.join(dir, file(l)), ts);
    for (const x of ts) map[x.name] = file(l);
  }
  const rest = [t('model.embed_tokens.weight', [s.vocab, s.hidden]), t('model.norm.weight', [s.hidden], true), t('lm_head.weight', [s.vocab, s.hidden])];
  saveSafetensors(path.join(dir, file(s.layers)), rest);
  for (const x of rest) map[x.name] = file(s.layers);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
}

interface ShapeTiming {
  rows: number;
  cols: number;
  hessianMs: number;
  solveMs: number;
}

/** Twinforge's native Hessian + SparseGPT 2:4 on random data of each shape. */
function nativeShapes(shapes: { rows: number; cols: number }[], tokens: number): ShapeTiming[] {
  const r = rng(3);
  return shapes.map(({ rows, cols }) => {
    const x = Float32Array.from({ length: tokens * cols }, r);
    const w = Float32Array.from({ length: rows * cols }, r);
    const h = new Float32Array(cols * cols);
    const t0 = performance.now();
    hessianAccumulate(h, x, { nSamples: tokens, dim: cols, alpha: 2 / tokens });
    const t1 = performance.now();
    sparsegpt(w, h, { rows, cols, n: 2, m: 4 });
    return { rows, cols, hessianMs: t1 - t0, solveMs: performance.now() - t1 };
  });
}

/** The reference on the same shapes, with as many threads as Twinforge's kernels use. */
function torchShapes(shapes: { rows: number; cols: number }[], tokens: number, python: string, threads: number): ShapeTiming[] | string {
  const script = path.join(packageRoot, 'scripts', 'sparsegpt-reference.py');
  if (!fs.existsSync(script)) return 'scripts/sparsegpt-reference.py not found (run from a source checkout)';
  const p = spawnSync(python, [script, JSON.stringify(shapes), String(tokens), String(threads)], { encoding: 'utf8', timeout: 3_600_000 });
  if (p.status !== 0) return `PyTorch reference did not run: ${(p.stderr || p.error?.message || '').split('\n').slice(-2).join(' ')}`;
  return p.stdout.trim().split('\n').map((l) => JSON.parse(l) as ShapeTiming);
}

async function run(args: BenchArgs, ctx: BenchContext): Promise<number> {
  const v = args.values;
  const shape = { ...(v.quick ? SHAPE_QUICK : SHAPE_1B) };
  for (const k of ['layers', 'hidden', 'intermediate', 'vocab'] as const) {
    if (v[k] !== undefined) {
      const n = Number(v[k]);
      if (!Number.isInteger(n) || n < 1) throw badInput(`--${k} must be a positive integer`);
      shape[k] = n;
    }
  }
  const tokens = v.tokens !== undefined ? Number(v.tokens) : v.quick ? 4096 : 16384;
  const seq = v.seq !== undefined ? Number(v.seq) : 512;
  if (!Number.isInteger(tokens) || !Number.isInteger(seq) || tokens < seq || seq < 2) throw badInput('--tokens and --seq must be integers with tokens >= seq >= 2');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-bench-llm-'));
  const log = (l: string) => (ctx.json ? undefined : ctx.err(l + '\n'));
  try {
    const model = path.join(work, 'model');
    const tw = performance.now();
    writeRandomLlama(model, shape);
    const writeMs = performance.now() - tw;
    const batch = Math.floor(tokens / seq);
    const r = rng(11);
    fs.writeFileSync(path.join(work, 'calib.npy'), writeNpy({ dtype: 'int64', shape: [batch, seq], data: BigInt64Array.from({ length: batch * seq }, () => BigInt(Math.floor((r() + 0.5) * shape.vocab))) }));
    log(`model written (${(writeMs / 1000).toFixed(1)} s); compressing ${shape.layers} blocks, SparseGPT 2:4, ${batch}x${seq} calibration tokens`);
    const res = await compressLlm({ model, out: path.join(work, 'twin'), method: 'sparsegpt', pattern: '2:4', calib: path.join(work, 'calib.npy'), samples: batch, seqLen: seq, signal: ctx.signal, onProgress: (p) => p.detail && log(p.detail) });
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    // The seven linears of one block (q and o, k and v, gate and up share a shape).
    const kv = shape.kvHeads * (shape.hidden / shape.heads);
    const layerShapes = [
      { rows: shape.hidden, cols: shape.hidden, linears: ['q_proj', 'o_proj'] },
      { rows: kv, cols: shape.hidden, linears: ['k_proj', 'v_proj'] },
      { rows: shape.intermediate, cols: shape.hidden, linears: ['gate_proj', 'up_proj'] },
      { rows: shape.hidden, cols: shape.intermediate, linears: ['down_proj'] },
    ];
    const compareTokens = Math.min(tokens, 4096);
    log(`timing the solver on the block's linear shapes against PyTorch (${compareTokens} tokens, the same thread count)`);
    const plain = layerShapes.map(({ rows, cols }) => ({ rows, cols }));
    const ours = nativeShapes(plain, compareTokens);
    const threads = nativeInfo().threads;
    const ref = v['no-torch'] ? 'skipped (--no-torch)' : torchShapes(plain, compareTokens, String(v.python ?? '/usr/bin/python3'), threads);
    const t = res.timings;
    const seconds = { total: t.totalMs / 1000, forward: t.forwardMs / 1000, hessians: t.statsMs / 1000, solves: t.solveMs / 1000, io: t.ioMs / 1000, writeParent: writeMs / 1000 };
    // --layers N below the shape's block count: every part of the run but the embedding gather
    // and the head's write is per block, so the full model's time is the measured time scaled
    // by blocks (a slight overestimate); peak memory is per block and does not grow with depth.
    const fullLayers = (v.quick ? SHAPE_QUICK : SHAPE_1B).layers;
    const extrapolated =
      shape.layers < fullLayers
        ? { blocks: fullLayers, measuredBlocks: shape.layers, seconds: Object.fromEntries(Object.entries(seconds).map(([k, x]) => [k, (x * fullLayers) / shape.layers])) as typeof seconds }
        : undefined;
    const shapes = ours.map((o, i) => ({ ...o, linears: layerShapes[i].linears, ...(typeof ref === 'string' ? {} : { torchHessianMs: ref[i].hessianMs, torchSolveMs: ref[i].solveMs, solveRatio: ref[i].solveMs / o.solveMs }) }));
    const blockSolveMs = shapes.reduce((a, x) => a + x.solveMs * x.linears.length, 0);
    const torchBlockSolveMs = typeof ref === 'string' ? undefined : shapes.reduce((a, x) => a + x.torchSolveMs! * x.linears.length, 0);
    const out = {
      shape,
      calibrationTokens: batch * seq,
      seconds,
      ...(extrapolated ? { extrapolated } : {}),
      peakRssMb,
      sparsity: res.sparsity,
      loadAverage: os.loadavg()[0],
      threads,
      shapes,
      block: { solveMs: blockSolveMs, ...(torchBlockSolveMs !== undefined ? { torchSolveMs: torchBlockSolveMs, solveRatio: torchBlockSolveMs / blockSolveMs } : {}) },
      ...(typeof ref === 'string' ? { torch: ref } : {}),
    };
    if (ctx.json) ctx.out(JSON.stringify(out) + '\n');
    else {
      const split = (s: typeof seconds) => `${s.total.toFixed(1)} s (forward ${s.forward.toFixed(1)}, Hessians ${s.hessians.toFixed(1)}, solves ${s.solves.toFixed(1)}, I/O ${s.io.toFixed(1)})`;
      ctx.out(`Llama-shaped ${shape.layers}x(hidden ${shape.hidden}, intermediate ${shape.intermediate}), vocab ${shape.vocab}; ${out.calibrationTokens} calibration tokens; load average ${out.loadAverage.toFixed(1)}\n`);
      ctx.out(`SparseGPT 2:4 layer by layer: ${split(seconds)}; peak RSS ${peakRssMb.toFixed(0)} MB (writing the random parent: ${seconds.writeParent.toFixed(1)} s)\n`);
      if (extrapolated) ctx.out(`EXTRAPOLATED to ${fullLayers} blocks from the ${shape.layers} measured (time x ${(fullLayers / shape.layers).toFixed(2)}; not a measurement): ${split(extrapolated.seconds)}; peak RSS is per block and stays ${peakRssMb.toFixed(0)} MB\n`);
      for (const x of out.shapes) ctx.out(`  ${x.linears.join('/')} [${x.rows}x${x.cols}] native Hessian ${x.hessianMs.toFixed(0)} ms, solve ${x.solveMs.toFixed(0)} ms${'torchSolveMs' in x ? `; PyTorch Hessian ${x.torchHessianMs!.toFixed(0)} ms, solve ${x.torchSolveMs!.toFixed(0)} ms: ${x.solveRatio!.toFixed(2)}x` : ''}\n`);
      ctx.out(`  (${threads} threads in both)\n`);
      ctx.out(`  one block's seven solves: native ${(blockSolveMs / 1000).toFixed(2)} s${torchBlockSolveMs !== undefined ? `, PyTorch ${(torchBlockSolveMs / 1000).toFixed(2)} s: ${(torchBlockSolveMs / blockSolveMs).toFixed(2)}x` : ''}\n`);
      if (typeof ref === 'string') ctx.out(`PyTorch: ${ref}\n`);
    }
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

registerBench({
  name: 'llm',
  summary: 'SparseGPT 2:4 layer by layer on a random Llama-shaped model (1B by default): time split, peak RSS, ratio vs PyTorch',
  options: { quick: { type: 'boolean' }, layers: { type: 'string' }, hidden: { type: 'string' }, intermediate: { type: 'string' }, vocab: { type: 'string' }, tokens: { type: 'string' }, seq: { type: 'string' }, 'no-torch': { type: 'boolean' }, python: { type: 'string' } },
  usage: '  --quick (4 blocks, hidden 512), --layers N (fewer blocks; the time is also extrapolated to the full depth, labelled so), --hidden/--intermediate/--vocab N, --tokens N (16384), --seq N (512), --no-torch, --python PATH',
  run,
});
