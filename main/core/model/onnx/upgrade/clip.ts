// Clip: min / max were float attributes until opset 11, optional inputs of the input's type since.
import type { OpConverter } from './converter';
import { takeAttr } from './context';

export const clipConverter: OpConverter = {
  ops: ['Clip'],
  since: 11,
  convert(ctx, n) {
    const min = takeAttr(n, 'min');
    const max = takeAttr(n, 'max');
    if (!min && !max) return;
    const dtype = ctx.facts.get(n.input[0]).dtype;
    // Clip-6 took float16 / float / double only; the bounds must be of exactly that type.
    if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'float64') {
      throw ctx.refuse(n, `the element type of its input '${n.input[0]}' is ${dtype ?? 'not declared in the graph'}`);
    }
    if (min) ctx.setInput(n, 1, ctx.constant(`${n.input[0]}_clip_min`, dtype, [], [min.f]));
    if (max) ctx.setInput(n, 2, ctx.constant(`${n.input[0]}_clip_max`, dtype, [], [max.f]));
  },
};
