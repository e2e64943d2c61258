// Runs one batch in its own process (the SIGKILL and concurrent-reader tests start it):
//   tsx run-batch.ts DATA_DIR ZOO RECIPE CONCURRENCY
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBatch } from '../../../main/core/batch/index';

const [dataDir, zoo, recipe, concurrency] = process.argv.slice(2);
const jobModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-job.ts');
const summary = await runBatch(recipe, {
  zoo,
  dataDir,
  concurrency: Number(concurrency),
  jobModule,
  onEvent: (e) => {
    if (e.type === 'twin' || e.type === 'failed' || e.type === 'plan') process.stdout.write(JSON.stringify(e) + '\n');
  },
});
process.stdout.write(JSON.stringify({ type: 'summary', summary }) + '\n');
