// Damaged and hostile files: each gets a TwinforgeError with a stable code, a message naming the
// problem and a hint, quickly (every test has a 5 s ceiling; none may hang or exhaust memory).
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../../main/core/model/inspect';
import { TwinforgeError } from '../../../main/core/errors';
import { openModel } from '../../../main/core/model';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../../main/core/model/onnx/build';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { encodeVarint } from '../../../main/core/model/onnx/wire';
import { SafetensorsModel } from '../../../main/core/model/safetensors/reader';
import { fixtureFile } from '../../fixtures';
import { errorOf, rmTmp, tmpDir } from './helpers';

const T = 5000;
let dir: string;
beforeAll(() => {
  dir = tmpDir('bad');
});
afterAll(() => rmTmp(dir));

function write(name: string, bytes: Uint8Array | string): string {
  const f = path.join(dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, bytes);
  return f;
}

function expectClear(fn: () => unknown, code: string, message?: RegExp): TwinforgeError {
  const e = errorOf(fn);
  expect(e.code).toBe(code);
  expect(e.message.length).toBeGreaterThan(10);
  if (message) expect(e.message).toMatch(message);
  return e;
}

// A one-initializer MatMul model whose tensor the test damages.
function model(t: ReturnType<typeof tensorProto>): Uint8Array {
  return toBinary(
    ModelProtoSchema,
    modelProto({
      opsets: { '': 13 },
      graph: graphProto({ name: 'g', inputs: [valueInfo('x', 'float32', [1, 4])], outputs: [valueInfo('y', 'float32', [1, 4])], initializers: [t], nodes: [node('MatMul', ['x', t.name], ['y'])] }),
    }),
  );
}

