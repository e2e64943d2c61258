// Fidelity of a twin against its parent on the same inputs, accumulated batch by batch:
// top-1 agreement, mean cosine similarity per sample, SQNR (dB), max |error|, and accuracy of
// both when labels are given.

export interface Fidelity {
  /** Fraction of samples whose predicted class is the same (classification-like outputs). */
  top1Agreement?: number;
  /** Mean over samples of cos(parent, twin) of the first output. */
  cosine: number;
  /** 10·log10(Σ parent² / Σ (parent − twin)²) over all outputs. */
  sqnrDb: number;
  maxAbsError: number;
  /** With labels: accuracy of parent and twin. */
  accuracy?: { parent: number; twin: number };
  samples: number;
  /** Per output tensor; `meaningful` is false where the parent's output is (near) zero or constant. */
  outputs: { name: string; cosine: number; sqnrDb: number; maxAbsError: number; meaningful?: boolean; parentRms?: number; parentStd?: number }[];
  /** The output whose argmax top-1 agreement (and accuracy) is computed from: the first one. */
  top1Output?: string;
  /** False when cosine / SQNR of the first output say nothing (its parent values are ~0 or constant). */
  meaningful?: boolean;
  /** Why a figure is not meaningful, for the report and the results screen. */
  notes?: string[];
}

/** Below this RMS a parent output is "zero": cosine and SQNR against it are noise. */
export const NEAR_ZERO_RMS = 1e-6;
/** Below this std/RMS a parent output is "constant" on the data: cosine is ~1 whatever the twin does. */
export const NEAR_CONSTANT_RATIO = 1e-4;

interface OutAcc {
  name: string;
  /** Values per sample (1: cosine only tells whether the sign agrees). */
  perSample: number;
  /** Σ parent, for the parent's spread. */
  sum: number;
  count: number;
  signal: number;
  noise: number;
  maxAbs: number;
  cosSum: number;
  n: number;
}

export class FidelityAccumulator {
  private outs = new Map<string, OutAcc>();
  private agree = 0;
  private classified = 0;
  private correctParent = 0;
  private correctTwin = 0;
  private labelled = 0;
  private samples = 0;

