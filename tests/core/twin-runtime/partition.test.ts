// Partition of a twin graph into stages: sparse layers cut the graph only where a path needs it,
// parallel ones share a stage, every stage reads only earlier stages, dead nodes never run.
import { describe, expect, it } from 'vitest';
import { graphProto, node, valueInfo } from '../../../main/core/model/onnx/build';
import { SPARSE_DOMAIN, SPARSE_OP } from '../../../main/core/twin-runtime';
import { partition } from '../../../main/core/twin-runtime/partition';

const sparse = (x: string, y: string) => node(SPARSE_OP, [x], [y], { layer: y }, { name: y, domain: SPARSE_DOMAIN });

describe('partition', () => {
  it('groups parallel sparse layers, orders stages by sparse depth, drops dead nodes', () => {
    const g = graphProto({
      name: 'g',
      inputs: [valueInfo('x', 'float32', [1, 8])],
      outputs: [valueInfo('y', 'float32', [1, 8])],
      nodes: [
        node('LayerNormalization', ['x'], ['h']),
        sparse('h', 'q'),
        sparse('h', 'k'),
        node('Add', ['q', 'k'], ['s']),
        node('Neg', ['x'], ['dead']),
        sparse('s', 'o'),
        node('Add', ['o', 'x'], ['y']),
      ],
    });
    const st = partition(g);
    expect(st.map((s) => [s.kind, s.nodes.map((n) => n.output[0])])).toEqual([
      ['ort', ['h']],
      ['sparse', ['q', 'k']],
      ['ort', ['s']],
      ['sparse', ['o']],
      ['ort', ['y']],
    ]);
    const last = st[4];
    if (last.kind !== 'ort') throw new Error('expected an ORT stage');
    // the residual reads x from the graph input, o from the sparse stage before it
    expect(new Set(last.inputs)).toEqual(new Set(['o', 'x']));
    expect(last.outputs).toEqual(['y']);
    const first = st[0];
    if (first.kind !== 'ort') throw new Error('expected an ORT stage');
    expect(first.outputs).toEqual(['h']);
  });
});
