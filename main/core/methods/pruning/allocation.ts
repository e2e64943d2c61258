// Layer-wise sparsity allocation: uniform (every layer at the target), ERK (Erdős–Rényi-Kernel:
// density proportional to sum(shape)/prod(shape), as in RigL and the random-pruning papers), with
// layers that would exceed density 1 kept dense and the rest rescaled so the total matches.

export interface AllocLayer {
  name: string;
  dims: number[];
  numel: number;
}

/** Per-layer sparsity so that the parameter-weighted mean equals `sparsity` (ERK shape rule). */
export function erkSparsities(layers: AllocLayer[], sparsity: number, power = 1): Map<string, number> {
  const density = 1 - sparsity;
  const raw = new Map<string, number>();
  for (const l of layers) raw.set(l.name, (l.dims.reduce((a, b) => a + b, 0) / l.numel) ** power);
  const dense = new Set<string>();
  let eps = 0;
  for (let iter = 0; iter <= layers.length; iter++) {
    let rhs = 0;
    let divisor = 0;
    for (const l of layers) {
      if (dense.has(l.name)) rhs -= l.numel * (1 - density);
      else {
        rhs += l.numel * density;
        divisor += raw.get(l.name)! * l.numel;
      }
    }
    eps = divisor > 0 ? rhs / divisor : 0;
    let maxProb = -Infinity;
    for (const l of layers) if (!dense.has(l.name)) maxProb = Math.max(maxProb, raw.get(l.name)!);
    if (maxProb * eps > 1) {
      for (const l of layers) if (!dense.has(l.name) && raw.get(l.name) === maxProb) dense.add(l.name);
    } else break;
  }
  const out = new Map<string, number>();
  for (const l of layers) out.set(l.name, dense.has(l.name) ? 0 : Math.min(1, Math.max(0, 1 - eps * raw.get(l.name)!)));
  return out;
}