describe('ONNX: damaged files', () => {
  it('a truncated file is CORRUPT_MODEL at every cut inside the graph', () => {
    const src = fs.readFileSync(fixtureFile('hello_deepa', dir));
    for (const frac of [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) {
      const cut = Math.floor(src.byteLength * frac);
      const f = write(`trunc-${frac}.onnx`, src.subarray(0, cut));
      for (const opts of [{}, { wholeFileMaxBytes: 0, lazyMinBytes: 16 }]) {
        const e = expectClear(() => OnnxModel.open(f, opts), 'CORRUPT_MODEL');
        expect(e.hint).toBeTruthy();
      }
    }
  }, T);

  it('random bytes are refused (CORRUPT_MODEL with .onnx, BAD_INPUT without an extension)', () => {
    let seed = 1;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff;
    for (let i = 0; i < 20; i++) {
      const bytes = Uint8Array.from({ length: 64 + i * 97 }, rnd);
      const withExt = write(`random-${i}.onnx`, bytes);
      expect(['CORRUPT_MODEL', 'UNSUPPORTED']).toContain(errorOf(() => openModel(withExt)).code);
      const noExt = write(`random-${i}.bin`, bytes);
      expect(['CORRUPT_MODEL', 'BAD_INPUT', 'UNSUPPORTED']).toContain(errorOf(() => openModel(noExt)).code);
    }
  }, T);

  it('a protobuf length pointing past the end is CORRUPT_MODEL', () => {
    // ModelProto { ir_version: 8, graph: <claims 1 MB, has 6 bytes> }
    const f = write('len-past-end.onnx', Uint8Array.from([0x08, 0x08, 0x3a, ...encodeVarint(1_000_000), 1, 2, 3, 4, 5, 6]));
    expectClear(() => OnnxModel.open(f), 'CORRUPT_MODEL', /past the end/);
    // The same inside a weight: raw_data claiming 2^31 bytes inside a big initializer.
    const good = model(tensorProto('W', 'float32', [4, 4], new Array(16).fill(1)));
    const raw = Buffer.from(good);
    const at = raw.indexOf(Buffer.from([0x4a, 64])); // raw_data tag + length 64
    const bad = Buffer.concat([raw.subarray(0, at + 1), Buffer.from(encodeVarint(2 ** 31)), raw.subarray(at + 2)]);
    expectClear(() => OnnxModel.open(write('raw-past-end.onnx', bad)), 'CORRUPT_MODEL');
    expectClear(() => OnnxModel.open(write('raw-past-end2.onnx', bad), { lazyMinBytes: 16, wholeFileMaxBytes: 0 }), 'CORRUPT_MODEL');
  }, T);

  it('dims that overflow, go negative, or disagree with the data are CORRUPT_MODEL', () => {
    const huge = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    huge.dims = [2n ** 40n, 2n ** 40n];
    expectClear(() => OnnxModel.open(write('dims-overflow.onnx', model(huge))), 'CORRUPT_MODEL', /overflow|too large/);
    const neg = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    neg.dims = [-1n, 16n];
    expectClear(() => OnnxModel.open(write('dims-neg.onnx', model(neg))), 'CORRUPT_MODEL', /negative/);
    const short = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    short.dims = [4n, 5n];
    expectClear(() => OnnxModel.open(write('dims-disagree.onnx', model(short))), 'CORRUPT_MODEL', /needs 80/);
    const typed = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    typed.rawData = new Uint8Array(0);
    typed.floatData = [1, 2, 3];
    expectClear(() => OnnxModel.open(write('typed-disagree.onnx', model(typed))), 'CORRUPT_MODEL', /float_data/);
    const nodata = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    nodata.rawData = new Uint8Array(0);
    expectClear(() => OnnxModel.open(write('no-data.onnx', model(nodata))), 'CORRUPT_MODEL', /no data/);
    const dtype = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
    dtype.dataType = 99;
    expectClear(() => OnnxModel.open(write('dtype.onnx', model(dtype))), 'CORRUPT_MODEL', /data type 99/);
  }, T);

  it('external data that leaves the model folder, names a device, or lies past its file is refused', () => {
    const sub = path.join(dir, 'ext');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(dir, 'outside.bin'), Buffer.alloc(64));
    fs.writeFileSync(path.join(sub, 'inside.bin'), Buffer.alloc(64));
    fs.symlinkSync(path.join(dir, 'outside.bin'), path.join(sub, 'link.bin'));
    const ext = (location: string, offset = '0', length = '64'): string => {
      const t = tensorProto('W', 'float32', [4, 4], new Array(16).fill(1));
      t.rawData = new Uint8Array(0);
      t.dataLocation = 1;
      t.externalData = [
        { $typeName: 'onnx.StringStringEntryProto', key: 'location', value: location },
        { $typeName: 'onnx.StringStringEntryProto', key: 'offset', value: offset },
        { $typeName: 'onnx.StringStringEntryProto', key: 'length', value: length },
      ];
      const f = path.join(sub, `m-${Math.random().toString(36).slice(2)}.onnx`);
      fs.writeFileSync(f, model(t));
      return f;
    };
    expectClear(() => OnnxModel.open(ext('../outside.bin')), 'CORRUPT_MODEL', /leaves the model folder/);
    expectClear(() => OnnxModel.open(ext('a/../../outside.bin')), 'CORRUPT_MODEL', /leaves the model folder/);
    expectClear(() => OnnxModel.open(ext(path.join(dir, 'outside.bin'))), 'CORRUPT_MODEL', /absolute/);
    expectClear(() => OnnxModel.open(ext('C:\\Windows\\x.bin')), 'CORRUPT_MODEL', /absolute/);
    expectClear(() => OnnxModel.open(ext('/dev/zero')), 'CORRUPT_MODEL', /absolute|device/);
    expectClear(() => OnnxModel.open(ext('NUL')), 'CORRUPT_MODEL', /device/);
    expectClear(() => OnnxModel.open(ext('link.bin')), 'CORRUPT_MODEL', /outside the model folder/);
    expectClear(() => OnnxModel.open(ext('missing.bin')), 'CORRUPT_MODEL', /missing/);
    expectClear(() => OnnxModel.open(ext('inside.bin', '32')), 'CORRUPT_MODEL', /past the end/);
    expectClear(() => OnnxModel.open(ext('inside.bin', '0', '60')), 'CORRUPT_MODEL', /disagrees/);
    expectClear(() => OnnxModel.open(ext('inside.bin', '-5')), 'CORRUPT_MODEL', /not a non-negative integer/);
    expectClear(() => OnnxModel.open(ext('inside.bin', String(2 ** 60))), 'CORRUPT_MODEL');
    // The same file read properly works.
    const ok = OnnxModel.open(ext('inside.bin'));
    expect(ok.weights[0].storage).toBe('external');
    expect(ok.weights[0].float32().length).toBe(16);
    ok.close();
  }, T);

  it('deep nesting is refused, not a stack overflow', () => {
    const leaf = (): ReturnType<typeof graphProto> => graphProto({ name: 'leaf', inputs: [], outputs: [valueInfo('o', 'float32', [1])], nodes: [node('Identity', ['x'], ['o'])] });
    let g = leaf();
    for (let i = 0; i < 300; i++) {
      g = graphProto({ name: `g${i}`, inputs: [], outputs: [valueInfo('o', 'float32', [1])], nodes: [node('If', ['c'], ['o'], { then_branch: g, else_branch: leaf() })] });
    }
    const bytes = toBinary(ModelProtoSchema, modelProto({ opsets: { '': 13 }, graph: g }));
    const f = write('deep.onnx', bytes);
    expect(['CORRUPT_MODEL']).toContain(errorOf(() => OnnxModel.open(f)).code);
  }, T);
});

