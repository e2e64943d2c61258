// Twins of safetensors models: weights without a graph. Only data-free pruning applies (no graph
// to run for calibration or evaluation); the twin is written as safetensors with every other
// tensor copied as is, and fidelity is measured on the weights (cosine, SQNR) with a warning.
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import { SafetensorsModel } from '../model/safetensors/reader';
import { saveSafetensors, type SafetensorsTensor } from '../model/safetensors/writer';
import { encodeFromNumbers } from '../model/dtype';
import type { NodeInfo } from '../model/ir';
import type { Recipe } from '../recipe/schema';
import { PRUNABLE_ROLES } from '../model/ir';
import { fromMatrix, toMatrix, type LayerTarget } from '../methods/layers';
import { PruningMethod, type PruneLayerPlan } from '../methods/method';
import { formatPattern } from '../methods/sparsity';
import { appVersion } from '../version';
import { StagedOutput } from './atomic';
import { planStage } from './plan';
import { renderMarkdown, type CompressReport, type Sizes } from './report';
import { checkGates } from './gates';
import type { CompressOptions, CompressRun, ResolvedInputs } from './runner';
import type { LayerRecord } from './transform';
import { countZeros } from './sizes';
import { FidelityAccumulator } from './metrics';
import { statSync } from 'node:fs';

/** The prunable weights of a graphless model as layers (no activation: data-free only). */
export function safetensorsLayers(ir: SafetensorsModel): LayerTarget[] {
  return ir.weights
    .filter((w) => PRUNABLE_ROLES.has(w.role) && w.layout && w.isParameter)
    .map((w) => {
      const { outAxis, inAxes, group } = w.layout!;
      const ch = Math.min(...inAxes);
      const colAxes = [...inAxes.filter((a) => a !== ch), ch];
      const canonical = [outAxis, ...colAxes];
      const node: NodeInfo = { name: w.name, op: w.dims.length > 2 ? 'Conv' : 'MatMul', domain: '', graph: '', inputs: [], outputs: [], attributes: {} };
      return {
        name: w.id,
        weight: w,
        node,
        op: node.op,
        rows: w.dims[outAxis],
        cols: inAxes.reduce((a, x) => a * w.dims[x], 1),
        group: group || 1,
        colAxes,
        outAxis,
        contiguous: canonical.every((a, i) => a === i) && canonical.length === w.dims.length,
        direct: true,
        ...(canonical.length !== w.dims.length ? { skipReason: `batched weight of rank ${w.dims.length}` } : {}),
      };
    });
}

