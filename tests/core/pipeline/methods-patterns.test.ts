// Acceptance: each method × pattern runs on the MLP, CNN and transformer fixtures, the exported
// twin loads and runs in ONNX Runtime, the measured sparsity of every pruned layer is the
// requested level (exactly for N:M and block), and excluded layers are untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { baseRecipe, compress, fixture, SHAPES, tempDir, weightsOf } from './helpers';
import type { CompressReport } from '../../../main/core/pipeline/report';
import { findLayers, toMatrix } from '../../../main/core/methods/layers';
import { openModel } from '../../../main/core/model';
import { parsePattern } from '../../../main/core/methods/sparsity';
import type { FixtureName } from '../../fixtures';

const FIXTURES: { name: FixtureName; exclude: string }[] = [
  { name: 'mlp_gemm', exclude: 'fc2.weight' },
  { name: 'cnn', exclude: 'head.weight' },
  { name: 'transformer', exclude: 'attn.o_proj.weight' },
];
const METHODS = ['magnitude', 'random', 'wanda', 'sparsegpt'];
const PATTERNS = ['unstructured', '2:4', '4:8', 'block:4x4', 'channel'];
const SUPPORTED: Record<string, string[]> = { sparsegpt: ['unstructured', '2:4', '4:8'] };
const LEVEL = 0.5;

let tmp: ReturnType<typeof tempDir>;
const models: Record<string, string> = {};
beforeAll(() => {
  tmp = tempDir('mxp');
  for (const f of FIXTURES) models[f.name] = fixture(f.name, tmp.dir);
});
afterAll(() => tmp.cleanup());

function canonical(file: string, id: string): { rows: number; cols: number; w: Float32Array } {
  const ir = openModel(file);
  try {
    const l = findLayers(ir).find((x) => x.name === id)!;
    return { rows: l.rows, cols: l.cols, w: toMatrix(l) };
  } finally {
    ir.close();
  }
}

function expectColumnsDropped(parentFile: string, twinFile: string, id: string): void {
  const a = canonical(parentFile, id);
  const b = canonical(twinFile, id);
  expect(b.rows).toBe(a.rows);
  // Kept columns from the first row, then every row must agree with them.
  const kept: number[] = [];
  let j = 0;
  for (let c = 0; c < b.cols; c++) {
    while (j < a.cols && a.w[j] !== b.w[c]) j++;
    expect(j).toBeLessThan(a.cols);
    kept.push(j++);
  }
  for (let r = 0; r < a.rows; r++) for (let c = 0; c < b.cols; c++) expect(b.w[r * b.cols + c]).toBe(a.w[r * a.cols + kept[c]]);
}

function zerosOf(w: Float32Array): number {
  let z = 0;
  for (const v of w) if (v === 0) z++;
  return z;
}

describe.each(FIXTURES)('$name', ({ name, exclude }) => {
  for (const method of METHODS) {
    for (const pattern of PATTERNS) {
      const ok = (SUPPORTED[method] ?? PATTERNS).includes(pattern);
      it(`${method} × ${pattern}${ok ? '' : ' is refused naming the field'}`, async () => {
        const out = path.join(tmp.dir, `${name}-${method}-${pattern.replace(/[:]/g, '_')}`);
        const p = parsePattern(pattern);
        const recipe = baseRecipe(models[name], out, {
          inputShapes: SHAPES[name],
          stages: [{ type: 'prune', method, pattern, ...(p.kind === 'nm' ? {} : { sparsity: LEVEL }), exclude: [exclude] }],
        });
        if (!ok) {
          await expect(compress(recipe)).rejects.toThrow(/stages\[0\]\.pattern: method 'sparsegpt' does not support/);
          return;
        }
        const r = await compress(recipe);
        // The twin loads and runs in ORT (the evaluation ran it); outputs are finite.
        expect(Number.isFinite(r.metrics.cosine)).toBe(true);
        const session = await ort.InferenceSession.create(r.twin);
        await session.release();
        const report = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
        const parent = weightsOf(models[name]);
        const twin = weightsOf(r.twin);
        // Excluded layer: the parent's weights. When its producer lost channels, the inputs that
        // read them went too: every row is then the parent's row with the same columns dropped.
        const pe = parent.get(exclude)!;
        const te = twin.get(exclude)!;
        if (p.kind === 'channel' && te.values.length !== pe.values.length) expectColumnsDropped(models[name], r.twin, exclude);
        else expect(Array.from(te.values)).toEqual(Array.from(pe.values));
        const pruned = report.layers.filter((l) => l.prune);
        expect(pruned.length).toBeGreaterThan(0);
        const ir = openModel(r.twin);
        try {
          const layers = new Map(findLayers(ir).map((l) => [l.name, l]));
          for (const l of pruned) {
            const layer = layers.get(l.name)!;
            const w = toMatrix(layer);
            const n = w.length;
            const zeros = zerosOf(w);
            // A parent with zeros of its own (fc1 of the MLP) can only end sparser than asked.
            const exact = l.parentNonzeros === l.params;
            if (p.kind === 'nm') {
              // Exactly n of every m along the inputs of each row (canonical matrix), so exactly 1 - n/m.
              if (exact) expect(zeros / n).toBe(1 - p.n / p.m);
              else expect(zeros / n).toBeGreaterThanOrEqual(1 - p.n / p.m);
              for (let g = 0; g < n; g += p.m) {
                let nz = 0;
                for (let j = 0; j < p.m; j++) if (w[g + j] !== 0) nz++;
                expect(nz).toBeLessThanOrEqual(p.n);
              }
            } else if (p.kind === 'block') {
              const blocks = (layer.rows / p.rows) * (layer.cols / p.cols);
              const prunedBlocks = Math.floor(LEVEL * blocks);
              let zeroBlocks = 0;
              for (let bi = 0; bi < layer.rows / p.rows; bi++) for (let bj = 0; bj < layer.cols / p.cols; bj++) {
                let all = true;
                for (let i = 0; i < p.rows && all; i++) for (let j = 0; j < p.cols && all; j++) if (w[(bi * p.rows + i) * layer.cols + bj * p.cols + j] !== 0) all = false;
                if (all) zeroBlocks++;
              }
              if (exact) expect(zeroBlocks).toBe(prunedBlocks);
              else expect(zeroBlocks).toBeGreaterThanOrEqual(prunedBlocks);
            } else if (p.kind === 'channel') {
              if (l.channels?.removed) {
                expect(l.channels.after).toBe(l.channels.before - Math.floor(LEVEL * l.channels.before));
                expect(layer.rows).toBe(l.channels.after);
              } else {
                let zeroRows = 0;
                for (let row = 0; row < layer.rows; row++) if (w.subarray(row * layer.cols, (row + 1) * layer.cols).every((v) => v === 0)) zeroRows++;
                expect(zeroRows).toBe(Math.floor(LEVEL * layer.rows));
              }
            } else if (!exact && method === 'random') {
              // Random masks ignore the parent's own zeros: at least the level, plus those it kept.
              expect(zeros).toBeGreaterThanOrEqual(Math.floor(LEVEL * n));
            } else {
              expect(zeros).toBe(Math.floor(LEVEL * n));
            }
          }
        } finally {
          ir.close();
        }
      });
    }
  }
});