describe('files that are not models', () => {
  it('empty, folder, missing, and foreign formats get clear codes and hints', () => {
    expectClear(() => openModel(write('empty.onnx', '')), 'CORRUPT_MODEL', /empty/);
    expectClear(() => openModel(dir), 'BAD_INPUT', /folder/);
    expectClear(() => openModel(path.join(dir, 'nope.onnx')), 'NOT_FOUND');
    const pt = expectClear(() => openModel(write('model.pt', Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]))), 'UNSUPPORTED', /ZIP/);
    expect(pt.hint).toMatch(/ONNX/);
    expectClear(() => openModel(write('m.gguf', 'GGUF\x03\x00\x00\x00')), 'UNSUPPORTED', /GGUF/);
    expectClear(() => openModel(write('notes.txt', 'hello world, not a model')), 'BAD_INPUT', /not a model file/);
  }, T);

  it('inspectModel reports the same errors (as a rejected promise)', async () => {
    await expect(inspectModel(path.join(dir, 'nope.onnx'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, T);
});

describe('safetensors: damaged headers', () => {
  const st = (header: unknown, dataBytes = 16, name?: string, rawHeader?: Buffer): string => {
    const json = rawHeader ?? Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.byteLength));
    return write(name ?? `st-${Math.random().toString(36).slice(2)}.safetensors`, Buffer.concat([len, json, Buffer.alloc(dataBytes, 1)]));
  };
  it('a header claiming 2^60 bytes is refused before any allocation', () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(2n ** 60n);
    const f = write('huge-header.safetensors', Buffer.concat([len, Buffer.from('{}')]));
    expectClear(() => SafetensorsModel.open(f), 'CORRUPT_MODEL', /claims/);
  }, T);
  it('a tensor claiming 2^60 bytes, or data past the end, is refused', () => {
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [2 ** 28, 2 ** 30], data_offsets: [0, 2 ** 60] } })), 'CORRUPT_MODEL');
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } })), 'CORRUPT_MODEL', /past the end/);
  }, T);
  it('overlaps, size mismatches, unknown dtypes, bad shapes and bad JSON are refused', () => {
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } })), 'CORRUPT_MODEL', /overlap/);
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })), 'CORRUPT_MODEL', /needs 12/);
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F99', shape: [2], data_offsets: [0, 8] } })), 'CORRUPT_MODEL', /unknown dtype/);
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } })), 'CORRUPT_MODEL', /shape/);
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } })), 'CORRUPT_MODEL', /backwards/);
    expectClear(() => SafetensorsModel.open(st({ __metadata__: { a: 1 } })), 'CORRUPT_MODEL', /__metadata__/);
    expectClear(() => SafetensorsModel.open(st(null, 16, undefined, Buffer.from('{"a": {'))), 'CORRUPT_MODEL', /JSON/);
    expectClear(() => SafetensorsModel.open(st(null, 16, undefined, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))), 'CORRUPT_MODEL', /UTF-8/);
    expectClear(() => SafetensorsModel.open(write('tiny.safetensors', Buffer.from([1, 2, 3]))), 'CORRUPT_MODEL', /8-byte/);
    expectClear(() => SafetensorsModel.open(st({ a: { dtype: 'F6_E2M3', shape: [2], data_offsets: [0, 2] } })), 'UNSUPPORTED');
  }, T);
});
