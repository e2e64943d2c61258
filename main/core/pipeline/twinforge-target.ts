// The Twinforge-target branch of a compress run (pipeline/runner.ts calls it after evaluation):
// the twin is also written as a runtime folder and timed end to end through the twin runtime, so
// the report's Twinforge figure is measured, not synthesized. The twin runtime sits below the
// pipeline, so the pipeline calls it and never the other way round.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { resolveTarget, type MeasuredProfileLookup } from '../hardware/profile';
import type { StagedOutput } from './atomic';
import type { TransformResult } from './transform';
import type { TwinforgeRuntimeLatency } from '../twin-runtime/format';
import { exportTwin } from '../twin-runtime/export';
import { timeParentAndTwin } from '../twin-runtime/time';

/**
 * Twinforge targets (engine 'twinforge'): writes the twin as a runtime folder `<name>.twin/`
 * (twin-runtime/: SparseLinear graph, .twsp, sha256 manifest) into staging and, when latency is
 * measured, times it end to end through the twin runtime against the parent in plain ORT.
 * Undefined for other targets; a note instead of a folder when no layer is sparse enough to be
 * worth a kernel (the twin then runs in ORT as it is).
 */
export async function exportTwinforgeTarget(
  staged: StagedOutput,
  name: string,
  twinFile: string,
  parentFile: string,
  tr: TransformResult,
  opts: { target?: string; measured?: MeasuredProfileLookup; shapes?: Record<string, number[]>; latency: boolean; signal?: AbortSignal },
): Promise<{ runtime?: TwinforgeRuntimeLatency; note?: string } | undefined> {
  if (!opts.target) return undefined;
  let engine: string;
  try {
    engine = resolveTarget(opts.target, opts.measured).runtime.engine;
  } catch {
    return undefined; // checkTarget already warned about an unknown or unmeasured target
  }
  if (engine !== 'twinforge') return undefined;
  const folder = `${name}.twin`;
  const dir = path.join(staged.staging, folder);
  const patterns = new Map([...tr.patterns].map(([k, v]) => [k, v]));
  try {
    exportTwin(twinFile, dir, { patterns, parent: path.basename(parentFile), createdBy: 'twinforge compress' });
  } catch (e) {
    if (!(e instanceof TwinforgeError) || e.code !== 'BAD_INPUT') throw e;
    return { note: `Twinforge target: no twin folder written: ${e.message} The twin runs in ONNX Runtime as ${name}.onnx.` };
  }
  // a folder cannot replace a non-empty one atomically: clear the previous run's before staging commits
  const final = path.join(path.dirname(staged.staging), folder);
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  staged.adopt(folder);
  if (!opts.latency || !opts.shapes) return { note: `Twinforge target: twin folder ${folder} written (latency not measured)` };
  const t = await timeParentAndTwin(parentFile, dir, opts.shapes, { budgetMs: 1500, signal: opts.signal });
  return { runtime: { folder: final, parent: t.parent.bestBlockMs, twin: t.twin.bestBlockMs, speedup: t.parent.bestBlockMs / t.twin.bestBlockMs, threads: t.threads, sparseLayers: t.sparseLayers, ortSegments: t.ortSegments } };
}

