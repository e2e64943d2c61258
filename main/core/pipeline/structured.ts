// A 'channel' pruning stage on an ONNX model, done by dependency groups (methods/structured):
// channels leave every coupled layer at once, so residual stages, depthwise blocks and
// squeeze-excitation shrink together. Fills the layer records and the stage's structured
// summary (groups before -> after with blocking reasons, re-fit residuals, parameters and
// FLOPs of parent and twin).
import type { LayerTarget } from '../methods/layers';
import { analyzeModel } from '../model/analysis';
import type { ModelIR } from '../model/ir';
import { pruneStructured, type GroupReport, type RefitReport } from './structured-prune';
import type { Allocation, Importance } from '../methods/structured/importance';
import type { StagePlan } from './plan';
import type { LayerRecord, TransformContext } from './transform';

export interface StructuredSummary {
  stage: number;
  importance: Importance;
  allocation: Allocation;
  refit: boolean;
  groups: GroupReport[];
  refitLayers: RefitReport[];
  /** Shared initializers copied so each reader could be sliced its own way. */
  duplicated: string[];
  parent: { parameters: number; flops: number };
  twin: { parameters: number; flops: number };
  /** Input shapes the FLOPs were counted at (the first calibration sample). */
  flopsInputShapes: Record<string, number[]>;
  /** Layers whose output channels are not a graph output, and how many of them lost channels. */
  layers: { eligible: number; shrunk: number };
}

export interface StructuredStageOptions {
  importance?: Importance;
  allocation?: Allocation;
  refit?: boolean;
  roundTo?: number;
}

const IMPORTANCE_OF: Record<string, Importance> = { magnitude: 'l2', wanda: 'wanda', random: 'random' };

function totals(ir: ModelIR, inputShapes: Record<string, number[]>): { parameters: number; flops: number } {
  const a = analyzeModel(ir, { nonzeros: false, inputShapes });
  return { parameters: a.totals.parameters, flops: a.totals.flops };
}

/** Runs the stage; `record` gives the report row of a layer. */
export async function structuredStage(plan: StagePlan, ctx: TransformContext, record: (l: LayerTarget) => LayerRecord): Promise<StructuredSummary> {
  const stage = plan.stage.type === 'prune' ? plan.stage : undefined;
  const opts: StructuredStageOptions = stage?.structured ?? {};
  const importance = opts.importance ?? IMPORTANCE_OF[plan.def.name] ?? 'l2';
  // --allocation global of magnitude/random means one ranking over all groups here.
  const asked = (plan.config as { allocation?: unknown } | undefined)?.allocation;
  const allocation = opts.allocation ?? (asked === 'global' ? 'global' : 'uniform');
  const refit = opts.refit ?? false;
  const data = ctx.calibration();
  const first = data.batch(0, 1);
  const flopsInputShapes = Object.fromEntries(Object.entries(first.feeds).map(([k, v]) => [k, [...v.dims]]));
  const parent = totals(ctx.editor.current(), flopsInputShapes);
  const byId = new Map(plan.chosen.map((c) => [c.layer.name, c]));
  ctx.progress('prune', 0, 1, 'dependency groups');
  const res = await pruneStructured(ctx.editor, {
    sparsity: (id) => byId.get(id)?.sparsity,
    importance,
    allocation,
    refit,
    ...(opts.roundTo !== undefined ? { roundTo: opts.roundTo } : {}),
    seed: ctx.seed,
    calibration: ctx.calibration,
    batchSize: ctx.batchSize,
    tmpDir: ctx.tmpDir,
    log: ctx.log,
  });
  ctx.progress('prune', 1, 1);
  const twin = totals(ctx.editor.current(), flopsInputShapes);
  const inGroup = new Map<string, GroupReport>();
  for (const g of res.groups) for (const p of g.producers) inGroup.set(p, g);
  let eligible = 0;
  let shrunk = 0;
  for (const c of plan.chosen) {
    const rec = record(c.layer);
    const g = inGroup.get(c.layer.name);
    const reason = g ? (g.removed ? undefined : `${g.reason ?? 'kept'}${g.node ? ` (at ${g.node})` : ''}`) : 'its output channels are not traced (weight shared, quantized or not a Conv/Gemm/MatMul weight)';
    rec.channels = { before: g?.channels ?? c.layer.rows, after: g?.after ?? c.layer.rows, removed: !!g?.removed, ...(reason ? { reason } : {}), ...(g ? { group: g.id } : {}) };
    rec.prune = { method: plan.def.name, pattern: 'channel', target: c.sparsity ?? 0, sparsity: 0, note: `structured: ${importance} importance, ${allocation} allocation${g && g.producers.length > 1 ? `, group ${g.id} couples ${g.producers.length} layers` : ''}` };
    if (!g?.reason?.startsWith('reaches the graph output')) {
      eligible++;
      if (g?.removed) shrunk++;
    }
  }
  for (const r of res.refit) ctx.log(`re-fit ${r.layer}: residual ${r.plain.toFixed(4)} -> ${r.refit.toFixed(4)}${r.applied ? '' : ' (kept plain removal)'}`);
  return { stage: plan.index, importance, allocation, refit, groups: res.groups, refitLayers: res.refit, duplicated: res.duplicated, parent, twin, flopsInputShapes, layers: { eligible, shrunk } };
}
