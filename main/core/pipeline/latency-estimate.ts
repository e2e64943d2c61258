// The latency model's estimate for the machine the twin was just timed on, kept beside the
// measurement so a user sees both and is told when they disagree by more than 30%. The estimate
// uses this machine's measured profile (`hw detect`) when there is one, else the shipped profile
// closest to its CPU, and says which.
import { statSync } from 'node:fs';
import { costGraph } from '../hardware/costs';
import { estimateModel } from '../hardware/latency';
import { readModelView } from '../hardware/onnx-view';
import { resolveTarget, THIS_MACHINE, type MeasuredProfileLookup } from '../hardware/profile';
import { cpuFeatures } from '../system/cpu-features';

export interface LatencyEstimate {
  /** The profile the estimate used. */
  target: string;
  /** True when no measured profile of this machine exists and a shipped one stood in. */
  staticProfile: boolean;
  parent: number;
  twin: number;
  speedup: number;
}

/** Disagreements beyond this share between measured and estimated latency are flagged. */
export const DISAGREEMENT = 0.3;

/**
 * Reading a model view runs it once with every intermediate exposed and re-encodes the .onnx
 * file: skip models whose .onnx file itself is past this (weights in external data files are
 * read by reference and do not count).
 */
const MAX_ESTIMATE_BYTES = 256 * 2 ** 20;

function closestShippedProfile(): string {
  const f = new Set(cpuFeatures().features);
  if (process.arch === 'arm64') return 'arm-cortex-a76';
  return f.has('avx512f') ? 'x86-avx512-vnni' : 'x86-avx2';
}

/** Estimated parent and twin latency (ms) at the shapes that were timed; undefined with a reason when it cannot be made. */
export async function estimateLatency(
  parentFile: string,
  twinFile: string,
  shapes: Record<string, number[]>,
  measured?: MeasuredProfileLookup,
  /** The parent's weight nonzeros the run already counted (by initializer name): not read again. */
  parentNonzeros?: ReadonlyMap<string, number>,
): Promise<{ estimate?: LatencyEstimate; note?: string }> {
  if (statSync(parentFile).size > MAX_ESTIMATE_BYTES) return { note: 'no latency estimate beside the measurement: the .onnx file holds more than 256 MiB of weights (the estimate runs it once more to read its shapes; weights in external data would be read in place).' };
  const own = measured?.(THIS_MACHINE);
  const target = own ? resolveTarget(THIS_MACHINE, measured) : resolveTarget(closestShippedProfile());
  try {
    // Weights by reference: the view costs one run at the timed shapes and one read of the
    // weights for their nonzeros, not a self-contained copy of each model.
    const p = await readModelView(parentFile, shapes, { externalData: 'reference', ...(parentNonzeros ? { knownNonzeros: parentNonzeros } : {}) });
    const t = await readModelView(twinFile, shapes, { externalData: 'reference' });
    const parent = estimateModel(costGraph(p), target).seconds * 1e3;
    const twin = estimateModel(costGraph(t), target).seconds * 1e3;
    return { estimate: { target: target.id, staticProfile: !own, parent, twin, speedup: parent / twin } };
  } catch (err) {
    return { note: `no latency estimate beside the measurement: ${(err as Error).message}` };
  }
}

/** The warning a user reads when measurement and estimate disagree by more than 30%, else undefined. */
export function disagreement(measured: { parent: number; twin: number }, est: LatencyEstimate): string | undefined {
  const off = (m: number, e: number) => m / e - 1;
  const worst = [['parent', off(measured.parent, est.parent)], ['twin', off(measured.twin, est.twin)]] as const;
  const bad = worst.filter(([, d]) => Math.abs(d) > DISAGREEMENT);
  if (!bad.length) return undefined;
  const parts = bad.map(([w, d]) => `${w} measured ${(d * 100).toFixed(0)}% ${d > 0 ? 'slower' : 'faster'} than estimated`);
  return `Latency: ${parts.join(', ')} on ${est.target}${est.staticProfile ? ' (a shipped profile: measure this machine for an estimate from its own figures)' : ''}. Trust the measurement; the estimate is a model.`;
}
