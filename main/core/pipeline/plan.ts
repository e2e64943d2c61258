// From a recipe stage and the model's layers to a per-layer plan: which layers the stage takes
// (include/exclude globs, overrides), with which pattern and level, and which it leaves alone and
// why. A glob that matches no layer is an error naming its field: it is almost always a typo.
import { badInput } from '../errors';
import type { Stage } from '../recipe/schema';
import { getMethodDefinition } from '../methods/registry';
import type { MethodDefinition } from '../methods/method';
import { layerMatches, stageSelection, type LayerTarget } from '../methods/layers';
import { impliedSparsity, parsePattern, patternUnfit, type Pattern } from '../methods/sparsity';

export interface LayerChoice {
  layer: LayerTarget;
  pattern?: Pattern;
  sparsity?: number;
  /** Per-layer method args (quantize overrides merged over the stage's). */
  args?: Record<string, unknown>;
}

export interface StagePlan {
  index: number;
  stage: Stage;
  def: MethodDefinition;
  /** Validated config of the stage (defaults filled). */
  config: unknown;
  chosen: LayerChoice[];
  /** Layers the stage leaves alone, with the reason. */
  left: { layer: LayerTarget; reason: string }[];
}

function globs(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

/** Plans one stage over the model's layers; `level` overrides the stage's sparsity (sweeps). */
export function planStage(stage: Stage, index: number, layers: LayerTarget[], level?: number): StagePlan {
  const f = `stages[${index}]`;
  const def = getMethodDefinition(stage.method, `${f}.method`);
  const config = def.config.parse(stage.args ?? {});
  const names = () => {
    const list = layers.map((l) => l.name);
    return list.length > 12 ? `${list.slice(0, 12).join(', ')}, ... (${list.length} layers)` : list.join(', ') || '(none)';
  };
  if (layers.length === 0) {
    throw badInput(
      `Nothing to ${stage.type === 'quantize' ? 'quantize' : 'prune'}: the model has no layer Twinforge compresses (MatMul, Gemm or Conv with its weight stored in the file; embedding tables and norms are left as they are).`,
      'Its weights may arrive as graph inputs, or it may have no weights at all; compress the model that holds them.',
    );
  }
  const include = stage.include ?? ['*'];
  include.forEach((g, j) => {
    if (!layers.some((l) => layerMatches(l, g))) throw badInput(`${f}.include[${j}]: '${g}' matches no layer`, `Layers: ${names()}.`);
  });
  (stage.exclude ?? []).forEach((g, j) => {
    if (!layers.some((l) => layerMatches(l, g))) throw badInput(`${f}.exclude[${j}]: '${g}' matches no layer`, `Layers: ${names()}.`);
  });
  (stage.overrides ?? []).forEach((o, j) => {
    globs(o.layers).forEach((g, k) => {
      if (!layers.some((l) => layerMatches(l, g))) throw badInput(`${f}.overrides[${j}].layers${Array.isArray(o.layers) ? `[${k}]` : ''}: '${g}' matches no layer`, `Layers: ${names()}.`);
    });
  });

  const plan: StagePlan = { index, stage, def, config, chosen: [], left: [] };
  for (const layer of layers) {
    const sel = stageSelection([layer.name, layer.weight.name, layer.node.name], { ...stage, include });
    if (!sel.included) continue;
    if (sel.excluded) {
      plan.left.push({ layer, reason: 'excluded' });
      continue;
    }
    if (layer.skipReason) {
      plan.left.push({ layer, reason: layer.skipReason });
      continue;
    }
    const overrides = sel.overrides;
    if (overrides.some((o) => o.skip)) {
      plan.left.push({ layer, reason: 'skipped by an override' });
      continue;
    }
    if (stage.type === 'prune') {
      let pattern = parsePattern(stage.pattern ?? 'unstructured', `${f}.pattern`);
      let sparsity = level ?? stage.sparsity;
      for (const o of overrides) {
        if ('pattern' in o && o.pattern !== undefined) pattern = parsePattern(o.pattern);
        if ('sparsity' in o && o.sparsity !== undefined) sparsity = o.sparsity;
      }
      sparsity = impliedSparsity(pattern) ?? sparsity;
      if (sparsity === undefined) throw badInput(`${f}.sparsity: a level is needed`);
      const unfit = pattern.kind === 'channel' && layer.group > 1 ? `grouped convolution (group ${layer.group}): its channels follow the layer before it` : patternUnfit(pattern, layer.rows, layer.cols);
      if (unfit) {
        plan.left.push({ layer, reason: `${unfit} (pattern ${stage.pattern ?? 'unstructured'})` });
        continue;
      }
      if (def.patterns && !def.patterns.includes(pattern.kind)) {
        plan.left.push({ layer, reason: `${def.name} does not support ${pattern.kind}` });
        continue;
      }
      if (sparsity === 0) {
        plan.left.push({ layer, reason: 'sparsity 0' });
        continue;
      }
      plan.chosen.push({ layer, pattern, sparsity });
    } else {
      let args = stage.args ?? {};
      for (const o of overrides) if ('args' in o && o.args) args = { ...args, ...o.args };
      plan.chosen.push({ layer, args });
    }
  }
  return plan;
}
