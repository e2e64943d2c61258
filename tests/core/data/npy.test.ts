import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { parseNpy, writeNpy, toFloat32, listZip, readZipEntry, loadDataset, syntheticDataset, batchRanges, SYNTHETIC_WARNING } from '../../../main/core/data';

const dir = path.join(import.meta.dirname, 'files');
const file = (f: string) => readFileSync(path.join(dir, f));

describe('npy reader (files written by numpy 2.4)', () => {
  it('reads float32 C-order', () => {
    const a = parseNpy(file('f32.npy'));
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([3, 4, 5]);
    expect(a.data[0]).toBeCloseTo(0.12573022, 6);
    expect(a.data[4]).toBeCloseTo(-0.5356694, 6);
    expect(Array.from(a.data as Float32Array).reduce((s, v) => s + v, 0)).toBeCloseTo(4.637752, 4);
  });
  it('reorders fortran arrays to C order', () => {
    const a = parseNpy(file('f64_fortran.npy'));
    expect(a.shape).toEqual([3, 4]);
    expect(a.data[0]).toBeCloseTo(-0.43643524714322124, 12);
    expect(a.data[1]).toBeCloseTo(-1.169801907772864, 12);
    expect(a.data[4]).toBeCloseTo(0.3289696294602021, 12);
  });
  it('reads int64, big-endian int32 and float16', () => {
    expect(Array.from(parseNpy(file('i64.npy')).data as BigInt64Array)).toEqual([1n, 2n, -3n, 4n]);
    expect(Array.from(parseNpy(file('be_i32.npy')).data as Int32Array)).toEqual([1, 2, 3, 70000]);
    const h = toFloat32(parseNpy(file('f16.npy')));
    expect(h[0]).toBe(0.5);
    expect(h[1]).toBe(-2);
    expect(h[2]).toBeCloseTo(1 / 3, 3);
  });
  it('rejects bad magic, truncated data and unknown dtypes naming the file', () => {
    expect(() => parseNpy(new Uint8Array(20), 'x.npy')).toThrow(/x\.npy.*magic/);
    const good = file('f32.npy');
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'y.npy')).toThrow(/y\.npy.*data section/);
    const obj = new Uint8Array(good);
    const h = Buffer.from(obj).toString('latin1').replace("'<f4'", "'|O8'");
    expect(() => parseNpy(Buffer.from(h, 'latin1'), 'z.npy')).toThrow(/dtype '\|O8' is not supported/);
  });
  it('round-trips its own writer', () => {
    const a = { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    const b = parseNpy(writeNpy(a));
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('npz (zip) reader', () => {
  for (const f of ['two.npz', 'two_c.npz']) {
    it(`reads ${f} (numpy's zip64 local headers${f.includes('_c') ? ', deflated' : ''})`, () => {
      const buf = file(f);
      const entries = listZip(buf);
      expect(entries.map((e) => e.name).sort()).toEqual(['labels.npy', 'x.npy']);
      const x = parseNpy(readZipEntry(buf, entries.find((e) => e.name === 'x.npy')!));
      expect(x.shape).toEqual([3, 4, 5]);
      expect(x.data[0]).toBeCloseTo(0.12573022, 6);
    });
  }
  it('detects a corrupted entry by CRC', () => {
    const buf = new Uint8Array(file('two.npz'));
    const e = listZip(buf).find((x) => x.name === 'x.npy')!;
    const bad = new Uint8Array(buf);
    bad[e.localOffset + 30 + 'x.npy'.length + 20 + 200] ^= 0xff; // inside the data (after the zip64 extra)
    expect(() => readZipEntry(bad, e, 'bad.npz')).toThrow(/bad\.npz.*CRC/);
  });
  it('reads zips another writer made (fflate, stored and deflated)', () => {
    const a = writeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([7, 8]) });
    for (const level of [0, 6] as const) {
      const z = zipSync({ 'a.npy': a }, { level });
      const [e] = listZip(z);
      expect(e.method).toBe(level ? 8 : 0);
      expect(Array.from(parseNpy(readZipEntry(z, e)).data as Int32Array)).toEqual([7, 8]);
    }
  });
});

describe('datasets', () => {
  const spec = [{ name: 'x', type: 'float32', shape: ['batch', 4, 5] }];
  it('maps an npz onto a single-input model, with labels', () => {
    const ds = loadDataset(path.join(dir, 'two.npz'), { field: 'evaluation.source', inputs: spec });
    expect(ds.count).toBe(3);
    expect(ds.sampleDims.x).toEqual([4, 5]);
    expect(Array.from(ds.labels!)).toEqual([0, 1, 2]);
    const b = ds.batch(1, 2);
    expect(b.feeds.x.dims).toEqual([2, 4, 5]);
    expect((b.feeds.x.data as Float32Array)[0]).toBe((ds.batch(1, 1).feeds.x.data as Float32Array)[0]);
    expect(ds.synthetic).toBe(false);
  });
  it('does not mistake per-sample subgroup ids for a second input', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'tf-ds-'));
    const z = zipSync(
      {
        'pixels.npy': writeNpy({ dtype: 'float32', shape: [2, 4, 5], data: new Float32Array(40).fill(3) }),
        'labels.npy': writeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([1, 0]) }),
        'subgroups.npy': writeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) }),
      },
      { level: 0 },
    );
    writeFileSync(path.join(d, 'eval.npz'), z);
    const ds = loadDataset(path.join(d, 'eval.npz'), { field: 'evaluation.source', inputs: spec });
    expect(ds.count).toBe(2);
    expect((ds.batch(0, 1).feeds.x.data as Float32Array)[0]).toBe(3);
    expect(Array.from(ds.labels!)).toEqual([1, 0]);
  });
  it('reads a folder of per-input files and labels.npy, limited to `samples`', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'tf-ds-'));
    mkdirSync(path.join(d, 'sub'));
    writeFileSync(path.join(d, 'a.npy'), writeNpy({ dtype: 'float32', shape: [2, 4, 5], data: new Float32Array(40).fill(1) }));
    writeFileSync(path.join(d, 'b.npy'), writeNpy({ dtype: 'float32', shape: [4, 5], data: new Float32Array(20).fill(2) }));
    writeFileSync(path.join(d, 'labels.npy'), writeNpy({ dtype: 'int64', shape: [3], data: BigInt64Array.from([5n, 6n, 7n]) }));
    const ds = loadDataset(d, { field: 'calibration.source', inputs: spec });
    expect(ds.count).toBe(3);
    expect((ds.batch(2, 1).feeds.x.data as Float32Array)[0]).toBe(2);
    expect(Array.from(ds.labels!)).toEqual([5, 6, 7]);
    expect(loadDataset(d, { field: 'calibration.source', inputs: spec, samples: 2 }).count).toBe(2);
  });
  it('names the field and the shape when data does not fit the model', () => {
    expect(() => loadDataset(path.join(dir, 'two.npz'), { field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: [1, 4, 6] }] })).toThrow(
      /calibration\.source: the array for input 'x' has shape \(3, 4, 5\): dimension 2 of a sample is 5 where the model expects 6 \(input shape \(1, 4, 6\)\)/,
    );
    expect(() => loadDataset('/nonexistent/x.npy', { field: 'evaluation.source', inputs: spec })).toThrow(/evaluation\.source: '\/nonexistent\/x\.npy' does not exist/);
  });
  it('synthesises inputs with a warning, honouring fixed shapes and a fixed batch dim', () => {
    const ds = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: [1, 'seq', 8] }], inputShapes: { x: [1, 3, 8] }, samples: 5, seed: 1 });
    expect(ds.warnings[0]).toBe(SYNTHETIC_WARNING);
    expect(ds.sampleDims.x).toEqual([3, 8]);
    expect(ds.maxBatch).toBe(1);
    expect([...batchRanges(ds, 8)]).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 1]]);
    const again = syntheticDataset({ field: 'c', inputs: [{ name: 'x', type: 'float32', shape: [1, 'seq', 8] }], inputShapes: { x: [1, 3, 8] }, samples: 5, seed: 1 });
    expect(Array.from(again.batch(0, 1).feeds.x.data as Float32Array)).toEqual(Array.from(ds.batch(0, 1).feeds.x.data as Float32Array));
  });
});
