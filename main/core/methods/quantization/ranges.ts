// Activation range calibration for static int8: min-max, percentile and MSE-optimal clipping from
// a histogram over [min, max]. Returns the (scale, zero point) of the activation quantizer.
import type { ActivationRange } from '../method';

export type RangeMethod = 'minmax' | 'percentile' | 'mse';

export interface ActQuant {
  scale: number;
  zeroPoint: number;
  signed: boolean;
  lo: number;
  hi: number;
}

/** The activation quantizer for a clip range; the range always contains 0 (exact zero padding). */
export function quantizerFor(lo: number, hi: number, signed: boolean): ActQuant {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  if (signed) {
    const a = Math.max(-lo, hi);
    const scale = a > 0 ? a / 127 : 1;
    return { scale, zeroPoint: 0, signed, lo: -a, hi: a };
  }
  const scale = hi - lo > 0 ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint, signed, lo, hi };
}

/** Clip range [lo, hi] chosen by the method from the observed range and histogram. */
export function clipRange(r: ActivationRange, method: RangeMethod, percentile = 99.99): [number, number] {
  if (method === 'minmax' || !r.hist || r.max <= r.min) return [r.min, r.max];
  const hist = r.hist;
  const bins = hist.length;
  const width = (r.max - r.min) / bins;
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return [r.min, r.max];
  if (method === 'percentile') {
    const tail = (total * (100 - percentile)) / 100;
    let acc = 0;
    let lo = r.min;
    for (let i = 0; i < bins; i++) {
      if (acc + hist[i] > tail) {
        lo = r.min + i * width;
        break;
      }
      acc += hist[i];
    }
    acc = 0;
    let hi = r.max;
    for (let i = bins - 1; i >= 0; i--) {
      if (acc + hist[i] > tail) {
        hi = r.min + (i + 1) * width;
        break;
      }
      acc += hist[i];
    }
    return [Math.min(lo, 0), Math.max(hi, 0)];
  }
  // MSE: shrink the range toward 0 by α, keep the α with the least expected squared error
  // (clipping error of the tails + uniform rounding error scale²/12 inside).
  let best: [number, number] = [r.min, r.max];
  let bestErr = Infinity;
  for (let step = 0; step <= 80; step++) {
    const alpha = 1 - step * 0.01;
    const lo = Math.min(r.min * alpha, 0);
    const hi = Math.max(r.max * alpha, 0);
    const scale = (hi - lo) / 255 || 1;
    let err = 0;
    for (let i = 0; i < bins; i++) {
      if (hist[i] === 0) continue;
      const x = r.min + (i + 0.5) * width;
      if (x < lo) err += hist[i] * (lo - x) ** 2;
      else if (x > hi) err += hist[i] * (x - hi) ** 2;
      else err += (hist[i] * scale * scale) / 12;
    }
    if (err < bestErr) {
      bestErr = err;
      best = [lo, hi];
    }
  }
  return best;
}
