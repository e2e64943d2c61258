// Export pieces on their own: packed sparse formats round-trip, the .twsp container, atomic
// staging, the knee of a sweep curve, gates, and fidelity metrics.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chooseFormat } from '../../../main/core/pipeline/export';
import { encodeTwsp, packLayer, unpackLayer } from '../../../main/core/twin-runtime/twsp';
import { StagedOutput } from '../../../main/core/pipeline/atomic';
import { findKnee } from '../../../main/core/pipeline/sweep';
import { FidelityAccumulator, classOf } from '../../../main/core/pipeline/metrics';
import { checkGates } from '../../../main/core/pipeline/gates';
import { parsePattern } from '../../../main/core/methods/sparsity';
import { Rng } from '../../../main/core/data/rng';
import { tempDir } from './helpers';

function sparseMatrix(rows: number, cols: number, keep: (r: number, c: number) => boolean): Float32Array {
  const rng = new Rng(5);
  const w = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = keep(r, c) ? rng.normal() || 0.5 : 0;
  return w;
}

describe('packed sparse formats', () => {
  const rows = 8;
  const cols = 16;
  const cases: [string, string, (r: number, c: number) => boolean][] = [
    ['2:4', '2:4', (r, c) => (c + r) % 4 < 2],
    ['4:8', 'nm', (r, c) => (c * 3 + r) % 8 < 4],
    ['3:8 (3-bit indices)', 'nm', (r, c) => (c * 5 + r) % 8 < 3],
    ['block:4x4', 'bsr', (r, c) => ((r >> 2) + (c >> 2)) % 2 === 0],
    ['unstructured 50%', 'bitmap', (r, c) => (r * 7 + c * 13) % 2 === 0],
    ['unstructured 90%', 'csr', (r, c) => (r * 7 + c * 13) % 10 === 0],
  ];
  for (const [what, fmt, keep] of cases) {
    it(`${what} packs as ${fmt} and unpacks to the same matrix`, () => {
      const p = what.startsWith('unstructured') ? parsePattern('unstructured') : parsePattern(what.split(' ')[0]);
      const w = sparseMatrix(rows, cols, keep);
      const zeros = w.filter((v) => v === 0).length / w.length;
      const format = chooseFormat(p, zeros, 'auto');
      expect(format).toBe(fmt);
      const l = packLayer('w', w, rows, cols, format, p);
      expect(Array.from(unpackLayer(l))).toEqual(Array.from(w));
      expect(l.bytes).toBeLessThan(w.byteLength);
    });
  }
  it('a .twsp file has the magic, a JSON header and 64-byte aligned sections', () => {
    const w = sparseMatrix(4, 8, (r, c) => c % 4 < 2);
    const l = packLayer('layer.0', w, 4, 8, '2:4', parsePattern('2:4'));
    const buf = encodeTwsp([l], { model: 'twin.onnx' });
    expect(Buffer.from(buf.subarray(0, 8)).toString('latin1')).toBe('TWSPARSE');
    const dv = new DataView(buf.buffer, buf.byteOffset);
    expect(dv.getUint32(8, true)).toBe(1);
    const header = JSON.parse(Buffer.from(buf.subarray(16, 16 + dv.getUint32(12, true))).toString('utf8'));
    expect(header.model).toBe('twin.onnx');
    const s = header.layers[0].sections.values;
    expect(s.offset % 64).toBe(0);
    const values = new Float32Array(buf.slice(s.offset, s.offset + s.length).buffer);
    expect(values.length).toBe(16);
    expect(values[0]).toBe(w.find((v) => v !== 0));
  });
});

describe('atomic staged output', () => {
  it('commit moves every file into place; abort leaves nothing', () => {
    const t = tempDir('stage');
    try {
      const a = new StagedOutput(path.join(t.dir, 'a'));
      a.write('x.txt', 'one');
      a.write('sub/y.bin', new Uint8Array([1, 2]));
      expect(existsSync(path.join(t.dir, 'a', 'x.txt'))).toBe(false);
      a.commit();
      expect(readFileSync(path.join(t.dir, 'a', 'x.txt'), 'utf8')).toBe('one');
      expect(readdirSync(path.join(t.dir, 'a')).sort()).toEqual(['sub', 'x.txt']);
      const b = new StagedOutput(path.join(t.dir, 'b'));
      b.write('x.txt', 'two');
      b.abort();
      expect(readdirSync(path.join(t.dir, 'b'))).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('an adopted unsynced file is flushed early and committed; abort under a flush is clean', async () => {
    const t = tempDir('stage-adopt');
    try {
      const a = new StagedOutput(path.join(t.dir, 'a'));
      const big = new Uint8Array(8 << 20).fill(7);
      writeFileSync(path.join(a.staging, 'w.data'), big);
      a.adopt('w.data', { synced: false });
      a.adopt('w.data', { synced: false }); // twice: one flush, one entry
      expect(a.paths).toEqual([path.join(t.dir, 'a', 'w.data')]);
      a.commit();
      expect(readFileSync(path.join(t.dir, 'a', 'w.data')).equals(big)).toBe(true);
      // Abort at once, the early flush still in flight: staging goes, nothing throws later.
      const b = new StagedOutput(path.join(t.dir, 'b'));
      writeFileSync(path.join(b.staging, 'w.data'), big);
      b.adopt('w.data', { synced: false });
      b.abort();
      await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(path.join(t.dir, 'b'))).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});

describe('sweep knee (essential sparsity)', () => {
  it('finds the level after which fidelity falls fast', () => {
    const levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    const values = [0.999, 0.998, 0.997, 0.995, 0.992, 0.97, 0.85, 0.6, 0.3];
    expect(findKnee(levels, values)).toBe(0.6);
    expect(findKnee([0.1, 0.5, 0.9], [1, 1, 1])).toBe(0.9);
  });
});

describe('fidelity metrics and gates', () => {
  it('agreement, cosine, SQNR, max error and accuracy', () => {
    const acc = new FidelityAccumulator();
    const parent = Float32Array.from([1, 2, 3, 3, 2, 1]);
    const twin = Float32Array.from([1, 2, 2.9, 2.8, 2.9, 1]);
    acc.add([{ name: 'y', data: parent, dims: [2, 3] }], [twin], Int32Array.from([2, 1]));
    const f = acc.result();
    expect(f.samples).toBe(2);
    expect(f.top1Agreement).toBe(0.5);
    expect(f.accuracy).toEqual({ parent: 0.5, twin: 1 });
    expect(f.maxAbsError).toBeCloseTo(0.9, 5);
    const noise = 0.01 + 0.04 + 0.81;
    expect(f.sqnrDb).toBeCloseTo(10 * Math.log10(28 / noise), 4);
    expect(f.cosine).toBeGreaterThan(0.9);
    expect(classOf(Float32Array.of(0.7))).toBe(1);
    expect(classOf(Float32Array.of(-2))).toBe(0);
    const gates = checkGates({ minTop1Agreement: 0.9, minCosine: 0.5, maxAccuracyDrop: 0.01 }, f, { parentBytes: 1, twinBytes: 1, parameters: 1, parentNonzeros: 1, twinNonzeros: 1, sparsity: 0 });
    expect(gates.map((g) => g.passed)).toEqual([false, true, true]);
  });
});
