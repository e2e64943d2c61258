// The int4 timing probe packs its weight with the one JS int4 packer (model/onnx/nbits.ts): run
// in ONNX Runtime, MatMulNBits gives x · dequantize(quantize(W)).
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { int4MatmulProbe } from '../../../main/core/hardware/synth';
import { dequantizeNBits, quantizeNBits } from '../../../main/core/model/onnx/nbits';

describe('int4 MatMulNBits probe', () => {
  it('runs in ORT and equals x times the dequantized packed weight', async () => {
    const [m, k, n, block] = [3, 80, 5, 32];
    const w = Float32Array.from({ length: k * n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const x = Float32Array.from({ length: m * k }, (_, i) => Math.cos(i * 0.11));
    const session = await ort.InferenceSession.create(int4MatmulProbe(m, k, n, block, w));
    const y = (await session.run({ x: new ort.Tensor('float32', x, [m, k]) })).y.data as Float32Array;
    const wq = dequantizeNBits(quantizeNBits(w, k, n, block));
    let worst = 0;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let ref = 0;
        for (let i = 0; i < k; i++) ref += x[r * k + i] * wq[i * n + c];
        worst = Math.max(worst, Math.abs(y[r * n + c] - ref) / (Math.abs(ref) + 1));
      }
    }
    // accuracy_level 4 quantizes the activations to int8 too: a small relative error remains.
    expect(worst).toBeLessThan(0.05);
  });
});
