// safetensors: write → read round trip for every dtype the format has, roles from names, streamed
// copies, inspect on a weights-only file, and positional reads past 4 GB (a sparse file).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../../main/core/model/inspect';
import { SAFETENSORS_DTYPES, encodeFromNumbers } from '../../../main/core/model/dtype';
import { detectFormat, openModel } from '../../../main/core/model';
import { SafetensorsModel } from '../../../main/core/model/safetensors/reader';
import { saveSafetensors } from '../../../main/core/model/safetensors/writer';
import { rmTmp, tmpDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = tmpDir('st');
});
afterAll(() => rmTmp(dir));

describe('safetensors', () => {
  it('round-trips every dtype with metadata, header padded to 8 bytes', () => {
    const file = path.join(dir, 'all.safetensors');
    const vals = [0, 1, -1, 2, 0.5, -2, 3, 0];
    const tensors = Object.entries(SAFETENSORS_DTYPES)
      .filter(([, d]) => d !== 'complex64')
      .map(([st, dtype]) => ({ name: `t_${st}`, dtype, dims: [2, 4], bytes: encodeFromNumbers(dtype, dtype.endsWith('64') && dtype.startsWith('int') ? BigInt64Array.from(vals.map((v) => BigInt(Math.round(v)))) : dtype === 'uint64' ? BigUint64Array.from(vals.map((v) => BigInt(Math.max(0, Math.round(v))))) : vals) }));
    const size = saveSafetensors(file, tensors, { format: 'pt', note: 'twinforge test' });
    expect(fs.statSync(file).size).toBe(size);
    const headerLen = Number(fs.readFileSync(file).readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    expect(detectFormat(file)).toBe('safetensors');
    const m = SafetensorsModel.open(file);
    expect(m.metadata).toEqual({ format: 'pt', note: 'twinforge test' });
    expect(m.producer.name).toBe('pt');
    for (const t of tensors) {
      const w = m.weight(t.name)!;
      expect(w.dtype).toBe(t.dtype);
      expect(w.dims).toEqual([2, 4]);
      expect(Buffer.from(w.bytes()).equals(Buffer.from(t.bytes))).toBe(true);
    }
    expect(Array.from(m.weight('t_BF16')!.float32())).toEqual(vals);
    m.close();
  });

  it('guesses roles and torch Linear layout [out, in] from names', () => {
    const file = path.join(dir, 'llm.safetensors');
    const f32 = (n: number): Uint8Array => encodeFromNumbers('float32', Array.from({ length: n }, (_, i) => (i % 5) - 2));
    saveSafetensors(file, [
      { name: 'model.embed_tokens.weight', dtype: 'float32', dims: [16, 8], bytes: f32(128) },
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'float32', dims: [8, 8], bytes: f32(64) },
      { name: 'model.layers.0.self_attn.o_proj.weight', dtype: 'float32', dims: [8, 8], bytes: f32(64) },
      { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'float32', dims: [16, 8], bytes: f32(128) },
      { name: 'model.layers.0.mlp.up_proj.bias', dtype: 'float32', dims: [16], bytes: f32(16) },
      { name: 'model.layers.0.input_layernorm.weight', dtype: 'float32', dims: [8], bytes: f32(8) },
      { name: 'model.conv.weight', dtype: 'float32', dims: [4, 2, 3, 3], bytes: f32(72) },
      { name: 'position_ids', dtype: 'int64', dims: [4], bytes: encodeFromNumbers('int64', BigInt64Array.of(0n, 1n, 2n, 3n)) },
    ]);
    const m = openModel(file);
    const role = (id: string): string => m.weight(id)!.role;
    expect(role('model.embed_tokens.weight')).toBe('embedding');
    expect(role('model.layers.0.self_attn.q_proj.weight')).toBe('gemm_b');
    expect(m.weight('model.layers.0.self_attn.q_proj.weight')!.attention).toBe('q');
    expect(m.weight('model.layers.0.self_attn.o_proj.weight')!.attention).toBe('o');
    expect(m.weight('model.layers.0.mlp.up_proj.weight')!.layout).toEqual({ outAxis: 0, inAxes: [1], group: 1 });
    expect(role('model.layers.0.mlp.up_proj.bias')).toBe('bias');
    expect(role('model.layers.0.input_layernorm.weight')).toBe('norm');
    expect(role('model.conv.weight')).toBe('conv_w');
    expect(role('position_ids')).toBe('shape');
    m.close();
  });

  it('inspect summarises a weights-only file (one row per module)', async () => {
    const r = await inspectModel(path.join(dir, 'llm.safetensors'));
    expect(r.format).toBe('safetensors');
    expect(r.totals.weightTensors).toBe(7);
    expect(r.totals.parameters).toBe(128 + 64 + 64 + 128 + 16 + 8 + 72);
    const up = r.layers.find((l) => l.name === 'model.layers.0.mlp.up_proj')!;
    expect(up.op).toBe('Linear');
    expect(up.parameters).toBe(144);
    expect(up.weights).toEqual(['model.layers.0.mlp.up_proj.weight', 'model.layers.0.mlp.up_proj.bias']);
    expect(up.flops).toBe(2 * 128 + 16);
    const zeros = (n: number): number => Array.from({ length: n }, (_, i) => (i % 5) - 2).filter((v) => v === 0).length;
    expect(up.nonzeros).toBe(144 - zeros(128) - zeros(16));
  });

  it('copies weights from another model by streaming', () => {
    const src = SafetensorsModel.open(path.join(dir, 'llm.safetensors'));
    const out = path.join(dir, 'copy.safetensors');
    saveSafetensors(out, src.weights.map((w) => ({ name: w.name, weight: w })));
    const back = SafetensorsModel.open(out);
    for (const w of src.weights) expect(Buffer.from(back.weight(w.id)!.bytes()).equals(Buffer.from(w.bytes()))).toBe(true);
    back.close();
    src.close();
  });

  it('reads tensors that lie past 4 GB with positional reads (sparse file, no whole-file load)', () => {
    const file = path.join(dir, 'big.safetensors');
    const big = 2 ** 32 + 4096; // bytes of tensor "big" (F32)
    const header = { big: { dtype: 'F32', shape: [big / 4], data_offsets: [0, big] }, tail: { dtype: 'BF16', shape: [4], data_offsets: [big, big + 8] } };
    let json = Buffer.from(JSON.stringify(header));
    json = Buffer.concat([json, Buffer.alloc((8 - (json.byteLength % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.byteLength));
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, len, 0, 8, 0);
      fs.writeSync(fd, json, 0, json.byteLength, 8);
      const base = 8 + json.byteLength;
      fs.ftruncateSync(fd, base + big + 8);
      fs.writeSync(fd, encodeFromNumbers('float32', [1.5, -2.5]), 0, 8, base + big - 8);
      fs.writeSync(fd, encodeFromNumbers('bfloat16', [1, 2, 3, 4]), 0, 8, base + big);
    } finally {
      fs.closeSync(fd);
    }
    const rssBefore = process.memoryUsage().rss;
    const m = SafetensorsModel.open(file);
    expect(m.weight('big')!.byteLength).toBe(big);
    expect(Array.from(m.weight('tail')!.float32())).toEqual([1, 2, 3, 4]);
    const end = m.weight('big')!.byteRange(big - 8, 8);
    expect(Array.from(new Float32Array(end.buffer.slice(end.byteOffset, end.byteOffset + 8)))).toEqual([1.5, -2.5]);
    // A streamed chunk from past 4 GB decodes without reading what lies before it.
    let last: Float32Array | undefined;
    let chunks = 0;
    for (const c of m.weight('big')!.chunks(1 << 20)) {
      if (++chunks > 2) break;
      last = c.values;
    }
    expect(last?.length).toBe(1 << 20);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 2 ** 20);
    m.close();
  });
});
