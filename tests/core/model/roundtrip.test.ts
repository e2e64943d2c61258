// Round trips: read → write unchanged → ONNX Runtime gives bit-identical outputs, for every
// fixture, through every storage path (whole-file and positional reads, inline, lazy and
// external weights); and a written weight change shows up in ORT's outputs.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { saveOnnx } from '../../../main/core/model/onnx/writer';
import { fixtureFile, manifest } from '../../fixtures';
import { bitIdentical, inputsFor, outputsOf, rmTmp, tmpDir } from './helpers';

const entries = manifest();
let dir: string;
beforeAll(() => {
  dir = tmpDir('roundtrip');
});
afterAll(() => rmTmp(dir));

// The read paths: whole file in memory with default lazy threshold, and positional reads with
// every raw_data of 16+ bytes left in the file (exercises the skeleton and inflate passes).
const READS = [
  { tag: 'memory', opts: {} },
  { tag: 'positional', opts: { lazyMinBytes: 16, wholeFileMaxBytes: 0 } },
];

describe('unchanged round trip', () => {
  for (const e of entries) {
    for (const r of READS) {
      it(`${e.name} (${r.tag} read): written file gives bit-identical ORT outputs and weights`, async () => {
        const src = fixtureFile(e.name, dir);
        const out = path.join(dir, `${e.name}.${r.tag}.rt.onnx`);
        const m = OnnxModel.open(src, r.opts);
        try {
          saveOnnx(m, out);
          const back = OnnxModel.open(out);
          try {
            expect(back.weights.map((w) => w.id)).toEqual(m.weights.map((w) => w.id));
            for (const w of m.weights) expect(Buffer.from(back.weight(w.id)!.bytes()).equals(Buffer.from(w.bytes()))).toBe(true);
            expect(back.producer).toEqual(m.producer);
            expect(back.opsets).toEqual(m.opsets);
            expect(back.metadata).toEqual(m.metadata);
            expect(back.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs])).toEqual(m.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs]));
            expect(back.proto.docString).toBe(m.proto.docString);
          } finally {
            back.close();
          }
        } finally {
          m.close();
        }
        if (!e.expect.ortLoads) return;
        const feeds = await inputsFor(src);
        expect(bitIdentical(await outputsOf(src, feeds), await outputsOf(out, feeds))).toBe(true);
      });
    }

    it(`${e.name}: to external data and back gives bit-identical outputs`, async () => {
      const src = fixtureFile(e.name, dir);
      const sub = path.join(dir, `${e.name}-ext`);
      fs.mkdirSync(sub, { recursive: true });
      const ext = path.join(sub, 'model.onnx');
      const m = OnnxModel.open(src);
      const res = saveOnnx(m, ext, { externalData: 'always', externalMinBytes: 64 });
      m.close();
      const mx = OnnxModel.open(ext);
      const hasBig = mx.weights.some((w) => w.byteLength >= 64 && !['typed', 'attribute', 'sparse'].includes(w.storage));
      if (hasBig) {
        expect(res.dataPath).toBe(path.join(sub, 'model.onnx.data'));
        expect(mx.weights.some((w) => w.storage === 'external')).toBe(true);
      }
      const emb = path.join(dir, `${e.name}.embedded.onnx`);
      saveOnnx(mx, emb, { externalData: 'never' });
      mx.close();
      const me = OnnxModel.open(emb);
      expect(me.weights.every((w) => w.storage !== 'external')).toBe(true);
      me.close();
      if (!e.expect.ortLoads) return;
      const feeds = await inputsFor(src);
      const ref = await outputsOf(src, feeds);
      expect(bitIdentical(ref, await outputsOf(ext, feeds))).toBe(true);
      expect(bitIdentical(ref, await outputsOf(emb, feeds))).toBe(true);
    });

    it(`${e.name}: a written weight change is visible in ORT's outputs`, async () => {
      if (!e.expect.ortLoads) return;
      const src = fixtureFile(e.name, dir);
      const ed = ModelEditor.open(src);
      // Every float parameter changes (so the branch an If takes does not matter).
      const targets = ed.current().weights.filter((w) => w.isParameter && w.dtype.startsWith('float'));
      if (targets.length === 0) {
        ed.close();
        return;
      }
      const changed = new Map(targets.map((t) => [t.id, t.float32().map((v, i) => (i % 3 === 0 ? v * 2 + 0.5 : v))]));
      for (const t of targets) ed.setTensor(t.id, changed.get(t.id)!);
      const out = path.join(dir, `${e.name}.changed.onnx`);
      ed.save(out);
      // The new values are what was written (after encoding into the weight's dtype).
      const again = OnnxModel.open(out);
      for (const t of targets) {
        const back = again.weight(t.id)!;
        expect(back.dtype).toBe(t.dtype);
        expect(back.dims).toEqual(t.dims);
        if (t.dtype === 'float32') expect(Array.from(back.float32())).toEqual(Array.from(changed.get(t.id)!));
        else expect(Array.from(back.float32())).not.toEqual(Array.from(t.float32()));
      }
      again.close();
      ed.close();
      const feeds = await inputsFor(src);
      expect(bitIdentical(await outputsOf(src, feeds), await outputsOf(out, feeds))).toBe(false);
    });
  }

  it('if_subgraph: both branches give identical outputs after a round trip', async () => {
    const src = fixtureFile('if_subgraph', dir);
    const out = path.join(dir, 'if.rt.onnx');
    const m = OnnxModel.open(src, { lazyMinBytes: 16 });
    saveOnnx(m, out);
    m.close();
    const x = new ort.Tensor('float32', Float32Array.from({ length: 8 }, (_, i) => i / 7 - 0.5), [1, 8]);
    for (const c of [0, 1]) {
      const feeds = { x, cond: new ort.Tensor('bool', Uint8Array.of(c), []) };
      expect(bitIdentical(await outputsOf(src, feeds), await outputsOf(out, feeds))).toBe(true);
    }
  });

  it('keeps names, doc strings, metadata and unknown fields', () => {
    const src = fixtureFile('mlp_gemm', dir);
    const m = OnnxModel.open(src);
    m.proto.graph!.node[0].docString = 'first layer';
    m.proto.graph!.node[0].$unknown = [{ no: 999, wireType: 2, data: Uint8Array.of(3, 1, 2, 3) }];
    const out = path.join(dir, 'mlp.meta.onnx');
    saveOnnx(m, out);
    m.close();
    const back = OnnxModel.open(out);
    expect(back.proto.graph!.node[0].docString).toBe('first layer');
    expect(back.proto.graph!.node[0].$unknown?.[0].no).toBe(999);
    expect(back.metadata).toEqual({ fixture: 'mlp_gemm' });
    expect(back.proto.docString).toContain('MLP');
    expect(back.graphName).toBe('mlp');
    back.close();
  });

  it('writes atomically: no temp files are left, and a failed save leaves the target untouched', () => {
    const src = fixtureFile('cnn', dir);
    const sub = path.join(dir, 'atomic');
    fs.mkdirSync(sub);
    const out = path.join(sub, 'cnn.onnx');
    fs.writeFileSync(out, 'previous');
    const m = OnnxModel.open(src);
    saveOnnx(m, out);
    expect(fs.readdirSync(sub)).toEqual(['cnn.onnx']);
    // A save that fails midway (a weight whose data went missing) keeps the old file.
    fs.writeFileSync(out, 'previous');
    const w = m.weights.find((x) => x.id === 'conv1.weight')!;
    const entry = m.entry(w.id)!;
    entry.tensor!.dims = [999n];
    m.invalidate(entry.tensor!);
    expect(() => saveOnnx(m, out)).toThrow();
    expect(fs.readFileSync(out, 'utf8')).toBe('previous');
    expect(fs.readdirSync(sub)).toEqual(['cnn.onnx']);
    m.close();
  });

  it('saves over its own source file (reads keep the old file)', async () => {
    const src = fixtureFile('external_data', dir);
    const sub = path.join(dir, 'inplace');
    fs.mkdirSync(sub);
    const file = path.join(sub, 'm.onnx');
    const m0 = OnnxModel.open(src);
    saveOnnx(m0, file, { externalData: 'always' });
    m0.close();
    const feeds = await inputsFor(src);
    const ref = await outputsOf(src, feeds);
    const m = OnnxModel.open(file);
    saveOnnx(m, file);
    saveOnnx(m, file);
    m.close();
    expect(bitIdentical(ref, await outputsOf(file, feeds))).toBe(true);
  });
});

describe('external data switch', () => {
  it('auto mode writes external data once the model passes maxEmbeddedBytes', async () => {
    const src = fixtureFile('transformer', dir);
    const sub = path.join(dir, 'auto-ext');
    fs.mkdirSync(sub);
    const out = path.join(sub, 'big.onnx');
    const m = OnnxModel.open(src);
    const small = saveOnnx(m, path.join(sub, 'small.onnx'));
    expect(small.dataPath).toBeUndefined();
    const res = saveOnnx(m, out, { maxEmbeddedBytes: 16 * 1024 });
    m.close();
    expect(res.dataPath).toBe(`${out}.data`);
    expect(res.dataBytes).toBeGreaterThan(30000);
    const back = OnnxModel.open(out);
    expect(back.weights.filter((w) => w.storage === 'external').map((w) => w.id).sort()).toEqual(
      ['attn.k_proj.weight', 'attn.o_proj.weight', 'attn.q_proj.weight', 'attn.v_proj.weight', 'mlp.fc1.weight', 'mlp.fc2.weight'],
    );
    back.close();
    const feeds = await inputsFor(src);
    expect(bitIdentical(await outputsOf(src, feeds), await outputsOf(out, feeds))).toBe(true);
  });
});
