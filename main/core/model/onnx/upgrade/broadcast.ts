// Before opset 7 the binary ops broadcast only when told (broadcast=1), B onto A, aligned at
// `axis` (default: B's dims are A's trailing dims, which numpy broadcasting also does). From 7 on
// numpy broadcasting is implied; an explicit axis that is not the trailing alignment becomes an
// Unsqueeze of B's trailing dims. PRelu-6 applied a 1-D slope per channel (dim 1); from 7 the
// slope broadcasts numpy-style, so it gets trailing singleton dims.
import type { NodeProto } from 'onnx-buf';
import { node as makeNode } from '../build';
import { type UpgradeContext, takeAttr } from './context';
import type { OpConverter } from './converter';

function unsqueezeTrailing(ctx: UpgradeContext, n: NodeProto, input: number, rank: number, count: number): void {
  if (count <= 0) return;
  const axes = Array.from({ length: count }, (_, i) => rank + i);
  const src = n.input[input];
  const out = ctx.fresh(`${src}_aligned`);
  const axesName = ctx.constant(`${out}_axes`, 'int64', [axes.length], axes);
  ctx.before.push(makeNode('Unsqueeze', [src, axesName], [out], {}, { name: ctx.fresh(`${out}_Unsqueeze`) }));
  n.input[input] = out;
}

export const binaryBroadcastConverter: OpConverter = {
  ops: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less'],
  since: 7,
  convert(ctx, n) {
    const b = takeAttr(n, 'broadcast');
    const axisAttr = takeAttr(n, 'axis');
    if (!b || Number(b.i) === 0 || !axisAttr) return;
    const axis = Number(axisAttr.i);
    const ra = ctx.facts.get(n.input[0]).rank;
    const rb = ctx.facts.get(n.input[1]).rank;
    if (ra === undefined || rb === undefined) throw ctx.refuse(n, `it broadcasts at axis ${axis} and the ranks of its inputs are not declared`);
    const a = axis < 0 ? axis + ra : axis;
    unsqueezeTrailing(ctx, n, 1, rb, ra - a - rb);
  },
};

export const preluConverter: OpConverter = {
  ops: ['PRelu'],
  since: 7,
  convert(ctx, n) {
    const slope = ctx.facts.get(n.input[1]);
    const values = ctx.constantValues(n.input[1]);
    if (values?.length === 1 || (slope.rank !== undefined && slope.rank !== 1)) return;
    const rx = ctx.facts.get(n.input[0]).rank;
    if (rx === undefined || slope.rank === undefined) throw ctx.refuse(n, 'the ranks of its input and slope are not declared');
    unsqueezeTrailing(ctx, n, 1, 1, rx - 2);
  },
};
