// Pad: pads (named paddings in Pad-1) and the constant value were attributes until opset 11;
// since then pads is an int64 input and constant_value an optional input of the data's type.
import type { OpConverter } from './converter';
import { takeAttr } from './context';

export const padConverter: OpConverter = {
  ops: ['Pad'],
  since: 11,
  convert(ctx, n) {
    const pads = takeAttr(n, 'pads') ?? takeAttr(n, 'paddings');
    const value = takeAttr(n, 'value');
    if (!pads) throw ctx.refuse(n, 'it lacks its pads attribute');
    const base = n.output[0] || 'Pad';
    ctx.setInput(n, 1, ctx.constant(`${base}_pads`, 'int64', [pads.ints.length], pads.ints.map(Number)));
    // A zero value is the default of the input form: no input needed (and no type to know).
    if (value && value.f !== 0) {
      const dtype = ctx.facts.get(n.input[0]).dtype;
      if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'float64') {
        throw ctx.refuse(n, `its pad value needs the element type of '${n.input[0]}', which is ${dtype ?? 'not declared in the graph'}`);
      }
      ctx.setInput(n, 2, ctx.constant(`${base}_value`, dtype, [], [value.f]));
    }
  },
};
