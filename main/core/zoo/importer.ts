// Importing model files into a zoo: every path is checked and read before anything is written,
// so a bad path, a non-model file or a duplicate rejects the whole import and changes nothing.
// Files are copied into the store first, then all rows are written in one transaction.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import type { ZooDb } from './db';
import { MODEL_EXTENSIONS, readModelFacts, type ModelFacts } from './model-facts';
import { findOriginalBySha, insertModel, putLayerStats, shaRefCount } from './repo/models';
import { addMember, isMember, requireZoo } from './repo/zoos';
import { ModelStore } from './store';
import { hashHfFolder, isHfFolder, readHfFacts } from './hf-folder';
import { storableModel, type Storable } from './self-contained';
import type { ImportedModel } from '../../../preload/contract';
// Contract types (preload/contract.ts is their one definition).
export type { ImportedModel };

/** Data a model is evaluated (and calibrated) on by default; stored with the model. */
export interface ModelData {
  calibration?: string;
  evaluation?: string;
}

export interface ImportOptions {
  signal?: AbortSignal;
  /** Data for every imported model (else a manifest.json next to the models may name it). */
  data?: ModelData;
  /** Reads a file's facts (tests inject one; default: the model I/O layer). */
  readFacts?: (file: string) => Promise<ModelFacts>;
  onProgress?: (done: number, total: number, file: string) => void;
}

interface Candidate {
  /** The model as given (its name and source path). */
  file: string;
  /** What goes into the store: the file, or its self-contained copy. */
  stored: string;
  sha256: string;
  bytes: number;
  facts: ModelFacts;
  data?: ModelData;
  /** A Hugging Face model folder: its files and their hashes (sha256 is their tree hash). */
  folderFiles?: { name: string; sha: string }[];
}

/** The zoo name of a model file or folder. */
function modelName(file: string): string {
  return path.basename(file).replace(/\.(onnx|safetensors)$/i, '');
}

/**
 * The data a population manifest (manifest.json in the model's folder or up to two folders
 * above, as resources/demo-zoo has) names for a model it lists: {data: {calibration: {file},
 * evaluation: {file}}, models: [{file}]}.
 */