export async function compressSafetensors(recipe: Recipe, inputs: ResolvedInputs, opts: CompressOptions, warn: (w: string) => void, t0: number, warnings: string[] = []): Promise<CompressRun> {
  warn('safetensors input: no graph to run, so only data-free pruning applies and fidelity is measured on the weights, not on outputs.');
  const ir = SafetensorsModel.open(inputs.model);
  const staged = new StagedOutput(inputs.outDir);
  try {
    const layers = safetensorsLayers(ir);
    const current = new Map<string, Float32Array>();
    const records = new Map<string, LayerRecord>();
    for (const l of layers) {
      const nz = l.weight.nonzeros();
      records.set(l.name, { name: l.name, op: l.op, shape: [...l.weight.dims], params: l.weight.numel, parentNonzeros: nz, nonzeros: nz });
    }
    const stages = recipe.stages ?? [];
    const nativeT = { ms: 0 };
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i];
      if (stage.type === 'quantize') throw new TwinforgeError('UNSUPPORTED', `stages[${i}]: quantizing a safetensors model is not supported`, 'Quantize an ONNX export of the model (QDQ / MatMulNBits need a graph).');
      const plan = planStage(stage, i, layers);
      const needs = plan.def.needs(plan.config);
      if (needs.calibration) throw badInput(`stages[${i}].method: '${stage.method}' needs calibration data run through the model, and a safetensors file has no graph`, 'Use magnitude or random here, or give an ONNX export of the model.');
      const method = plan.def.create(plan.config) as PruningMethod;
      const plans: PruneLayerPlan[] = plan.chosen.map((c) => ({ layer: c.layer, pattern: c.pattern!, sparsity: c.sparsity! }));
      const weightsOf = (l: LayerTarget) => toMatrix(l, current.get(l.name) ?? l.weight.float32());
      const base = { signal: opts.signal ?? new AbortController().signal, log: (s: string) => opts.onLog?.(s), seed: recipe.seed ?? 0 };
      await method.initialize({ ...base, plans, weights: weightsOf });
      const results: { p: PruneLayerPlan; w: Float32Array }[] = [];
      for (let k = 0; k < plans.length; k++) {
        if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Compression cancelled.');
        const p = plans[k];
        opts.onProgress?.({ stage: 'prune', done: k, total: plans.length, detail: p.layer.name });
        const w = weightsOf(p.layer);
        const t = performance.now();
        const r = await method.apply({ ...base, plan: p, weights: w });
        nativeT.ms += performance.now() - t;
        const next = r.weights ?? w.slice();
        for (let j = 0; j < next.length; j++) if (!r.mask[j]) next[j] = 0;
        results.push({ p, w: next });
      }
      for (const { p, w } of results) {
        current.set(p.layer.name, fromMatrix(p.layer, w));
        const zeros = countZeros(w);
        const rec = records.get(p.layer.name)!;
        rec.nonzeros = w.length - zeros;
        rec.prune = { method: plan.def.name, pattern: formatPattern(p.pattern), target: p.sparsity, sparsity: zeros / w.length };
      }
      for (const { layer, reason } of plan.left) (records.get(layer.name)!.left ??= []).push({ stage: i, reason });
    }
    // Write: changed tensors from memory (in their dtype), the rest streamed from the parent.
    const name = recipe.export?.name ?? 'twin';
    const tensors: SafetensorsTensor[] = ir.weights.map((w) => {
      const c = current.get(w.id);
      return c ? { name: w.name, dtype: w.dtype, dims: w.dims, bytes: encodeFromNumbers(w.dtype, c) } : { name: w.name, weight: w };
    });
    const twinTmp = path.join(staged.staging, `${name}.safetensors`);
    saveSafetensors(twinTmp, tensors, { ...ir.metadata, 'twinforge.recipe': JSON.stringify(recipe) });
    staged.adopt(`${name}.safetensors`);
    // Weight-space fidelity over the changed layers.
    const acc = new FidelityAccumulator();
    for (const l of layers) {
      const c = current.get(l.name);
      if (!c) continue;
      const p = l.weight.float32();
      acc.add([{ name: l.name, data: p, dims: [1, p.length] }], [c]);
    }
    const f = acc.result();
    let parameters = 0;
    let parentNonzeros = 0;
    for (const w of ir.weights) if (w.isParameter) {
      parameters += w.numel;
      parentNonzeros += w.nonzeros();
    }
    let delta = 0;
    for (const r of records.values()) delta += r.nonzeros - r.parentNonzeros;
    const sizes: Sizes = { parentBytes: statSync(inputs.model).size, twinBytes: statSync(twinTmp).size, parameters, parentNonzeros, twinNonzeros: parentNonzeros + delta, sparsity: parameters ? 1 - (parentNonzeros + delta) / parameters : 0 };
    const fidelity = { ...f, top1Agreement: undefined };
    delete fidelity.top1Agreement;
    const gates = checkGates(recipe.gates, fidelity, sizes);
    const passed = gates.every((g) => g.passed);
    const twinPath = path.join(inputs.outDir, `${name}.safetensors`);
    const timings = { totalMs: performance.now() - t0, nativeMs: nativeT.ms, ortMs: 0, ioMs: 0, calibrationMs: 0 };
    const report: CompressReport = {
      twinforge: appVersion,
      createdAt: new Date().toISOString(),
      ...(recipe.name ? { name: recipe.name } : {}),
      recipe,
      ...(opts.recipeText ? { recipeText: opts.recipeText } : {}),
      model: { path: inputs.model, format: 'safetensors' },
      twin: { path: twinPath, files: staged.paths },
      data: {},
      metrics: fidelity,
      sizes,
      gates,
      passed,
      layers: [...records.values()],
      warnings,
      timings,
    };
    staged.write('report.json', JSON.stringify(report, null, 2) + '\n');
    staged.write('report.md', renderMarkdown(report));
    const files = staged.commit(recipe.export?.overwrite ?? true);
    return {
      parent: inputs.model,
      twin: twinPath,
      report: path.join(inputs.outDir, 'report.json'),
      reportMarkdown: path.join(inputs.outDir, 'report.md'),
      files,
      metrics: { cosine: f.cosine, sqnrDb: f.sqnrDb, maxAbsError: f.maxAbsError },
      sizes,
      gates,
      passed,
      warnings,
      timings,
    };
  } catch (err) {
    staged.abort();
    throw err;
  } finally {
    ir.close();
  }
}
