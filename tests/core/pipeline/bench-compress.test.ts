// `twinforge bench compress` on a small generated MLP: every step of a real compress run happens
// (calibration, fidelity, latency in at least one session pair, the latency model's estimate),
// the split adds up to no more than the end-to-end time, the copy bandwidth is measured, and the
// twin keeps its weights in a data file like its parent. No assertion on speed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCompress, formatBenchCompress } from '../../../main/core/bench/compress';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-compress-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('twinforge bench compress', () => {
  it('runs every step on a 2M-parameter MLP and reports a split that adds up', async () => {
    const r = await benchCompress({ params: 2e6, width: 512, dir: tmp, keep: true });
    expect(r.layers).toBe(8);
    expect(r.copyGBps).toBeGreaterThan(0);
    for (const v of [r.nativeMs, r.ortMs, r.ioMs, r.ortParts.evaluationMs, r.ortParts.latencyMs, r.ortParts.estimateMs, r.ortParts.calibrationMs]) expect(v).toBeGreaterThan(0);
    expect(r.nativeMs + r.ortMs + r.ioMs).toBeLessThanOrEqual(r.totalMs + 1e-6);
    expect(r.ortParts.evaluationMs + r.ortParts.latencyMs + r.ortParts.estimateMs).toBeLessThanOrEqual(r.ortMs + 1e-6);
    expect(r.latencySessions).toBeGreaterThanOrEqual(1);
    expect(r.latencyRounds).toBeGreaterThanOrEqual(15);
    expect(r.latencyMs!.parent).toBeGreaterThan(0);
    expect(r.sizes.twinBytes).toBeLessThan(r.sizes.parentBytes / 3);
    // the report says the same, with the estimate beside the measurement
    const twinDir = path.join(tmp, 'twin');
    const report = JSON.parse(readFileSync(path.join(twinDir, 'report.json'), 'utf8'));
    expect(report.latencyMs.sessions).toBe(r.latencySessions);
    expect(report.latencyMs.estimated.parent).toBeGreaterThan(0);
    // parent with external data -> twin with external data; no staging or calibration leftovers
    expect(existsSync(path.join(twinDir, 'twin.onnx.data'))).toBe(true);
    expect(readdirSync(twinDir).filter((f) => f.startsWith('.') || f.startsWith('calibration-'))).toEqual([]);
    const text = formatBenchCompress(r);
    expect(text).toMatch(/copy bandwidth \d+(\.\d)? GB\/s/);
    expect(text).toMatch(/latency \d+\.\d\d s in \d session pair\(s\), \d+ rounds, estimate/);
  }, 120_000);
});