export function dataFromManifest(file: string): ModelData | undefined {
  let dir = path.dirname(file);
  for (let i = 0; i < 3; i++) {
    const m = path.join(dir, 'manifest.json');
    if (existsSync(m)) {
      try {
        const j = JSON.parse(readFileSync(m, 'utf8')) as { data?: Record<string, { file?: string }>; models?: { file?: string }[] };
        const listed = (j.models ?? []).some((x) => typeof x.file === 'string' && path.resolve(dir, x.file) === file);
        if (listed && j.data) {
          const pick = (k: string) => (typeof j.data![k]?.file === 'string' ? path.resolve(dir, j.data![k].file!) : undefined);
          const out: ModelData = {};
          const cal = pick('calibration');
          const ev = pick('evaluation');
          if (cal && existsSync(cal)) out.calibration = cal;
          if (ev && existsSync(ev)) out.evaluation = ev;
          return Object.keys(out).length ? out : undefined;
        }
      } catch {
        // not a population manifest: ignore it
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Turns the given files and folders into a list of models: model files, and Hugging Face model
 * folders (config.json + safetensors) as one entry each; every path must exist.
 */
export function expandPaths(paths: string[]): string[] {
  if (!paths.length) throw badInput('No model files given.', 'Name one or more .onnx / .safetensors files or folders.');
  const files: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new TwinforgeError('NOT_FOUND', `${p}: no such file or folder.`, 'Check the path; nothing was imported.');
    }
    if (st.isDirectory() && isHfFolder(abs)) {
      files.push(abs);
    } else if (st.isDirectory()) {
      const found = walk(abs);
      if (!found.length) throw badInput(`${p} holds no model files.`, `A folder import picks up ${MODEL_EXTENSIONS.join(' and ')} files; nothing was imported.`);
      files.push(...found);
    } else if (st.isFile()) {
      files.push(abs);
    } else {
      throw badInput(`${p} is neither a file nor a folder.`, 'Nothing was imported.');
    }
  }
  return files;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && isHfFolder(p)) out.push(p);
    else if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && MODEL_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

/**
 * Imports model files (or folders of them) into an existing zoo. Content already in another
 * zoo is shared, not copied; content already in this zoo is refused as a duplicate.
 */
export async function importModels(db: ZooDb, zooName: string, paths: string[], opts: ImportOptions = {}): Promise<ImportedModel[]> {
  const zoo = requireZoo(db, zooName);
  const files = expandPaths(paths);
  const given: ModelData | undefined = opts.data
    ? Object.fromEntries(
        Object.entries(opts.data)
          .filter(([, v]) => v)
          .map(([k, v]) => {
            const abs = path.resolve(v!);
            if (!existsSync(abs)) throw new TwinforgeError('NOT_FOUND', `${k} data ${v}: no such file or folder.`, 'Nothing was imported.');
            return [k, abs];
          }),
      )
    : undefined;
  const readFacts = opts.readFacts ?? readModelFacts;

  // 1. Read and check everything; write nothing (but self-contained copies, in the store's temp folder).
  const store = new ModelStore(db.dataDir);
  const candidates: Candidate[] = [];
  const seen = new Map<string, string>();
  const copies: Storable[] = [];
  const added: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Import cancelled; nothing was imported.');
      const folder = statSync(file).isDirectory();
      const facts = folder ? readHfFacts(file) : await readFacts(file);
      const tree = folder ? hashHfFolder(file) : undefined;
      // A model with external data is stored with its weights embedded (self-contained.ts).
      const storable = folder ? undefined : storableModel(file, store);
      if (storable) copies.push(storable);
      const { sha, bytes } = tree ?? { sha: storable!.sha256, bytes: storable!.bytes };
      const twice = seen.get(sha);
      if (twice) throw badInput(`${file} has the same content as ${twice}.`, 'Import each model once; nothing was imported.');
      seen.set(sha, file);
      const existing = findOriginalBySha(db, sha);
      if (existing && isMember(db, zoo.id, existing.id)) {
        throw badInput(`${file} is already in zoo '${zoo.name}' as model #${existing.id} '${existing.name}' (sha256 ${sha.slice(0, 12)}…).`, 'Nothing was imported. Leave the duplicate out.');
      }
      candidates.push({ file, stored: storable?.file ?? file, sha256: sha, bytes, facts, data: given ?? dataFromManifest(file), ...(tree ? { folderFiles: tree.files } : {}) });
      opts.onProgress?.(i + 1, files.length, file);
    }

    // 2. Files into the store (atomic per file). On failure, take back only what this import added.
    try {
      for (const c of candidates) {
        const stored = c.folderFiles ? store.importFolder(c.file, c.folderFiles, c.sha256) : store.importFile(c.stored);
        if (stored.sha256 !== c.sha256) throw badInput(`${c.file} changed while it was being imported.`, 'Import it again once nothing writes to it.');
        if (stored.added) added.push(stored.sha256);
      }
    } catch (e) {
      for (const sha of added) if (shaRefCount(db, sha) === 0) store.remove(sha);
      throw e;
    }
  } finally {
    for (const c of copies) c.cleanup();
  }

  // 3. All rows in one transaction.
  try {
    return db.tx(() =>
      candidates.map((c) => {
        const existing = findOriginalBySha(db, c.sha256);
        let id: number;
        if (existing) {
          id = existing.id;
        } else {
          id = insertModel(db, {
            sha256: c.sha256,
            name: modelName(c.file),
            format: c.facts.format,
            sourcePath: c.file,
            producer: c.facts.producer,
            task: zoo.task,
            parameters: c.facts.parameters,
            bytes: c.bytes,
            meta: c.data ? { ...c.facts.meta, data: c.data } : c.facts.meta,
          });
          if (c.facts.layers.length) putLayerStats(db, id, c.facts.layers);
        }
        addMember(db, zoo.id, id);
        return {
          id,
          name: existing?.name ?? modelName(c.file),
          sha256: c.sha256,
          format: c.facts.format,
          parameters: existing?.parameters ?? c.facts.parameters,
          bytes: c.bytes,
          sourcePath: c.file,
          shared: Boolean(existing),
        };
      }),
    );
  } catch (e) {
    for (const sha of added) if (shaRefCount(db, sha) === 0) store.remove(sha);
    throw e;
  }
}
