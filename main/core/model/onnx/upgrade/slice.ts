// Slice: starts / ends / axes were attributes until opset 10, int64 inputs since (steps added, 1).
import type { OpConverter } from './converter';
import { takeAttr } from './context';

export const sliceConverter: OpConverter = {
  ops: ['Slice'],
  since: 10,
  convert(ctx, n) {
    const starts = takeAttr(n, 'starts');
    const ends = takeAttr(n, 'ends');
    const axes = takeAttr(n, 'axes');
    if (!starts || !ends) throw ctx.refuse(n, 'it lacks its starts / ends attributes');
    const ints = (a: typeof starts) => a.ints.map(Number);
    const base = n.output[0] || n.opType;
    ctx.setInput(n, 1, ctx.constant(`${base}_starts`, 'int64', [starts.ints.length], ints(starts)));
    ctx.setInput(n, 2, ctx.constant(`${base}_ends`, 'int64', [ends.ints.length], ints(ends)));
    if (axes) ctx.setInput(n, 3, ctx.constant(`${base}_axes`, 'int64', [axes.ints.length], ints(axes)));
  },
};
