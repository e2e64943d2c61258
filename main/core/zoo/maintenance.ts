// Removing zoos and collecting garbage: a file goes only when no row (in any zoo, original or
// twin) references its hash any more.
import type { ZooDb } from './db';
import { referencedShas, shaRefCount } from './repo/models';
import { deleteZoo, requireZoo } from './repo/zoos';
import { ModelStore } from './store';

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
  const store = new ModelStore(db.dataDir);
  let files = 0;
  let keptFiles = 0;
  for (const sha of shas) {
    if (shaRefCount(db, sha) > 0) keptFiles++;
    else if (store.remove(sha)) files++;
  }
  return { zoo: zoo.name, models, twins, files, keptFiles };
}

/** Deletes stored files no row references (and stale temp files); young files are spared. */
export function collectGarbage(db: ZooDb, graceMs?: number): { removed: number; bytes: number; temps: number } {
  const refs = referencedShas(db);
  // A row may be committed between the snapshot and the unlink: re-check each one before it goes.
  const r = new ModelStore(db.dataDir).gc((sha) => refs.has(sha) || shaRefCount(db, sha) > 0, graceMs);
  return { removed: r.removed.length, bytes: r.bytes, temps: r.temps };
}
