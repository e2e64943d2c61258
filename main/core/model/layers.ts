// What Twinforge calls a layer, in one place. Every screen and command that counts layers (the
// Model step, the explainer, the plan, Results, the zoo and its twin page, the CLI) counts these,
// so one model has one layer count; other counts are named for what they are (weight tensors,
// nodes). The compression methods work on exactly these weights (methods/layers.ts findLayers).
import { PRUNABLE_ROLES, type ModelIR, type Weight, type WeightRole } from './ir';

export const LAYER_DEFINITION =
  'A layer is a weight matrix a compression method can change: the stored weight of a convolution (Conv, ConvTranspose) or of a linear map (MatMul, Gemm; also once quantized, e.g. a 4-bit MatMulNBits). Biases, normalisation scales, embeddings and recurrent (RNN) weights are weight tensors, not layers.';

// A quantized linear map stays the layer it was: a 4-bit MatMulNBits weight counts like its parent's MatMul.
const LAYER_ROLES: ReadonlySet<WeightRole> = new Set([...PRUNABLE_ROLES, 'matmul_nbits']);

/** The model's layers (LAYER_DEFINITION), in the model's weight order; their count is the model's layer count. */
export function modelLayers(model: ModelIR): Array<Weight & { layout: NonNullable<Weight['layout']> }> {
  return model.weights.filter((w): w is Weight & { layout: NonNullable<Weight['layout']> } => LAYER_ROLES.has(w.role) && w.layout !== undefined && w.isParameter);
}
