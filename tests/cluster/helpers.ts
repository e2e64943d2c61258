// Shared pieces of the cluster tests: a zoo of demo models, the coordinator run through the CLI's
// own entry (in this process, so it is the zoo's only writer), and reading back what it recorded.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../main/cli/main';
import { packageRoot } from '../../main/core/paths';

export const DEMO = path.join(packageRoot, 'resources', 'demo-zoo');
export const TOKEN = 'cluster-test-token-0123456789abcdef';

export async function cli(dataDir: string, argv: string[], signal = new AbortController().signal): Promise<{ code: number; lines: any[] }> {
  let out = '';
  const code = await main([...argv, '--data-dir', dataDir, '--json'], { out: (s) => (out += s), err: () => {}, isTTY: false, signal });
  const text = out.trim();
  let lines: any[] = [];
  try {
    lines = [JSON.parse(text)];
  } catch {
    lines = text ? text.split('\n').map((l) => JSON.parse(l)) : [];
  }
  return { code, lines };
}

/** Imports demo models into zoo 'demo' of dataDir. */
export async function demoZoo(dataDir: string, models: string[]): Promise<void> {
  const r = await cli(dataDir, ['zoo', 'import', 'demo', ...models.map((m) => path.join(DEMO, 'models', `${m}.onnx`)), '--create']);
  if (r.code !== 0) throw new Error(`zoo import failed: ${JSON.stringify(r.lines)}`);
}

/** The demo grid, optionally narrowed to some methods (a smaller grid for the fault tests). */
export function gridFile(dir: string, methods?: string[]): string {
  if (!methods) return path.join(DEMO, 'grid.yaml');
  const f = path.join(dir, 'grid.yaml');
  writeFileSync(f, readFileSync(path.join(DEMO, 'grid.yaml'), 'utf8').replace('[magnitude, sparsegpt]', `[${methods.join(', ')}]`).replace('model: models/', `model: ${DEMO}/models/`));
  return f;
}

export interface TwinRow {
  grid_key: string;
  sha256: string;
  sparsity: number;
  mask_hash: string;
  agreement: number | null;
  cosine: number | null;
  accuracy: number | null;
}

/** Every twin of the zoo with its first evaluation, and the integrity check, read independently. */
export function readZoo(dataDir: string): { twins: TwinRow[]; integrity: string; jobs: { state: string; n: number }[] } {
  const db = new Database(path.join(dataDir, 'zoo.sqlite'), { readonly: true });
  try {
    const twins = db
      .prepare(
        `SELECT t.grid_key, m.sha256, t.sparsity, t.mask_hash, e.agreement, e.cosine, e.accuracy
         FROM twins t JOIN models m ON m.id = t.model_id
         LEFT JOIN evaluations e ON e.model_id = t.model_id AND e.reference_id IS NOT NULL
         ORDER BY t.grid_key`,
      )
      .all() as TwinRow[];
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const jobs = db.prepare(`SELECT state, count(*) AS n FROM jobs WHERE kind = 'zoo.twin' GROUP BY state ORDER BY state`).all() as { state: string; n: number }[];
    return { twins, integrity, jobs };
  } finally {
    db.close();
  }
}
