// Softmax / LogSoftmax / Hardmax before opset 13 coerce the input to 2D at `axis` (default 1):
// the normalisation runs over all dims from axis on. From 13 it runs over the one dim `axis`
// (default -1). When axis is the last dim both agree; otherwise the old meaning is rebuilt as
// Flatten(axis) -> op(axis=-1) -> Reshape(back to the input's shape).
import { node as makeNode } from '../build';
import type { OpConverter } from './converter';
import { intAttr, setIntAttr } from './context';

export const softmaxConverter: OpConverter = {
  ops: ['Softmax', 'LogSoftmax', 'Hardmax'],
  since: 13,
  convert(ctx, n) {
    const x = n.input[0];
    const rank = ctx.facts.get(x).rank;
    const axis = intAttr(n, 'axis', 1);
    const last = axis === -1 || (rank !== undefined && axis === rank - 1);
    if (last || rank === 1) {
      setIntAttr(n, 'axis', -1);
      return;
    }
    const base = n.output[0];
    const shape = ctx.fresh(`${base}_input_shape`);
    const flat = ctx.fresh(`${base}_2d_input`);
    const y2 = ctx.fresh(`${base}_2d`);
    const pre = [
      makeNode('Shape', [x], [shape], {}, { name: ctx.fresh(`${base}_Shape`) }),
      makeNode('Flatten', [x], [flat], { axis }, { name: ctx.fresh(`${base}_Flatten`) }),
    ];
    const y = n.output[0];
    n.input[0] = flat;
    n.output[0] = y2;
    setIntAttr(n, 'axis', -1);
    return [...pre, n, makeNode('Reshape', [y2, shape], [y], {}, { name: ctx.fresh(`${base}_Reshape`) })];
  },
};
