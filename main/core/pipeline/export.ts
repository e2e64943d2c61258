// Export beyond the twin model itself: the Twinforge packed sparse file (.twsp, layout in
// twin-runtime/twsp.ts) holding every pruned layer in the format its pattern pays in, and the
// size facts of parent and twin.
import { statSync } from 'node:fs';
import type { ModelIR } from '../model/ir';
import { findLayers, toMatrix, type LayerTarget } from '../methods/layers';
import type { Pattern } from '../methods/sparsity';
import type { PackedFormats } from '../recipe/schema';
import type { StagedOutput } from './atomic';
import type { TransformResult } from './transform';
import type { Sizes } from './report';
import { encodeTwsp, packLayer, type PackedFormat, type PackedLayer } from '../twin-runtime/twsp';

export interface PackedResult {
  file: string;
  bytes: number;
  layers: { name: string; format: PackedFormat; bytes: number; denseBytes: number }[];
}

/** The format that pays for a layer with this pattern and sparsity. */
export function chooseFormat(p: Pattern | undefined, sparsity: number, wanted: (typeof PackedFormats)[number]): PackedFormat {
  if (wanted !== 'auto') {
    if (wanted === '2:4' && !(p?.kind === 'nm' && p.n === 2 && p.m === 4)) return 'bitmap';
    if (wanted === 'bsr' && p?.kind !== 'block') return 'csr';
    return wanted;
  }
  if (p?.kind === 'nm') return p.n <= 2 && p.m === 4 ? '2:4' : 'nm';
  if (p?.kind === 'block') return 'bsr';
  return sparsity >= 0.7 ? 'csr' : 'bitmap';
}

/** Packs every pruned layer of the twin and writes <name>.twsp into staging. */
export function writePacked(staged: StagedOutput, name: string, twin: ModelIR, tr: TransformResult, wanted: (typeof PackedFormats)[number], _timings: unknown): PackedResult {
  const layers = findLayers(twin).filter((l) => tr.patterns.has(l.name) && !tr.quantized.has(l.name));
  const packed: PackedLayer[] = [];
  const info: PackedResult['layers'] = [];
  for (const l of layers) {
    const w = toMatrix(l);
    const zeros = w.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
    const p = tr.patterns.get(l.name);
    const fmt = chooseFormat(p, zeros / w.length, wanted);
    const pl = packLayer(l.name, w, l.rows, l.cols, fmt, p);
    packed.push(pl);
    info.push({ name: l.name, format: pl.format, bytes: pl.bytes, denseBytes: w.length * 4 });
  }
  const body = encodeTwsp(packed, { twinforge: 1, model: `${name}.onnx` });
  const file = staged.write(`${name}.twsp`, body);
  return { file, bytes: body.byteLength, layers: info };
}

function fileBytes(file: string | undefined): number {
  if (!file) return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Sizes of parent and twin: files, parameters, nonzeros, packed weights. */
export function measureSizes(parentFile: string, twinFile: string, twinData: string | undefined, parent: ModelIR, tr: TransformResult, packed?: PackedResult, parentDataFiles: string[] = []): Sizes {
  let parameters = 0;
  for (const w of parent.weights) if (w.isParameter) parameters += w.numel;
  let parentLayers = 0;
  let twinLayers = 0;
  for (const r of tr.layers.values()) {
    parentLayers += r.parentNonzeros;
    twinLayers += r.nonzeros;
  }
  const parentNonzeros = tr.parentOtherNonzeros + parentLayers;
  const twinNonzeros = tr.parentOtherNonzeros + twinLayers;
  const sizes: Sizes = {
    parentBytes: fileBytes(parentFile) + parentDataFiles.reduce((a, f) => a + fileBytes(f), 0),
    twinBytes: fileBytes(twinFile) + fileBytes(twinData),
    parameters,
    parentNonzeros,
    twinNonzeros,
    sparsity: parameters ? 1 - twinNonzeros / parameters : 0,
  };
  if (packed) {
    sizes.denseWeightBytes = packed.layers.reduce((a, l) => a + l.denseBytes, 0);
    sizes.packedWeightBytes = packed.layers.reduce((a, l) => a + l.bytes, 0);
    sizes.packedFormats = {};
    for (const l of packed.layers) sizes.packedFormats[l.format] = (sizes.packedFormats[l.format] ?? 0) + 1;
  }
  return sizes;
}

export type { LayerTarget };
