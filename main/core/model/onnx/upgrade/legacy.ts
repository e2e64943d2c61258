// Smaller signature changes of opsets 6-12:
//   opset 6: consumed_inputs (an in-place hint of opset 1) dropped from every op;
//   Cast-1's string 'to' became the TensorProto type number (opset 6);
//   Concat-4 made axis required (it defaulted to 1);
//   Gemm-7 dropped broadcast (C always broadcasts one way);
//   Dropout-7 dropped is_test, Dropout-12 made ratio an input (inference = identity: dropped);
//   RNN / GRU / LSTM-7 dropped output_sequence (Y is produced when asked for);
//   TopK-10 made k an int64 input [1];
//   Scatter (deprecated at 11) is ScatterElements with the same meaning.
import { onnxDataType, type DType } from '../../dtype';
import type { OpConverter } from './converter';
import { attr, setIntAttr, stringAttr, takeAttr } from './context';

const CAST_NAMES: Record<string, DType> = {
  FLOAT: 'float32', FLOAT16: 'float16', DOUBLE: 'float64', INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64', BOOL: 'bool',
};

export const consumedInputsConverter: OpConverter = {
  ops: ['*'],
  since: 6,
  applies: (n) => n.attribute.some((a) => a.name === 'consumed_inputs'),
  convert(_ctx, n) {
    takeAttr(n, 'consumed_inputs');
  },
};

export const castConverter: OpConverter = {
  ops: ['Cast'],
  since: 6,
  convert(ctx, n) {
    const to = attr(n, 'to');
    if (!to || to.type !== 3) return;
    const dtype = CAST_NAMES[(stringAttr(n, 'to') ?? '').toUpperCase()];
    if (!dtype) throw ctx.refuse(n, `its target type '${stringAttr(n, 'to')}' is unknown`);
    setIntAttr(n, 'to', onnxDataType(dtype));
  },
};

export const concatConverter: OpConverter = {
  ops: ['Concat'],
  since: 4,
  convert(_ctx, n) {
    if (!attr(n, 'axis')) setIntAttr(n, 'axis', 1);
  },
};

export const gemmConverter: OpConverter = {
  ops: ['Gemm'],
  since: 7,
  convert(_ctx, n) {
    takeAttr(n, 'broadcast');
  },
};

export const dropoutConverter: OpConverter = {
  ops: ['Dropout'],
  since: 12,
  convert(ctx, n) {
    takeAttr(n, 'is_test');
    takeAttr(n, 'ratio');
    // The mask output changed type (T to bool at 10), and in inference ONNX Runtime's opset 7-11
    // kernel fills it with false where Dropout-12+ gives true: kept only when nothing reads it.
    const mask = n.output[1];
    if (mask) {
      if (ctx.graph.node.some((x) => x.input.includes(mask)) || ctx.graph.output.some((o) => o.name === mask)) throw ctx.refuse(n, `its mask output '${mask}' is used`);
      n.output = n.output.slice(0, 1);
    }
  },
};

export const rnnConverter: OpConverter = {
  ops: ['RNN', 'GRU', 'LSTM'],
  since: 7,
  convert(_ctx, n) {
    // output_sequence (opset 1) became implicit: Y is produced whenever it is asked for.
    takeAttr(n, 'output_sequence');
  },
};

export const topKConverter: OpConverter = {
  ops: ['TopK'],
  since: 10,
  convert(ctx, n) {
    const k = takeAttr(n, 'k');
    if (!k) throw ctx.refuse(n, 'it has no k attribute');
    ctx.setInput(n, 1, ctx.constant(`${n.output[0]}_k`, 'int64', [1], [Number(k.i)]));
  },
};

export const scatterConverter: OpConverter = {
  ops: ['Scatter'],
  since: 11,
  convert(_ctx, n) {
    n.opType = 'ScatterElements';
  },
};
