// zoo.file: where a zoo model's bytes live in the content-addressed store, so the wizard can open
// a zoo model like any file (model.inspect, hw.explain and recipes all take a path).
import { existsSync } from 'node:fs';
import { TwinforgeError } from '../errors';
import { openZoo } from '../zoo/db';
import { resolveModel } from '../zoo/repo/models';
import { ModelStore } from '../zoo/store';

/** The stored file of a zoo model (by id, name or sha256 prefix). */
export function zooModelFile(dataDir: string, ref: string): { id: number; name: string; format: string; path: string; parentId: number | null } {
  const db = openZoo(dataDir);
  const m = db.read(() => resolveModel(db, ref));
  const file = new ModelStore(dataDir).pathOf(m.sha256);
  if (!existsSync(file)) {
    throw new TwinforgeError('NOT_FOUND', `The file of zoo model '${m.name}' is missing from the store.`, 'Import the model again (twinforge zoo import), or run `twinforge zoo gc` to tidy the zoo.');
  }
  return { id: m.id, name: m.name, format: m.format, path: file, parentId: m.parentId };
}
