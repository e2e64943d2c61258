import { describe, expect, it } from 'vitest';
import { blockMask, blockScores, channelNorms, wandaScores } from '../../main/core/native';
import { countFailures, expectCode, forEachIsa, randomF32, skipNative } from './helpers';

describe.skipIf(skipNative)('structured kernels', () => {
  const rows = 37;
  const cols = 53;
  const w = randomF32(rows * cols, 7);

  it('channel norms per row / column equal double sums in index order', () => {
    for (const per of ['row', 'col'] as const)
      for (const norm of ['l1', 'l2'] as const) {
        const got = channelNorms(w, { rows, cols, per, norm });
        const n = per === 'row' ? rows : cols;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let j = 0; j < (per === 'row' ? cols : rows); j++) {
            const v = per === 'row' ? w[i * cols + j] : w[j * cols + i];
            acc += norm === 'l1' ? Math.abs(v) : v * v;
          }
          expect(got[i]).toBe(Math.fround(norm === 'l1' ? acc : Math.sqrt(acc)));
        }
      }
  });

  it('block masks prune exactly floor(sparsity * blocks), lowest scores first', () => {
    for (const [br, bc] of [[4, 4], [1, 16], [8, 3]] as const) {
      const nb = Math.ceil(rows / br) * Math.ceil(cols / bc);
      const scores = new Float32Array(nb);
      const mask = blockMask(w, { rows, cols, blockRows: br, blockCols: bc, sparsity: 0.5, norm: 'l1', scores });
      expect(scores).toEqual(blockScores(w, { rows, cols, blockRows: br, blockCols: bc, norm: 'l1' }));
      const prunedBlocks = new Set<number>();
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) if (!mask[r * cols + c]) prunedBlocks.add(Math.floor(r / br) * Math.ceil(cols / bc) + Math.floor(c / bc));
      expect(prunedBlocks.size).toBe(Math.floor(0.5 * nb));
      const maxPruned = Math.max(...[...prunedBlocks].map((b) => scores[b]));
      for (let b = 0; b < nb; b++) if (!prunedBlocks.has(b)) expect(scores[b]).toBeGreaterThanOrEqual(maxPruned);
    }
  });

  it('wanda scores |w| * norm on both axes and every ISA', () => {
    const colNorms = randomF32(cols, 3).map(Math.abs);
    const rowNorms = randomF32(rows, 4).map(Math.abs);
    forEachIsa(() => {
      const a = wandaScores(w, colNorms, { rows, cols, axis: 1 });
      const b = wandaScores(w, rowNorms, { rows, cols, axis: 0 });
      expect(countFailures(w.length, (i) => a[i] === Math.fround(Math.abs(w[i]) * colNorms[i % cols]))).toBe(0);
      expect(countFailures(w.length, (i) => b[i] === Math.fround(Math.abs(w[i]) * rowNorms[Math.floor(i / cols)]))).toBe(0);
    });
  });

  it('rejects bad arguments', () => {
    expectCode(() => blockMask(w, { rows, cols, blockRows: 0, blockCols: 4, sparsity: 0.5 }), 'BAD_INPUT', 'blockRows');
    expectCode(() => blockMask(w, { rows, cols, blockRows: 4, blockCols: 4, sparsity: -0.5 }), 'BAD_INPUT', 'sparsity');
    expectCode(() => channelNorms(w, { rows, cols, per: 'diag' as 'row' }), 'BAD_INPUT', 'per');
    expectCode(() => wandaScores(w, new Float32Array(cols - 1), { rows, cols }), 'BAD_INPUT', 'inputNorms');
    const bad = w.slice();
    bad[100] = NaN;
    expectCode(() => blockMask(bad, { rows, cols, blockRows: 4, blockCols: 4, sparsity: 0.5 }), 'BAD_INPUT', 'weights');
  });
});
