// Removing zoos and collecting garbage: a file goes only when no row (in any zoo, original or
// twin) references its hash any more.
import type { ZooDb } from './db';
import { referencedShas, shaRefCount } from './repo/models';
import { deleteZoo, requireZoo } from './repo/zoos';
import { deleteTwin } from './repo/twins';
import { ModelStore } from './store';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { markInterruptedRuns } from './stale';
import { pidAlive } from '../system/processes';

export interface RemoveResult {
  zoo: string;
  /** Models deleted because no other zoo held them (their twins went with them). */
  models: number;
  twins: number;
  /** Files deleted from the store. */
  files: number;
  /** Files kept because another zoo or twin still references them. */
  keptFiles: number;
}

/** Deletes a zoo, the models only it held, and the files nothing references any more. */
export function removeZoo(db: ZooDb, name: string): RemoveResult {
  const zoo = requireZoo(db, name);
  const { models, twins, shas } = deleteZoo(db, zoo.id);
  return { zoo: zoo.name, models, twins, ...dropUnreferenced(db, shas) };
}

/** Deletes one twin and its own twins; their files go unless another row still references them. */
export function removeTwin(db: ZooDb, id: number): { twins: number; files: number; keptFiles: number } {
  const { twins, shas } = deleteTwin(db, id);
  return { twins, ...dropUnreferenced(db, shas) };
}

/** Removes the stored files of deleted rows that no other row still references. */
function dropUnreferenced(db: ZooDb, shas: Iterable<string>): { files: number; keptFiles: number } {
  const store = new ModelStore(db.dataDir);
  let files = 0;
  let keptFiles = 0;
  for (const sha of shas) {
    if (shaRefCount(db, sha) > 0) keptFiles++;
    else if (store.remove(sha)) files++;
  }
  return { files, keptFiles };
}

/** Deletes stored files no row references (and stale temp files); young files are spared. */
export function collectGarbage(db: ZooDb, graceMs?: number): { removed: number; bytes: number; temps: number; interruptedRuns: number } {
  // Runs of killed batch processes first: their rows say 'running' until someone notices.
  const interruptedRuns = markInterruptedRuns(db);
  const store = new ModelStore(db.dataDir);
  const dead = removeDeadStaging(store.tmpDir);
  const refs = referencedShas(db);
  // A row may be committed between the snapshot and the unlink: re-check each one before it goes.
  const r = store.gc((sha) => refs.has(sha) || shaRefCount(db, sha) > 0, graceMs);
  return { removed: r.removed.length, bytes: r.bytes, temps: r.temps + dead, interruptedRuns };
}

/**
 * Removes staging entries (`<pid>-<random>...` in the store's tmp folder) whose process no longer
 * exists, whatever their age: the grace period protects live writers, and a dead one writes no more.
 */
export function removeDeadStaging(tmpDir: string): number {
  if (!existsSync(tmpDir)) return 0;
  let n = 0;
  for (const f of readdirSync(tmpDir)) {
    const m = /^(\d+)-/.exec(f);
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(path.join(tmpDir, f), { recursive: true, force: true });
    n++;
  }
  return n;
}
