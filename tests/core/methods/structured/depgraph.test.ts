// Dependency groups on real PyTorch exports (ResNet residual stages, MobileNetV3 depthwise +
// squeeze-excitation) and on a hand-made graph with Concat, a shared bias and a Reshape.
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../../../main/core/model';
import { buildGroups } from '../../../../main/core/methods/structured/depgraph';
import { handmadeModel, tempDir, torchFixture } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function groupsOf(file: string) {
  const ir = openModel(file);
  try {
    return { groups: buildGroups(ir), nodes: ir.nodes };
  } finally {
    ir.close();
  }
}

describe('dependency groups', () => {
  it('ResNet: each residual stage is one group (stem or downsample + every block conv2), the classifier output is blocked', () => {
    const { groups } = groupsOf(torchFixture('resnet_tiny_op11.onnx'));
    const residual = groups.filter((g) => g.producers.length === 3);
    // 4 stages, widths 8/16/24/32: stem/downsample + 2 BasicBlock conv2 add into one tensor each.
    expect(residual.map((g) => g.channels)).toEqual([8, 16, 24, 32]);
    expect(residual.every((g) => !g.blocked)).toBe(true);
    // The last stage is read by the classifier Gemm (after GAP + Flatten).
    expect(residual[3].members.some((m) => m.kind === 'in' && m.node.op === 'Gemm')).toBe(true);
    const out = groups.filter((g) => g.blocked);
    expect(out).toHaveLength(1);
    expect(out[0].blocked!.reason).toBe("reaches the graph output 'logits'");
    expect(out[0].channels).toBe(10);
  });

  it('MobileNetV3: depthwise convs and the squeeze-excitation gate join the expansion group', () => {
    for (const file of ['mobilenetv3_small_op9.onnx', 'mobilenetv3_small_op13.onnx']) {
      const { groups } = groupsOf(torchFixture(file));
      const se = groups.filter((g) => g.members.some((m) => m.kind === 'dw') && g.producers.length === 2);
      // Blocks with SE: expansion conv (or stem) + SE's second 1x1 conv gate the same channels.
      expect(se.length).toBeGreaterThanOrEqual(4);
      for (const g of se) {
        const dw = g.members.find((m) => m.kind === 'dw')!;
        expect(dw.node.op).toBe('Conv');
        expect(dw.weight.dims[1]).toBe(1);
      }
      expect(groups.filter((g) => g.blocked).map((g) => g.blocked!.reason)).toEqual(["reaches the graph output 'logits'"]);
    }
  });

  it('DenseNet: every dense layer output is read at its Concat offset, BatchNorm over the concatenation slices per segment', () => {
    const { groups } = groupsOf(torchFixture('densenet_tiny_op13.onnx'));
    expect(groups.filter((g) => g.blocked).map((g) => g.blocked!.reason)).toEqual(["reaches the graph output 'logits'"]);
    // Block 1: the stem (16) and three layers of growth 8 concatenate to 40 channels before the transition.
    const block1 = groups.filter((g) => g.members.some((m) => m.kind === 'in' && m.weight.dims[0] === 24 && m.weight.dims[1] === 40));
    expect(block1.map((g) => [g.channels, g.members.find((m) => m.kind === 'in' && m.weight.dims[0] === 24 && m.weight.dims[1] === 40)!.offset])).toEqual([[16, 0], [8, 16], [8, 24], [8, 32]]);
    for (const g of block1) expect(g.members.some((m) => m.kind === 'param' && m.node.op === 'BatchNormalization')).toBe(true);
  });

  it('Concat puts groups side by side at offsets; a Reshape blocks its group and names the node', () => {
    const { groups } = groupsOf(handmadeModel(tmp.dir));
    const a = groups.find((g) => g.producers.includes('wA'))!;
    const b = groups.find((g) => g.producers.includes('wB'))!;
    const inA = a.members.find((m) => m.kind === 'in' && m.weight.name === 'wC')!;
    const inB = b.members.find((m) => m.kind === 'in' && m.weight.name === 'wC')!;
    expect([inA.offset, inB.offset]).toEqual([0, 6]);
    // The shared bias is a member of both groups.
    expect(a.members.some((m) => m.weight.name === 'shared_b')).toBe(true);
    expect(b.members.some((m) => m.weight.name === 'shared_b')).toBe(true);
    const d = groups.find((g) => g.producers.includes('wD'))!;
    expect(d.blocked).toEqual({ reason: 'Reshape reads these channels (not traced through Reshape)', node: 'reshapeD' });
    // GAP -> Flatten -> Gemm: the Gemm reads group C with one feature per channel.
    const c = groups.find((g) => g.producers.includes('wC'))!;
    expect(c.members.find((m) => m.kind === 'in')!.repeat).toBe(1);
  });

  it('LSTM / GRU fixtures: recurrent ops block the groups feeding them instead of guessing', () => {
    for (const file of ['lstm_op11.onnx', 'gru_op13.onnx']) {
      const { groups } = groupsOf(torchFixture(file));
      for (const g of groups) expect(g.blocked, `${file} group ${g.id}`).toBeDefined();
    }
  });
});
