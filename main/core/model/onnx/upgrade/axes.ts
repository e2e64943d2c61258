// Attributes that became int64 inputs: axes of Squeeze / Unsqueeze / ReduceSum and split of
// Split at opset 13, shape of Reshape at opset 5. Meaning unchanged.
import type { OpConverter } from './converter';
import { takeAttr } from './context';

export const axesConverter: OpConverter = {
  ops: ['Squeeze', 'Unsqueeze', 'ReduceSum', 'Split'],
  since: 13,
  convert(ctx, n) {
    const a = takeAttr(n, n.opType === 'Split' ? 'split' : 'axes');
    if (!a) return;
    const values = a.ints.map(Number);
    ctx.setInput(n, 1, ctx.constant(`${n.output[0]}_${a.name}`, 'int64', [values.length], values));
  },
};

export const reshapeConverter: OpConverter = {
  ops: ['Reshape'],
  since: 5,
  convert(ctx, n) {
    const a = takeAttr(n, 'shape');
    if (!a) throw ctx.refuse(n, 'it has no shape attribute');
    const values = a.ints.map(Number);
    ctx.setInput(n, 1, ctx.constant(`${n.output[0]}_shape`, 'int64', [values.length], values));
  },
};
