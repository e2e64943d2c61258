// The shape every op converter has: which ops, which opset change it undoes, and the rewrite.
import type { NodeProto } from 'onnx-buf';
import type { UpgradeContext } from './context';

export interface OpConverter {
  ops: readonly string[];
  /** The opset version that changed these ops; applies when from < since <= to. */
  since: number;
  /** For the '*' (every op) converters: whether this node needs it. */
  applies?(n: NodeProto): boolean;
  /** Rewrites `n` in place (extra nodes go to ctx.before / ctx.after), or returns its replacement. */
  convert(ctx: UpgradeContext, n: NodeProto): NodeProto[] | void;
}
