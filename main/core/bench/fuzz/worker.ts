// Fuzz worker process: runs corpus cases from a start index, one after another, reporting each
// before it starts and when it ends, so the parent (bench.ts) can tell a hang (no end within the
// limit) or a crash (the process dies mid-case) from a clean refusal. Memory is capped by the heap
// limit the parent sets; the peak RSS of this process goes out with every report.
import fs from 'node:fs';
import path from 'node:path';
import { closeChannel, exitWhenOrphaned, onParentMessage, requireParent, send } from '../../jobs/worker-channel';
import { openZoo } from '../../zoo/db';
import { importArchive } from '../../zoo/archive';
import { removeZoo } from '../../zoo/maintenance';
import { fuzzCase, runCase, type FuzzEnv } from './corpus';

export interface FuzzWorkerStart {
  seed: number;
  start: number;
  /** Stop after this index (exclusive). */
  end: number;
  dir: string;
}

export type FuzzWorkerReport =
  | { type: 'begin'; index: number; kind: string; how: string }
  | { type: 'end'; index: number; outcome: 'ok' | 'refused' | 'internal'; code?: string; message?: string; ms: number; maxRssBytes: number }
  | { type: 'finished' };

requireParent('The fuzz worker');
exitWhenOrphaned();
onParentMessage<FuzzWorkerStart>((msg) => {
  void (async () => {
    const dataDir = path.join(msg.dir, `data-${process.pid}`);
    const db = openZoo(dataDir);
    const env: FuzzEnv = { dir: path.join(msg.dir, `cases-${process.pid}`), importArchive: (f, as) => importArchive(db, f, { as }), removeZoo: (n) => void removeZoo(db, n) };
    for (let i = msg.start; i < msg.end; i++) {
      const c = await fuzzCase(msg.seed, i);
      await send({ type: 'begin', index: i, kind: c.kind, how: c.how } satisfies FuzzWorkerReport);
      const r = await runCase(c, env);
      await send({ type: 'end', index: i, ...r, maxRssBytes: process.resourceUsage().maxRSS * 1024 } satisfies FuzzWorkerReport);
    }
    fs.rmSync(env.dir, { recursive: true, force: true });
    await send({ type: 'finished' } satisfies FuzzWorkerReport);
    closeChannel();
  })();
});
