// The Electron host parses model files the way the web host does: in a worker process with memory
// and time limits, so a hostile model (finding 4) cannot freeze the process that owns the window.
import { describe, expect, it, vi } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { bindIpc, CALL_CHANNEL } from '../../main/electron/ipc';
import { JobRunner } from '../../main/core/jobs/runner';
import { sliceStepZero, cleanMlp } from '../../main/core/bench/fuzz/hostile';

vi.mock('electron', () => ({ app: {}, BrowserWindow: vi.fn(), ipcMain: {}, session: {}, shell: {}, dialog: {} }));

describe('Electron IPC: model reads', () => {
  it('inspects in a worker: a hostile model is CORRUPT_MODEL, a good one inspects', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-ipc-iso-'));
    const handlers = new Map<string, (...a: unknown[]) => Promise<unknown>>();
    bindIpc({ handle: (ch: string, fn: (...a: unknown[]) => Promise<unknown>) => handlers.set(ch, fn), removeHandler: () => undefined } as never, { dataDir, host: 'electron', jobs: new JobRunner({ dataDir }) }, () => true);
    const bad = path.join(dataDir, 'slice0.onnx');
    writeFileSync(bad, sliceStepZero());
    const good = path.join(dataDir, 'mlp.onnx');
    writeFileSync(good, cleanMlp());
    const call = handlers.get(CALL_CHANNEL)!;
    const [r1, r2] = (await Promise.all([call({}, 'model.inspect', { path: bad }), call({}, 'model.inspect', { path: good })])) as Array<{ ok: boolean; error?: { code: string }; value?: { format: string } }>;
    expect(r1).toMatchObject({ ok: false, error: { code: 'CORRUPT_MODEL' } });
    expect(r2).toMatchObject({ ok: true, value: { format: 'onnx' } });
  }, 60_000);
});
