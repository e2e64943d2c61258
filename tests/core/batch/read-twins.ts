// A reader process for the concurrency test: polls the zoo while a batch writes it and checks
// that every twin it sees is whole (file in the store, layer stats, evaluation, parent link).
//   tsx read-twins.ts DATA_DIR EXPECTED_TWINS
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';

const [dataDir, expected] = process.argv.slice(2);
const want = Number(expected);
const file = path.join(dataDir, 'zoo.sqlite');
while (!existsSync(file)) await new Promise((r) => setTimeout(r, 10));
const db = new Database(file, { readonly: true, timeout: 10_000 });
db.pragma('busy_timeout = 10000');
const problems: string[] = [];
let polls = 0;
let maxSeen = 0;
const seen = new Set<number>();
const deadline = Date.now() + 60_000;
const snapshot = db.transaction(() => {
  const twins = db.prepare('SELECT t.model_id AS id, m.sha256, m.parent_id FROM twins t JOIN models m ON m.id = t.model_id').all() as { id: number; sha256: string; parent_id: number | null }[];
  for (const t of twins) {
    const layers = (db.prepare('SELECT count(*) AS n FROM layer_stats WHERE model_id = ?').get(t.id) as { n: number }).n;
    const evals = (db.prepare('SELECT count(*) AS n FROM evaluations WHERE model_id = ? AND reference_id = ?').get(t.id, t.parent_id) as { n: number }).n;
    const file = path.join(dataDir, 'store', t.sha256.slice(0, 2), t.sha256);
    if (t.parent_id === null) problems.push(`twin ${t.id} has no parent`);
    if (layers === 0) problems.push(`twin ${t.id} has no layer stats`);
    if (evals === 0) problems.push(`twin ${t.id} has no evaluation`);
    if (!existsSync(file)) problems.push(`twin ${t.id} has no file`);
  }
  return twins.length;
});
for (;;) {
  let n = 0;
  try {
    n = snapshot.deferred();
  } catch (e) {
    if (!/no such table/.test(String(e))) problems.push(String(e));
  }
  polls++;
  maxSeen = Math.max(maxSeen, n);
  seen.add(n);
  if (n >= want || Date.now() > deadline || problems.length) break;
  await new Promise((r) => setTimeout(r, 5));
}
process.stdout.write(JSON.stringify({ polls, maxSeen, distinct: seen.size, problems: problems.slice(0, 5) }) + '\n');
