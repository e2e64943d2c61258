// BatchNormalization: is_test went at opset 7 and spatial at 9 (per-channel statistics only,
// what spatial=1 meant). Inference graphs use only output 0; the training outputs (running
// and saved mean / variance) are dropped when nothing reads them, refused otherwise.
import type { OpConverter } from './converter';
import { intAttr, takeAttr } from './context';

export const batchNormConverter: OpConverter = {
  ops: ['BatchNormalization'],
  since: 9,
  convert(ctx, n) {
    takeAttr(n, 'is_test');
    if (intAttr(n, 'spatial', 1) !== 1) throw ctx.refuse(n, 'spatial=0 (per-element statistics) has no opset-9+ form');
    takeAttr(n, 'spatial');
    const used = new Set(ctx.graph.node.flatMap((x) => x.input));
    for (const o of ctx.graph.output) used.add(o.name);
    const extra = n.output.slice(1).filter((o) => o && used.has(o));
    if (extra.length) throw ctx.refuse(n, `its training outputs (${extra.join(', ')}) are used`);
    n.output = n.output.slice(0, 1);
  },
};
