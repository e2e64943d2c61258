// `bench io` machinery on a small model (the 1 GB run is the benchmark itself, not a test):
// the generated model is valid, the worker inspects it and reports time and peak memory.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchIo, formatBenchIo, generateIoModel } from '../../../main/core/bench/io';
import { inspectModel } from '../../../main/core/model/inspect';
import { rmTmp, tmpDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = tmpDir('benchio');
});
afterAll(() => rmTmp(dir));

describe('bench io', () => {
  it('generates an external-data model that inspects to the expected totals', async () => {
    const g = generateIoModel(dir, 4 * 2 ** 20, 256);
    expect(g.layers).toBe(16);
    expect(fs.existsSync(`${g.model}.data`)).toBe(true);
    const r = await inspectModel(g.model);
    expect(r.totals.parameters).toBe(16 * 256 * 256);
    expect(r.weights.every((w) => w.storage === 'external')).toBe(true);
    expect(r.totals.nonzeros).toBeLessThan(r.totals.parameters);
  });

  it('runs inspect in a worker and reports time and peak RSS for both layouts', async () => {
    const res = await benchIo({ bytes: 4 * 2 ** 20, width: 256, embedded: true, dir: path.join(dir, 'run') });
    expect(res.cases.map((c) => c.layout)).toEqual(['external', 'embedded']);
    for (const c of res.cases) {
      expect(c.parameters).toBe(16 * 256 * 256);
      expect(c.peakRssBytes).toBeGreaterThan(c.baselineRssBytes * 0.5);
      expect(c.inspectMs).toBeGreaterThan(0);
      expect(c.pass).toBe(c.peakRssBytes < 0.3 * c.fileBytes);
    }
    expect(formatBenchIo(res)).toContain('peak RSS');
    expect(res.copyGBps).toBeGreaterThan(0);
    expect(formatBenchIo(res)).toMatch(/copy bandwidth \d+\.\d GB\/s/);
  }, 120_000);
});
