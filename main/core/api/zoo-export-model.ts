// zoo.exportModel: copies one zoo model's stored file (named after the model) into a folder, with
// the recipe that made it when it is a twin — the twin page's "Export to folder". Files already
// in the folder are never replaced unasked, the same rule as compress.export.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import { StagedOutput } from '../pipeline/atomic';
import { openZoo } from '../zoo/db';
import { resolveModel } from '../zoo/repo/models';
import { getTwin } from '../zoo/repo/twins';
import { ModelStore } from '../zoo/store';

/** A model's file name: its zoo name made safe, with the extension of its format (a model folder has none). */
export function modelFileName(name: string, format: string): string {
  const ext = format === 'safetensors' ? '.safetensors' : format === 'hf' ? '' : '.onnx';
  const safe = name.replace(/[^A-Za-z0-9._+~-]+/g, '_').replace(/^\.+/, '').slice(0, 180) || 'model';
  return safe.toLowerCase().endsWith(ext) ? safe : `${safe}${ext}`;
}

export function zooExportModel(dataDir: string, args: { model: string; dir: string; overwrite?: boolean }): { dir: string; files: { path: string; kind: string; bytes: number }[] } {
  if (!path.isAbsolute(args.dir)) throw badInput(`dir: '${args.dir}' is not an absolute path.`, 'Give the full path of the destination folder.');
  const db = openZoo(dataDir);
  const { m, twin } = db.read(() => {
    const m = resolveModel(db, args.model);
    return { m, twin: getTwin(db, m.id) };
  });
  const src = new ModelStore(dataDir).pathOf(m.sha256);
  if (!existsSync(src)) throw new TwinforgeError('NOT_FOUND', `The file of '${m.name}' is missing from the store.`, 'Import the model again, or run `twinforge zoo gc` to tidy the zoo.');
  const fileName = modelFileName(m.name, m.format);
  const names = [fileName, ...(twin ? [`recipe.${twin.recipeFormat === 'json' ? 'json' : 'yaml'}`] : [])];
  const dest = path.resolve(args.dir);
  const clashes = names.map((n) => path.join(dest, n)).filter((p) => existsSync(p));
  if (clashes.length && args.overwrite !== true) {
    throw badInput(`${dest} already holds ${clashes.map((c) => path.basename(c)).join(', ')}.`, 'Choose another folder, or confirm that these files may be replaced.', { exists: clashes });
  }
  const out = new StagedOutput(dest);
  try {
    if (m.format === 'hf') {
      // A model folder: its files into DIR/NAME/, each staged and renamed like a single file.
      for (const f of readdirSync(src)) {
        copyFileSync(path.join(src, f), path.join(mkdirp(path.join(out.staging, fileName)), f));
        out.adopt(`${fileName}/${f}`);
      }
    } else {
      copyFileSync(src, path.join(out.staging, fileName));
      out.adopt(fileName);
    }
    if (twin) out.write(names[1]!, twin.recipe);
    const written = out.commit(args.overwrite === true);
    return { dir: dest, files: written.map((p) => ({ path: p, kind: p.endsWith(fileName) || path.basename(path.dirname(p)) === fileName ? 'model' : 'recipe', bytes: statSync(p).size })) };
  } catch (err) {
    out.abort();
    throw err;
  }
}

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
