// model.groups: the channel dependency groups of an ONNX model (methods/structured/depgraph),
// for the method step's group view: which layers are coupled, and why a group cannot shrink.
import type { ModelGroups } from '../../../preload/contract';
import { badInput } from '../errors';
import { openModel } from '../model';
import { buildGroups } from '../methods/structured/depgraph';

export function modelGroupsCall(path: string): ModelGroups {
  const ir = openModel(path);
  try {
    if (ir.format !== 'onnx') throw badInput(`path: '${path}' is ${ir.format}; channel groups need an ONNX graph`, 'Give an .onnx model.');
    return {
      path,
      groups: buildGroups(ir).map((g) => ({
        id: g.id,
        channels: g.channels,
        producers: g.producers,
        consumers: g.consumers,
        ...(g.heads ? { heads: g.heads } : {}),
        ...(g.blocked ? { reason: g.blocked.reason, node: g.blocked.node } : {}),
      })),
    };
  } finally {
    ir.close();
  }
}
