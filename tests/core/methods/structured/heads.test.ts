// Attention heads and MLP neurons on the BERT-style PyTorch export: 25% of heads and of MLP
// neurons go, the head count in the Reshape constants is rewritten, ORT runs the twin at other
// batch / sequence sizes, and removing a head that contributes nothing changes no output.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelEditor } from '../../../../main/core/model/onnx/editor';
import { buildGroups } from '../../../../main/core/methods/structured/depgraph';
import { removeGroupChannels } from '../../../../main/core/methods/structured/apply';
import { pruneStructured } from '../../../../main/core/pipeline/structured-prune';
import { cosine, runOrt, tempDir, torchFixture } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const BERT = torchFixture('bert_encoder_op13.onnx');

function feeds(batch: number, seq: number): Record<string, ort.Tensor> {
  const n = batch * seq;
  return {
    input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, k) => BigInt((k * 37 + 11) % 128)), [batch, seq]),
    // The last quarter of the second sample is padding.
    attention_mask: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, k) => (k >= n - Math.floor(seq / 4) ? 0n : 1n)), [batch, seq]),
  };
}

const params = (e: ModelEditor): number => e.current().weights.filter((w) => w.isParameter).reduce((a, w) => a + w.numel, 0);
const intConst = (e: ModelEditor, pred: (v: number[]) => boolean): number[][] =>
  e.current().weights.filter((w) => w.dtype === 'int64' && w.numel === 1 && w.source === 'constant').map((w) => Array.from(w.float32())).filter(pred);

describe('attention heads and MLP neurons', () => {
  it('BERT-style encoder at 25%: 3 of 4 heads and 192 of 256 neurons per layer, head count rewritten, <= 80% parameters, ORT runs', async () => {
    const ed = ModelEditor.open(BERT);
    const out = path.join(tmp.dir, 'bert-25.onnx');
    try {
      const before = params(ed);
      const r = await pruneStructured(ed, { sparsity: () => 0.25, importance: 'l2', allocation: 'uniform', refit: false, seed: 1 });
      const heads = r.groups.filter((g) => g.producers.length === 3);
      expect(heads).toHaveLength(2);
      for (const g of heads) expect([g.channels, g.after]).toEqual([64, 48]);
      const mlp = r.groups.filter((g) => g.channels === 256);
      for (const g of mlp) expect(g.after).toBe(192);
      // The residual stream stays (LayerNorm over it); the reason names the Add.
      for (const g of r.groups.filter((x) => !x.removed && x.channels === 64)) expect(g.reason).toMatch(/^Add with /);
      expect(params(ed) / before).toBeLessThanOrEqual(0.8);
      // Head split constants [4] -> [3], merge width [64] -> [48]; none of the old values is left.
      expect(intConst(ed, (v) => v[0] === 3)).toHaveLength(6);
      expect(intConst(ed, (v) => v[0] === 48)).toHaveLength(2);
      expect(intConst(ed, (v) => v[0] === 4 || v[0] === 64)).toHaveLength(0);
      ed.save(out);
    } finally {
      ed.close();
    }
    for (const [b, t] of [[2, 12], [3, 20]]) {
      const p = await runOrt(BERT, feeds(b, t));
      const q = await runOrt(out, feeds(b, t));
      expect(q.length).toBe(p.length);
      expect(cosine(p, q)).toBeGreaterThan(0.5);
    }
  });

  it('removing a head whose values are zero leaves every output unchanged', async () => {
    // Parent': head 2 of layer 0 reads zero values (V columns 32..47 and their bias are 0).
    const parent = path.join(tmp.dir, 'bert-deadhead.onnx');
    const ed = ModelEditor.open(BERT);
    try {
      const g = buildGroups(ed.current()).find((x) => x.producers.length === 3)!;
      const v = g.members.find((m) => m.kind === 'out' && m.node.name.includes('/v/'))!;
      const vb = g.members.find((m) => m.kind === 'param' && m.node.name.includes('/v/'))!;
      const w = v.weight.float32();
      for (let k = 0; k < v.weight.dims[0]; k++) for (let c = 32; c < 48; c++) w[k * 64 + c] = 0;
      const b = vb.weight.float32();
      b.fill(0, 32, 48);
      ed.setTensor(v.weight.id, w);
      ed.setTensor(vb.weight.id, b);
      ed.save(parent);
    } finally {
      ed.close();
    }
    const out = path.join(tmp.dir, 'bert-deadhead-pruned.onnx');
    const ed2 = ModelEditor.open(parent);
    try {
      const g = buildGroups(ed2.current()).find((x) => x.producers.length === 3)!;
      expect(g.unit).toBe(16);
      const keep = Array.from({ length: 64 }, (_, c) => c).filter((c) => c < 32 || c >= 48);
      removeGroupChannels(ed2, [g], new Map([[g.id, keep]]));
      ed2.save(out);
    } finally {
      ed2.close();
    }
    const p = await runOrt(parent, feeds(2, 10));
    const q = await runOrt(out, feeds(2, 10));
    for (let i = 0; i < p.length; i++) expect(q[i]).toBeCloseTo(p[i], 4);
  });

  it('GPT-style decoder with a fused qkv Linear cut by Split: heads go from Q, K and V, the Split sizes and head count are rewritten', async () => {
    for (const file of ['gpt_tiny_op13.onnx', 'gpt_tiny_op17.onnx']) {
      const src = torchFixture(file);
      const out = path.join(tmp.dir, `pruned-${file}`);
      const ed = ModelEditor.open(src);
      try {
        const r = await pruneStructured(ed, { sparsity: () => 0.25, importance: 'l2', allocation: 'uniform', refit: false, seed: 1 });
        const heads = r.groups.filter((g) => g.removed && g.channels === 64);
        expect(heads).toHaveLength(2);
        for (const g of heads) expect(g.after).toBe(48);
        const splits = ed.current().weights.filter((w) => w.dtype === 'int64' && w.numel === 3).map((w) => Array.from(w.float32()));
        expect(splits).toEqual([[48, 48, 48], [48, 48, 48]]);
        ed.save(out);
      } finally {
        ed.close();
      }
      const t = 9;
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: 2 * t }, (_, k) => BigInt((k * 13) % 256)), [2, t]),
        causal_mask: new ort.Tensor('float32', Float32Array.from({ length: t * t }, (_, k) => (k % t > Math.floor(k / t) ? -1e4 : 0)), [t, t]),
      };
      const p = await runOrt(src, feeds);
      const q = await runOrt(out, feeds);
      expect(q.length).toBe(p.length);
      expect(cosine(p, q)).toBeGreaterThan(0.3);
    }
  });

  it('nn.MultiheadAttention exports (packed in_proj cut by Slices computed at run time) are blocked and say where', () => {
    const ed = ModelEditor.open(torchFixture('transformer_encoder_op14.onnx'));
    try {
      const gs = buildGroups(ed.current());
      const qkv = gs.filter((g) => g.channels === 192);
      expect(qkv).toHaveLength(2);
      for (const g of qkv) expect(g.blocked?.reason).toBe('Slice reads these channels (not traced through Slice)');
      // Their MLP neurons are still groups that can go.
      expect(gs.filter((g) => g.channels === 128 && !g.blocked)).toHaveLength(2);
    } finally {
      ed.close();
    }
  });
});
