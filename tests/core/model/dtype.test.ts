// Element types: decoding every dtype to float32 (aligned and unaligned storage), encoding back,
// sub-byte packing (low nibble first), float8 tables, nonzero counting.
import { describe, expect, it } from 'vitest';
import { type DType, DTYPES, byteSize, codeTable, countNonzeros, decodeToFloat32, encodeFromNumbers, floatToBfloat16, floatToHalf, roundHalfEven } from '../../../main/core/model/dtype';

// The same bytes at an odd offset inside a bigger buffer (as raw_data views often are).
function unaligned(bytes: Uint8Array): Uint8Array {
  const buf = new Uint8Array(bytes.byteLength + 3);
  buf.set(bytes, 3);
  return buf.subarray(3);
}

describe('dtype', () => {
  it('float16 and bfloat16 conversions round to nearest even and keep specials', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(1);
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToBfloat16(1)).toBe(0x3f80);
    expect(floatToBfloat16(-0.5)).toBe(0xbf00);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it('float8 tables match the ONNX definitions', () => {
    expect(codeTable('float8e4m3fn')[0x7e]).toBe(448);
    expect(codeTable('float8e4m3fn')[0x7f]).toBeNaN();
    expect(codeTable('float8e4m3fn')[0x01]).toBe(2 ** -9);
    expect(codeTable('float8e4m3fnuz')[0x80]).toBeNaN();
    expect(codeTable('float8e4m3fnuz')[0x7f]).toBe(240);
    expect(codeTable('float8e5m2')[0x7b]).toBe(57344);
    expect(codeTable('float8e5m2')[0x7c]).toBe(Infinity);
    expect(codeTable('float8e5m2fnuz')[0x7f]).toBe(57344);
    expect(codeTable('float8e8m0')[127]).toBe(1);
    expect(Array.from(codeTable('float4e2m1')).slice(0, 8)).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(codeTable('int4')[0xf]).toBe(-1);
    expect(codeTable('int2')[0x2]).toBe(-2);
  });

  const values = [0, 1, -1, 2.5, -3, 0.25, 4, -0.5, 6, 3];
  const exact: Record<string, number[]> = {
    int4: [0, 1, -1, 2, -3, 0, 4, 0, 6, 3],
    uint4: [0, 1, 0, 2, 0, 0, 4, 0, 6, 3],
    int2: [0, 1, -1, 1, -2, 0, 1, 0, 1, 1],
    uint2: [0, 1, 0, 2, 0, 0, 3, 0, 3, 3],
  };
  for (const dtype of Object.keys(DTYPES) as DType[]) {
    if (dtype === 'string' || dtype === 'complex64' || dtype === 'complex128') continue;
    it(`${dtype}: encode → decode (aligned and unaligned) and nonzeros agree`, () => {
      const bytes = encodeFromNumbers(dtype, values);
      expect(bytes.byteLength).toBe(byteSize(dtype, values.length));
      const a = decodeToFloat32(dtype, bytes, values.length);
      const b = decodeToFloat32(dtype, unaligned(bytes), values.length);
      expect(Array.from(b)).toEqual(Array.from(a));
      if (dtype.startsWith('float') || dtype === 'bfloat16') {
        for (let i = 0; i < values.length; i++) {
          if (dtype === 'float8e8m0' && values[i] <= 0) continue; // powers of two only: no zero, no sign
          const tol = dtype === 'float4e2m1' ? 0.5 : dtype === 'float8e8m0' ? Math.abs(values[i]) / 2 : Math.abs(values[i]) * 0.125;
          expect(Math.abs(a[i] - values[i])).toBeLessThanOrEqual(tol);
        }
      } else if (exact[dtype]) {
        expect(Array.from(a)).toEqual(exact[dtype]);
      } else if (dtype === 'bool') {
        expect(Array.from(a)).toEqual(values.map((v) => (v ? 1 : 0)));
      } else {
        const unsigned = dtype.startsWith('u');
        expect(Array.from(a)).toEqual(values.map((v) => (unsigned && v < 0 ? 0 : roundHalfEven(v))));
      }
      expect(countNonzeros(dtype, bytes, values.length)).toBe(Array.from(a).filter((v) => v !== 0).length);
    });
  }

  it('packs 4-bit values low nibble first', () => {
    expect(Array.from(encodeFromNumbers('uint4', [1, 2, 3]))).toEqual([0x21, 0x03]);
    expect(Array.from(encodeFromNumbers('int4', [-1, 7]))).toEqual([0x7f]);
    expect(Array.from(decodeToFloat32('int4', Uint8Array.of(0x8f), 2))).toEqual([-1, -8]);
  });

  it('counts -0 as zero and NaN as nonzero', () => {
    expect(countNonzeros('float32', encodeFromNumbers('float32', [0, -0, NaN, 1]), 4)).toBe(2);
    expect(countNonzeros('float16', encodeFromNumbers('float16', [0, -0, 1]), 3)).toBe(1);
  });

  it('refuses short storage', () => {
    expect(() => decodeToFloat32('float32', new Uint8Array(7), 2)).toThrow(/needs 8/);
  });
});
