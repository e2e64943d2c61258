// Channel importance of a dependency group, summed over its members (each member's scores
// divided by their mean first, so a wide 3x3 conv does not drown a 1x1 one), and the
// allocation of removals: uniform (the same share of every group) or global (one ranking over
// all groups' normalized scores).
import type { ChannelGroup, Member } from './depgraph';
import { entriesOf } from './apply';

export type Importance = 'l1' | 'l2' | 'wanda' | 'random';
export type Allocation = 'uniform' | 'global';

/**
 * Per-entry sums along `axis` of a weight: Σ|w| (p = 1) or Σw² (p = 2) over all other axes,
 * with each entry's weight values scaled by `colScale[j]` along `scaleAxis` (Wanda: ‖x_j‖).
 */
function axisSums(data: Float32Array, dims: readonly number[], axis: number, p: 1 | 2, scale?: { axis: number; values: Float32Array }): Float64Array {
  const out = new Float64Array(dims[axis]);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    const a = Math.floor(i / strides[axis]) % dims[axis];
    let v = Math.abs(data[i]);
    if (scale) v *= scale.values[Math.floor(i / strides[scale.axis]) % dims[scale.axis]] ?? 1;
    out[a] += p === 1 ? v : v * v;
  }
  return out;
}

/** Scores of one member per group channel (larger = keep). */
function memberScores(m: Member, channels: number, crit: Importance, inputNorms?: Float32Array): Float64Array | undefined {
  if (m.kind === 'param' || m.kind === 'count') return undefined; // biases, norms and shape constants follow the weights
  const data = m.weight.float32();
  const dims = m.weight.dims;
  let sums: Float64Array;
  if (crit === 'wanda') {
    // |W|·‖x‖: 'in' members weigh each column by its input's norm; for rows of a layer the
    // inputs are the other axis, so each row sums |w_ij|·‖x_j‖ over its inputs.
    const inAxis = m.kind === 'in' ? m.axis : dims.length === 2 ? 1 - m.axis : 1;
    const usable = inputNorms && inputNorms.length === dims[inAxis] && m.kind !== 'dw';
    sums = axisSums(data, dims, m.axis, 1, usable ? { axis: inAxis, values: inputNorms! } : undefined);
  } else sums = axisSums(data, dims, m.axis, crit === 'l1' ? 1 : 2);
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (const e of entriesOf(m, c)) s += sums[e];
    out[c] = crit === 'l2' ? Math.sqrt(s) : s;
  }
  return out;
}

/**
 * Channel scores of a group. `norms` maps a tensor to per-entry L2 norms of its channel axis
 * (calibration, Wanda); random draws from `rand`.
 */
export function groupScores(g: ChannelGroup, crit: Importance, norms?: Map<string, Float32Array>, rand?: () => number): Float64Array {
  const total = new Float64Array(g.channels);
  if (crit === 'random') {
    for (let c = 0; c < g.channels; c++) total[c] = rand ? rand() : Math.random();
    return total;
  }
  for (const m of g.members) {
    const s = memberScores(m, g.channels, crit, m.kind === 'in' ? norms?.get(m.node.inputs[0]) : norms?.get(m.node.inputs[0]));
    if (!s) continue;
    let mean = 0;
    for (const v of s) mean += v / s.length;
    if (!(mean > 0)) continue;
    for (let c = 0; c < g.channels; c++) total[c] += s[c] / mean;
  }
  return total;
}

export interface AllocationOptions {
  allocation: Allocation;
  /** Share of channels to remove per group (uniform) or over all groups (global). */
  sparsity: (g: ChannelGroup) => number;
  /** Smallest share of a group's channels kept (global allocation cannot empty a group). */
  minKeep?: number;
  /** Channels move in units of this many (attention heads: head_dim). */
  unit?: (g: ChannelGroup) => number;
  /**
   * Keep a multiple of this many channels in groups whose size is one (ORT's blocked NCHWc
   * convolutions need channel counts in multiples of 8; 17 channels run on a slower path).
   */
  roundTo?: number;
}

/** Kept channel indices per group id. */
export function allocate(groups: ChannelGroup[], scores: Map<number, Float64Array>, opts: AllocationOptions): Map<number, number[]> {
  const keep = new Map<number, number[]>();
  const minKeep = opts.minKeep ?? 0.1;
  const units = (g: ChannelGroup) => Math.max(1, opts.unit?.(g) ?? g.unit);
  // Score per removable unit (a channel, or a head of `unit` channels).
  const unitScores = (g: ChannelGroup): Float64Array => {
    const u = units(g);
    const s = scores.get(g.id)!;
    const out = new Float64Array(Math.floor(g.channels / u));
    for (let k = 0; k < out.length; k++) for (let r = 0; r < u; r++) out[k] += s[k * u + r];
    return out;
  };
  const keepUnits = (g: ChannelGroup, dropped: Set<number>): number[] => {
    const u = units(g);
    const out: number[] = [];
    for (let c = 0; c < g.channels; c++) if (!dropped.has(Math.floor(c / u))) out.push(c);
    return out;
  };
  if (opts.allocation === 'uniform') {
    for (const g of groups) {
      const us = unitScores(g);
      const n = us.length;
      let drop = Math.min(n - 1, Math.floor(opts.sparsity(g) * n + 1e-9));
      const r = opts.roundTo ?? 1;
      if (r > 1 && units(g) === 1 && n % r === 0 && n >= 2 * r) drop = n - Math.min(n - r, Math.max(r, Math.round((n - drop) / r) * r));
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => us[a] - us[b] || a - b);
      keep.set(g.id, keepUnits(g, new Set(order.slice(0, drop))));
    }
    return keep;
  }
  // Global: scores normalized by their group's mean, one ranking over all units.
  const all: { g: ChannelGroup; k: number; v: number; size: number }[] = [];
  let budget = 0;
  for (const g of groups) {
    const us = unitScores(g);
    const mean = us.reduce((a, b) => a + b, 0) / us.length || 1;
    us.forEach((v, k) => all.push({ g, k, v: v / mean, size: units(g) }));
    budget += opts.sparsity(g) * g.channels;
  }
  all.sort((a, b) => a.v - b.v || a.g.id - b.g.id || a.k - b.k);
  const dropped = new Map<number, Set<number>>(groups.map((g) => [g.id, new Set<number>()]));
  let removed = 0;
  for (const e of all) {
    if (removed + e.size > budget + 1e-9) continue;
    const d = dropped.get(e.g.id)!;
    const n = Math.floor(e.g.channels / units(e.g));
    if (n - d.size - 1 < Math.max(1, Math.ceil(minKeep * n))) continue;
    d.add(e.k);
    removed += e.size;
  }
  for (const g of groups) keep.set(g.id, keepUnits(g, dropped.get(g.id)!));
  return keep;
}
