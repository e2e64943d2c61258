// The fusions the latency model assumes, checked on a real PyTorch export (a GPT-style decoder:
// LayerNorm and GELU spelled out as elementwise chains, residual Adds between them). ONNX Runtime
// fuses each LayerNorm and each GELU into one kernel and runs every residual Add on its own; the
// cost table must count the same kernels, or the small ops of a transformer are under-charged.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costGraph } from '../../../main/core/hardware/costs';
import { readModelView } from '../../../main/core/hardware/onnx-view';

const GPT = path.resolve(__dirname, '../../fixtures/torch/gpt_tiny_op13.onnx');

describe('fusions on a PyTorch GPT-style export', () => {
  it('one LayerNormalization kernel per LayerNorm, one Gelu per MLP, residual Adds kept', async () => {
    const view = await readModelView(GPT, { input_ids: [1, 64], causal_mask: [64, 64] });
    const cost = costGraph(view);
    const heads = cost.layers.filter((l) => !l.fusedInto && l.execOp);
    const count = (op: string) => heads.filter((l) => l.execOp === op).length;
    // 2 blocks x (ln1, ln2) + the final ln; 2 blocks x one GELU
    expect(count('LayerNormalization')).toBe(5);
    expect(count('Gelu')).toBe(2);
    for (const h of heads.filter((l) => l.execOp === 'LayerNormalization')) {
      const members = cost.layers.filter((l) => l.fusedInto === h.name).map((l) => l.op).sort();
      expect(members).toEqual(['Add', 'Div', 'Mul', 'Pow', 'ReduceMean', 'ReduceMean', 'Sqrt', 'Sub']);
    }
    // the residual Adds (two activations in) stay their own kernels
    const residual = cost.layers.filter((l) => l.op === 'Add' && !l.fusedInto && !l.execOp && view.nodes.find((n) => n.name === l.name)!.inputs.every((x) => !view.tensors.get(x)?.constant));
    expect(residual.length).toBeGreaterThanOrEqual(4);
  });
});
