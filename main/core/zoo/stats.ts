// Small descriptive statistics for population analytics: distributions, correlations, fronts.
import type { Distribution } from '../../../preload/contract';

// A contract type (preload/contract.ts is its one definition).
export type { Distribution };

/** Mean, sample standard deviation and quartiles (linear interpolation, as numpy's default). */
export function distribution(values: number[]): Distribution | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, std: Math.sqrt(variance), min: xs[0], q1: quantile(xs, 0.25), median: quantile(xs, 0.5), q3: quantile(xs, 0.75), max: xs[n - 1] };
}

/** Quantile of sorted values, linear between closest ranks. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Pearson's r; null with fewer than 3 pairs or when either side is constant. */
export function pearson(x: number[], y: number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0) return null;
  return clamp(sxy / Math.sqrt(sxx * syy));
}

/** Spearman's rho: Pearson on ranks, ties sharing their average rank. */
export function spearman(x: number[], y: number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 3) return null;
  return pearson(ranks(x.slice(0, n)), ranks(y.slice(0, n)));
}

/** 1-based ranks with ties averaged. */
export function ranks(v: number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]] = r;
    i = j + 1;
  }
  return out;
}

function clamp(r: number): number {
  return Math.max(-1, Math.min(1, r));
}

/**
 * The points no other point beats: lower cost and higher value (ties kept once). Returned in
 * order of increasing cost.
 */
export function paretoFront<T>(points: T[], cost: (p: T) => number, value: (p: T) => number): T[] {
  const pts = points.filter((p) => Number.isFinite(cost(p)) && Number.isFinite(value(p)));
  pts.sort((a, b) => cost(a) - cost(b) || value(b) - value(a));
  const front: T[] = [];
  let best = -Infinity;
  for (const p of pts) {
    if (value(p) > best) {
      front.push(p);
      best = value(p);
    }
  }
  return front;
}
