// Weights in files are read ahead on the thread pool (several at once): the bytes are those of a
// plain read, a closed source is never read under a pending read, and a stage given prefetched
// weights computes exactly what it computes from synchronous reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { FileSource } from '../../../main/core/model/source';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { findLayers } from '../../../main/core/methods/layers';
import { WeightCache } from '../../../main/core/pipeline/transform';
import { generateMlp } from '../../../main/core/bench/compress';
import { TwinforgeError } from '../../../main/core/errors';
import { tempDir } from '../pipeline/helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('source-async');
});
afterAll(() => tmp.cleanup());

describe('FileSource.readAsync', () => {
  it('reads the bytes read() reads, several at once, and defers close() past them', async () => {
    const file = path.join(tmp.dir, 'bytes.bin');
    const bytes = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 131 + (i >> 9)) & 0xff);
    writeFileSync(file, bytes);
    const src = new FileSource(file);
    const ranges: [number, number][] = [[0, 1 << 20], [12345, 2 << 20], [(3 << 20) - 7, 7], [5, 0]];
    const reads = ranges.map(([o, l]) => src.readAsync(o, l));
    src.close(); // with reads in flight: they finish, then the file closes
    const got = await Promise.all(reads);
    ranges.forEach(([o, l], i) => expect(Buffer.from(got[i]).equals(Buffer.from(bytes.subarray(o, o + l)))).toBe(true));
    expect(() => src.read(0, 1)).toThrow(TwinforgeError);
    await expect(src.readAsync(0, 1)).rejects.toThrow(/closed/);
    const again = new FileSource(file);
    try {
      await expect(again.readAsync((3 << 20) - 1, 2)).rejects.toThrow(/past the end/);
    } finally {
      again.close();
    }
  });

  it('prefetched weights are the ones a synchronous read gives', async () => {
    const file = path.join(tmp.dir, 'mlp.onnx');
    generateMlp(file, 3, 256);
    const read = async (prefetch: boolean) => {
      const editor = ModelEditor.open(file);
      try {
        const layers = findLayers(editor.current());
        const timings = { ioMs: 0 };
        const cache = new WeightCache({ layers: new Map(), patterns: new Map(), quantized: new Map(), channelsRemoved: false, warnings: [], parentOtherNonzeros: 0 }, timings);
        if (prefetch) await cache.prefetch(layers);
        return layers.map((l) => Array.from(cache.read(l)));
      } finally {
        editor.close();
      }
    };
    const ahead = await read(true);
    expect(ahead).toHaveLength(3);
    expect(ahead).toEqual(await read(false));
  });
});