  /**
   * Adds one batch: parent and twin outputs by name (same order), batch rows along dim 0.
   * The first output decides classes and accuracy.
   */
  add(parent: { name: string; data: Float32Array; dims: readonly number[] }[], twin: Float32Array[], labels?: Int32Array): void {
    parent.forEach((p, k) => {
      const t = twin[k];
      const rows = p.dims.length > 0 ? Math.max(1, p.dims[0]) : 1;
      const per = p.data.length / rows;
      const acc = this.outs.get(p.name) ?? { name: p.name, perSample: per, sum: 0, count: 0, signal: 0, noise: 0, maxAbs: 0, cosSum: 0, n: 0 };
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        let pp = 0;
        let tt = 0;
        for (let i = r * per; i < (r + 1) * per; i++) {
          const a = p.data[i];
          const b = t[i];
          const d = a - b;
          acc.signal += a * a;
          acc.sum += a;
          acc.noise += d * d;
          if (Math.abs(d) > acc.maxAbs || Number.isNaN(d)) acc.maxAbs = Number.isNaN(d) ? Infinity : Math.abs(d);
          dot += a * b;
          pp += a * a;
          tt += b * b;
        }
        acc.cosSum += pp === 0 && tt === 0 ? 1 : pp === 0 || tt === 0 ? 0 : dot / Math.sqrt(pp * tt);
        acc.n++;
      }
      acc.count += p.data.length;
      this.outs.set(p.name, acc);
      if (k === 0) {
        this.samples += rows;
        // Classes are decided along the last dim (logits per sample, per token, per pixel).
        const last = p.dims.length > 0 ? Math.max(1, p.dims[p.dims.length - 1]) : 1;
        const vectors = p.data.length / last;
        const perRow = vectors / rows;
        for (let v = 0; v < vectors; v++) {
          const a = classOf(p.data.subarray(v * last, (v + 1) * last));
          const b = classOf(t.subarray(v * last, (v + 1) * last));
          if (a !== undefined && b !== undefined) {
            this.classified++;
            if (a === b) this.agree++;
          }
          const r = Math.floor(v / perRow);
          if (labels && perRow === 1 && r < labels.length) {
            this.labelled++;
            if (a === labels[r]) this.correctParent++;
            if (b === labels[r]) this.correctTwin++;
          }
        }
      }
    });
  }

  result(): Fidelity {
    const notes: string[] = [];
    const outputs = [...this.outs.values()].map((o) => {
      const rms = o.count ? Math.sqrt(o.signal / o.count) : 0;
      const mean = o.count ? o.sum / o.count : 0;
      const std = Math.sqrt(Math.max(0, rms * rms - mean * mean));
      const zero = rms <= NEAR_ZERO_RMS;
      const constant = !zero && std <= NEAR_CONSTANT_RATIO * rms;
      const scalar = !zero && !constant && o.perSample === 1;
      if (scalar) notes.push(`Output '${o.name}' holds one value per sample: its cosine only says whether the sign agrees; judge it by SQNR and max error.`);
      if (zero) notes.push(`Output '${o.name}' of the parent is ~0 on the evaluation data (RMS ${rms.toExponential(1)}): its cosine and SQNR are not meaningful; judge it by its max error, or evaluate on real inputs.`);
      else if (constant) notes.push(`Output '${o.name}' of the parent is ~constant on the evaluation data (std ${std.toExponential(1)} around ${mean.toPrecision(3)}): its cosine says little; judge it by its max error, or evaluate on real inputs.`);
      return { name: o.name, cosine: o.n ? o.cosSum / o.n : 1, sqnrDb: sqnr(o.signal, o.noise), maxAbsError: o.maxAbs, meaningful: !zero && !constant && !scalar, parentRms: rms, parentStd: std };
    });
    const first = outputs[0] ?? { name: '', cosine: 1, sqnrDb: SQNR_IDENTICAL_DB, maxAbsError: 0, meaningful: true };
    const all = [...this.outs.values()];
    const f: Fidelity = {
      cosine: first.cosine,
      sqnrDb: sqnr(all.reduce((a, o) => a + o.signal, 0), all.reduce((a, o) => a + o.noise, 0)),
      maxAbsError: Math.max(0, ...outputs.map((o) => o.maxAbsError)),
      samples: this.samples,
      outputs,
      meaningful: first.meaningful !== false,
      ...(notes.length ? { notes } : {}),
    };
    if (this.classified > 0) {
      f.top1Agreement = this.agree / this.classified;
      f.top1Output = first.name;
    }
    if (this.labelled > 0) f.accuracy = { parent: this.correctParent / this.labelled, twin: this.correctTwin / this.labelled };
    return f;
  }
}

/** SQNR reported for identical outputs (JSON has no Infinity). */
export const SQNR_IDENTICAL_DB = 999;

function sqnr(signal: number, noise: number): number {
  if (noise === 0) return SQNR_IDENTICAL_DB;
  if (signal === 0 || !Number.isFinite(noise)) return -SQNR_IDENTICAL_DB;
  return Math.min(SQNR_IDENTICAL_DB, 10 * Math.log10(signal / noise));
}

/**
 * The predicted class of one sample's output: argmax for ≥ 2 values; for a single value, a
 * binary decision at 0.5 for probabilities in [0, 1], else at 0 (a logit).
 */
export function classOf(v: Float32Array): number | undefined {
  if (v.length === 0) return undefined;
  if (v.length === 1) return v[0] >= 0 && v[0] <= 1 ? (v[0] >= 0.5 ? 1 : 0) : v[0] >= 0 ? 1 : 0;
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
