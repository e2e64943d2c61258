// Upsample (deprecated at opset 10) becomes Resize; Resize-10 gains the opset-11 form. Both old
// ops map output to input coordinates as x_in = x_out / scale ('asymmetric'); nearest picks
// floor(x_in) when upsampling (ONNX Runtime's opset-10 kernel takes ceil when downsampling),
// so nearest_mode is chosen from the scales, which must then be constants.
import type { NodeProto } from 'onnx-buf';
import type { OpConverter } from './converter';
import { type UpgradeContext, setStringAttr, stringAttr, takeAttr } from './context';

function toResize11(ctx: UpgradeContext, n: NodeProto, scalesName: string, scales: number[] | undefined, upsampleOnly = false): void {
  let mode = (stringAttr(n, 'mode') ?? 'nearest').toLowerCase();
  if (mode === 'bilinear' || mode === 'trilinear') mode = 'linear';
  if (mode !== 'nearest' && mode !== 'linear') throw ctx.refuse(n, `its mode '${mode}' has no Resize equivalent`);
  n.opType = 'Resize';
  n.input = [n.input[0], '', scalesName];
  setStringAttr(n, 'mode', mode);
  setStringAttr(n, 'coordinate_transformation_mode', 'asymmetric');
  if (mode === 'nearest') {
    // Upsample is defined for scales >= 1 (it only enlarges): floor, whatever the scales are.
    if (!scales && upsampleOnly) scales = [1];
    if (!scales) throw ctx.refuse(n, 'its scales are computed in the graph, so the old nearest rounding cannot be chosen');
    const down = scales.some((s) => s < 1);
    if (down && scales.some((s) => s > 1)) throw ctx.refuse(n, 'it upsamples some dims and downsamples others with nearest rounding');
    setStringAttr(n, 'nearest_mode', down ? 'ceil' : 'floor');
  }
}

export const upsampleConverter: OpConverter = {
  ops: ['Upsample'],
  since: 10,
  convert(ctx, n) {
    const attrScales = takeAttr(n, 'scales');
    // Upsample-1 (experimental) scaled the last two dims by width_scale / height_scale.
    if (n.attribute.some((a) => a.name === 'width_scale' || a.name === 'height_scale')) throw ctx.refuse(n, 'its experimental opset-1 form (width_scale / height_scale) is not converted');
    let scales: number[] | undefined;
    let name: string;
    if (attrScales) {
      scales = attrScales.floats.slice();
      name = ctx.constant(`${n.output[0]}_scales`, 'float32', [scales.length], scales);
    } else if (n.input[1]) {
      name = n.input[1];
      scales = ctx.constantValues(name);
    } else throw ctx.refuse(n, 'it has no scales');
    toResize11(ctx, n, name, scales, true);
  },
};

export const resizeConverter: OpConverter = {
  ops: ['Resize'],
  since: 11,
  convert(ctx, n) {
    const name = n.input[1];
    if (!name) throw ctx.refuse(n, 'it has no scales input');
    toResize11(ctx, n, name, ctx.constantValues(name));
  },
};
