// Opening any model file: each format module recognises its files by signature (match) and then
// reads them (open), as Netron does. Files of formats Twinforge does not read get a hint saying
// how to turn them into one it does.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import type { ModelFormat, ModelIR } from './ir';
import { type OnnxOpenOptions, OnnxModel, matchOnnx } from './onnx/reader';
import { SafetensorsModel, matchSafetensors } from './safetensors/reader';
import { openForRead } from './source';

export interface FormatModule {
  name: ModelFormat;
  extensions: string[];
  /** Whether the first bytes of a file are this format's signature. */
  match(head: Uint8Array): boolean;
  open(file: string, opts: OpenModelOptions): ModelIR;
}

export interface OpenModelOptions extends OnnxOpenOptions {
  /** Skip signature detection and read the file as this format. */
  format?: ModelFormat;
}

/** Model formats Twinforge reads, in the order they are tried. */
export const formats: FormatModule[] = [
  { name: 'safetensors', extensions: ['.safetensors'], match: matchSafetensors, open: (f) => SafetensorsModel.open(f) },
  { name: 'onnx', extensions: ['.onnx', '.onnx_data'], match: matchOnnx, open: (f, o) => OnnxModel.open(f, o) },
];

// Signatures of formats users often bring, with what to do instead.
const FOREIGN: Array<{ test: (h: Uint8Array) => boolean; what: string; hint: string }> = [
  { test: (h) => h[0] === 0x50 && h[1] === 0x4b && h[2] === 3 && h[3] === 4, what: 'a ZIP archive (a PyTorch .pt/.pth checkpoint or a Keras .keras file)', hint: 'Export it to ONNX (torch.onnx.export / tf2onnx) or save the weights as safetensors.' },
  { test: (h) => h[0] === 0x80 && h[1] >= 2 && h[1] <= 5, what: 'a Python pickle (an old PyTorch checkpoint)', hint: 'Load it in PyTorch and export to ONNX or safetensors.' },
  { test: (h) => ascii(h, 0, 4) === 'GGUF', what: 'a GGUF file (llama.cpp)', hint: 'Use the original safetensors or an ONNX export of the model.' },
  { test: (h) => ascii(h, 4, 8) === 'TFL3', what: 'a TensorFlow Lite model', hint: 'Convert it to ONNX with tf2onnx (--tflite).' },
  { test: (h) => h[0] === 0x89 && ascii(h, 1, 4) === 'HDF', what: 'an HDF5 file (a Keras .h5 model)', hint: 'Convert it to ONNX with tf2onnx.' },
  { test: (h) => ascii(h, 4, 8) === 'ORTM', what: 'an ONNX Runtime .ort model', hint: 'Use the .onnx file it was converted from.' },
];

function ascii(h: Uint8Array, a: number, b: number): string {
  return String.fromCharCode(...h.subarray(a, b));
}

/** Reads the first bytes of a file (for signature checks). */
export function readHead(file: string, length = 4096): Uint8Array {
  const fd = openForRead(file);
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The format of a model file, by signature first, then by extension; throws for anything else. */
export function detectFormat(file: string): ModelFormat {
  const head = readHead(file);
  if (head.byteLength === 0) throw new TwinforgeError('CORRUPT_MODEL', `${file} is empty.`, 'The file was not written completely; export it again.');
  for (const f of formats) if (f.match(head)) return f.name;
  for (const f of FOREIGN) {
    if (f.test(head)) throw new TwinforgeError('UNSUPPORTED', `${file} is ${f.what}, which Twinforge does not read.`, f.hint);
  }
  const ext = path.extname(file).toLowerCase();
  for (const f of formats) if (f.extensions.includes(ext)) return f.name;
  throw badInput(`${file} is not a model file Twinforge recognises.`, 'Give an ONNX (.onnx) or safetensors (.safetensors) file.');
}

/** Opens a model file of any supported format as the IR (weights read lazily). Close it when done. */
export function openModel(file: string, opts: OpenModelOptions = {}): ModelIR {
  const name = opts.format ?? detectFormat(file);
  const f = formats.find((x) => x.name === name);
  if (!f) throw badInput(`Unknown model format "${name}".`, 'Use onnx or safetensors.');
  return f.open(file, opts);
}

export { modelLayers, modelLayers as prunableWeights, LAYER_DEFINITION } from './layers';

export type { ModelIR, Weight } from './ir';
export { OnnxModel } from './onnx/reader';
export { SafetensorsModel } from './safetensors/reader';
