// Synthetic graphs for latency-model and explainer tests: no ONNX file, no runtime.
import { costGraph, type GraphNodeView, type GraphView, type ModelCost, type TensorInfo } from '../../../main/core/hardware/costs';

/** An MLP y = relu(x·W0 + b0)·W1 + b1 ... at batch m, as a cost table. */
export function mlpCost(m: number, widths: number[], opts: { zeros?: number } = {}): ModelCost {
  const tensors = new Map<string, TensorInfo>();
  const nodes: GraphNodeView[] = [];
  tensors.set('x', { dims: [m, widths[0]], elementBytes: 4, constant: false });
  let prev = 'x';
  for (let l = 0; l + 1 < widths.length; l++) {
    const [k, n] = [widths[l], widths[l + 1]];
    tensors.set(`W${l}`, { dims: [k, n], elementBytes: 4, constant: true, nonzeros: Math.round(k * n * (1 - (opts.zeros ?? 0))) });
    tensors.set(`b${l}`, { dims: [n], elementBytes: 4, constant: true });
    tensors.set(`mm${l}`, { dims: [m, n], elementBytes: 4, constant: false });
    tensors.set(`a${l}`, { dims: [m, n], elementBytes: 4, constant: false });
    tensors.set(`h${l}`, { dims: [m, n], elementBytes: 4, constant: false });
    nodes.push({ name: `fc${l}`, op: 'MatMul', inputs: [prev, `W${l}`], outputs: [`mm${l}`], attrs: {} });
    nodes.push({ name: `bias${l}`, op: 'Add', inputs: [`mm${l}`, `b${l}`], outputs: [`a${l}`], attrs: {} });
    nodes.push({ name: `relu${l}`, op: 'Relu', inputs: [`a${l}`], outputs: [`h${l}`], attrs: {} });
    prev = `h${l}`;
  }
  const view: GraphView = { nodes, tensors, inputs: ['x'], outputs: [prev] };
  return costGraph(view);
}

/** One Conv layer [1, ci, hw, hw] -> [1, co, hw, hw] with a k x k kernel. */
export function convCost(ci: number, co: number, hw: number, k = 3): ModelCost {
  const tensors = new Map<string, TensorInfo>([
    ['x', { dims: [1, ci, hw, hw], elementBytes: 4, constant: false }],
    ['W', { dims: [co, ci, k, k], elementBytes: 4, constant: true }],
    ['y', { dims: [1, co, hw, hw], elementBytes: 4, constant: false }],
  ]);
  const nodes: GraphNodeView[] = [{ name: 'conv', op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs: { kernel_shape: [k, k] } }];
  return costGraph({ nodes, tensors, inputs: ['x'], outputs: ['y'] });
}
