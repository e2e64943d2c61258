// The error for a folder given where a model file is needed. A Hugging Face model folder is a
// model Twinforge compresses, only by another path (layer by layer): the message says which.
import { badInput, type TwinforgeError } from '../../errors';
import { isHfFolder } from './folder';

/** `field`: the argument's name; `what`: the feature that needs a file (e.g. 'the latency explainer'). */
export function folderGivenForFile(dir: string, field: string, what: string): TwinforgeError {
  if (isHfFolder(dir)) {
    return badInput(`${field}: '${dir}' is a Hugging Face model folder; ${what} works on ONNX and safetensors files.`, 'Compress a model folder layer by layer: the decoder panel on the Model step, or `twinforge compress FOLDER --calib TOKENS --out DIR`.');
  }
  return badInput(`${field}: '${dir}' is a folder, not a model file.`, 'Give the .onnx or .safetensors file.');
}
