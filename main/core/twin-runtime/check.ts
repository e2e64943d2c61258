// The whole-twin check of `hw validate` on a Twinforge target: the options the target's kernels
// accelerate (90% unstructured -> CSR, 90% 4x4 blocks -> BSR) applied to every layer they take,
// the twin exported as a twin folder and run end to end through the runtime against the parent in
// plain ORT (same run, same threads, steady protocol), next to what the latency model estimated
// for that plan, with the error. A check that cannot run says why instead of a number.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import type { ModelCost } from '../hardware/costs';
import { estimateModel, runsOnTwinforge, type Plan } from '../hardware/latency';
import type { ModelView } from '../hardware/onnx-view';
import type { LayerOption } from '../hardware/options';
import type { Target } from '../hardware/profile';
import { exportTwin } from './export';
import { pruneModelLinears, type Zeros } from './models';
import { timeParentAndTwin } from './time';

export interface TwinRuntimeCheck {
  option: string;
  /** Layers pruned and run on Twinforge's kernels. */
  layers: number;
  /** The latency model's estimate of the twin under this plan (ms). */
  estimatedMs?: number;
  measuredMs?: number;
  parentMs?: number;
  /** parentMs / measuredMs. */
  speedup?: number;
  /** (estimatedMs - measuredMs) / measuredMs. */
  error?: number;
  ortSegments?: number;
  why?: string;
}

const OPTIONS: { label: string; option: LayerOption; zeros: Zeros }[] = [
  { label: 'unstructured 90% (CSR)', option: { pattern: 'unstructured', level: 0.9, precision: 'fp32' }, zeros: { kind: 'unstructured', level: 0.9 } },
  { label: 'block4x4 90% (BSR)', option: { pattern: 'block4x4', level: 0.9, precision: 'fp32' }, zeros: { kind: 'block', level: 0.9, rows: 4, cols: 4 } },
];

export async function checkTwinsEndToEnd(view: ModelView, cost: ModelCost, target: Target, opts: { effort?: number; signal?: AbortSignal; log?: (l: string) => void } = {}): Promise<TwinRuntimeCheck[]> {
  const out: TwinRuntimeCheck[] = [];
  for (const { label, option, zeros } of OPTIONS) {
    const layers = cost.layers.filter((l) => ['MatMul', 'Gemm', 'Conv'].includes(l.op) && (l.op !== 'Conv' || l.kernel === 1) && runsOnTwinforge(target, l, option));
    const check: TwinRuntimeCheck = { option: label, layers: 0 };
    out.push(check);
    if (layers.length === 0) {
      check.why = "no layer of this model runs on Twinforge's kernels under this option";
      continue;
    }
    const plan: Plan = new Map(layers.map((l) => [l.name, option]));
    check.estimatedMs = estimateModel(cost, target, plan).seconds * 1e3;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'twinforge-validate-twin-'));
    try {
      const { twin, pruned } = pruneModelLinears(view.bytes, zeros, new Set(layers.map((l) => l.weight!.name)));
      const exp = exportTwin(twin, dir, { policy: 'all' });
      check.layers = exp.manifest.layers.length;
      opts.log?.(`twin ${label}: ${pruned.length} layer(s) pruned, ${check.layers} on Twinforge's kernels; timing end to end`);
      const t = await timeParentAndTwin(view.bytes, dir, view.inputShapes, { budgetMs: 3000 * (opts.effort ?? 1), signal: opts.signal });
      Object.assign(check, { measuredMs: t.twin.bestBlockMs, parentMs: t.parent.bestBlockMs, speedup: t.parent.bestBlockMs / t.twin.bestBlockMs, ortSegments: t.ortSegments });
      check.error = (check.estimatedMs - t.twin.bestBlockMs) / t.twin.bestBlockMs;
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      check.why = (e as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
