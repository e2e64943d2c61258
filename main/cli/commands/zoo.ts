// `twinforge zoo …`: the zoo registry from the command line, over the same core functions as
// the contract's zoo.* calls. Every subcommand takes --json for one machine-readable object.
import type { CliCommand, CliContext, ParsedCommandArgs } from '../command';
import path from 'node:path';
import { badInput } from '../../core/errors';
import { zooExportModel } from '../../core/api/zoo-export-model';
import {
  zooAnalyze,
  zooCreate,
  zooExport,
  zooGc,
  zooImport,
  zooImportArchive,
  zooList,
  zooModel,
  zooRemove,
  zooRemoveTwin,
  zooShow,
  zooTwins,
} from '../../core/api/zoo';
import type { ZooAnalysis } from '../../core/zoo/analytics';
import type { LlmDecoderSummary } from '../../../preload/contract';
import type { Distribution } from '../../core/zoo/stats';

const USAGE = `Usage: twinforge zoo <subcommand> [options]

  zoo create NAME [--description TEXT] [--task TASK]   make an empty zoo
  zoo import NAME PATH... [--create] [--eval DATA] [--calib DATA]
                                                      add model files or folders of them (a Hugging Face
                                                      model folder is one model); DATA (.npz/.npy)
                                                      is what batches evaluate them on when a recipe names none
                                                      (default: a manifest.json next to the models)
  zoo list                                            every zoo with its counts
  zoo show NAME                                       a zoo's models and their twin counts
  zoo twins MODEL                                     a model's twins (MODEL: id, name or sha256 prefix)
  zoo model MODEL                                     one model: lineage, layers, evaluations, benchmarks
  zoo rm NAME                                         remove a zoo (files another zoo uses stay)
  zoo rm-twin MODEL                                   delete one twin and the twins made from it
  zoo export-model MODEL DIR [--overwrite]            copy a model's file (and a twin's recipe) into DIR
  zoo export NAME FILE                                write a portable archive (.tar, or .tar.gz)
  zoo import-archive FILE [--as NAME]                 read an archive as a new zoo
  zoo analyze NAME [--dataset HASH] [--threshold X]   population statistics per method and level
  zoo gc [--grace-ms N]                               delete store files nothing references

Options: --json (one JSON object), --data-dir DIR`;

function need(args: ParsedCommandArgs, n: number, what: string): string[] {
  const rest = args.positionals.slice(1);
  if (rest.length < n) throw badInput(`zoo ${args.positionals[0]}: missing ${what}.`, `See: twinforge zoo --help`);
  return rest;
}

function print(ctx: CliContext, value: unknown, text: () => string): void {
  ctx.out(ctx.json ? JSON.stringify(value, null, 2) + '\n' : text());
}

function table(rows: (string | number)[][]): string {
  if (!rows.length) return '';
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

const fmt = (x: number | null | undefined, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');
const pct = (x: number | null | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
const mb = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${(b / 1024).toFixed(1)} kB`);
const dist = (d: Distribution | null, f = fmt): string => (d ? `${f(d.mean)} [${f(d.q1)}..${f(d.q3)}]` : '-');
const cellName = (c: { method: string; pattern: string | null; level: number | null; quantization: string | null }): string =>
  [c.method, c.pattern ?? '', c.level === null ? '' : `${Math.round(c.level * 1000) / 10}%`, c.quantization ?? ''].filter(Boolean).join(' ');

function analysisText(a: ZooAnalysis): string {
  const out: string[] = [];
  out.push(`zoo ${a.zoo}: ${a.models} models, ${a.twins} twins; dataset ${a.dataset ? (a.dataset.name ?? a.dataset.hash.slice(0, 12)) : '(none)'}; fidelity = ${a.fidelity ?? '(no evaluations)'}\n\n`);
  out.push(
    table([
      ['cell', 'twins', 'sparsity', 'agreement mean [q1..q3]', 'cosine', 'acc drop', 'pearson', 'spearman'],
      ...a.cells.map((c) => [cellName(c), c.twins, dist(c.sparsity, pct), dist(c.agreement), dist(c.cosine), dist(c.accuracyDrop), fmt(c.correlation.pearson, 2), fmt(c.correlation.spearman, 2)]),
    ]),
  );
  if (a.layerProfiles.length) {
    out.push('\nlayer-wise sparsity (mean per layer, in order):\n');
    for (const p of a.layerProfiles) out.push(`  ${cellName(p).padEnd(24)} ${p.layers.map((l) => pct(l.sparsity.mean)).join(' ')}\n`);
  }
  const flagged = a.disparateImpact.twins.filter((d) => d.flagged);
  out.push(`\ndisparate impact (spread of per-group accuracy drops > ${pct(a.disparateImpact.threshold)}): ${a.disparateImpact.flagged} of ${a.twins} twin(s), worst first\n`);
  for (const d of flagged.slice(0, 10)) out.push(`  #${d.twinId} ${cellName(d.cell)}: overall drop ${pct(d.overallDrop)}, worst ${d.kind} '${d.worstGroup}' ${pct(d.maxGroupDrop)}, spread ${pct(d.spread)}\n`);
  out.push('\nPareto front, size vs fidelity (per cell):\n');
  for (const p of a.pareto.size.cells) out.push(`  ${cellName(p).padEnd(24)} size ${pct(p.ratio)} of parent, fidelity ${fmt(p.fidelity)}\n`);
  if (a.pareto.latency.cells.length) {
    out.push(`\nPareto front, latency vs fidelity on ${a.pareto.latency.target} (per cell):\n`);
    for (const p of a.pareto.latency.cells) out.push(`  ${cellName(p).padEnd(24)} latency ${pct(p.ratio)} of parent, fidelity ${fmt(p.fidelity)}\n`);
  }
  if (a.sharedMasks.length) out.push(`\n${a.sharedMasks.length} group(s) of twins share a mask (soup candidates)\n`);
  return out.join('');
}

export const zooCommand: CliCommand = {
  name: 'zoo',
  summary: 'Zoos of models and their twins: create, import, list, show, analyze, export',
  usage: USAGE,
  options: {
    description: { type: 'string' },
    task: { type: 'string' },
    create: { type: 'boolean' },
    eval: { type: 'string' },
    calib: { type: 'string' },
    as: { type: 'string' },
    dataset: { type: 'string' },
    threshold: { type: 'string' },
    'grace-ms': { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  async run(args, ctx) {
    const sub = args.positionals[0];
    const c = { dataDir: ctx.dataDir, signal: ctx.signal };
    switch (sub) {
      case 'create': {
        const [name] = need(args, 1, 'the zoo NAME');
        const z = zooCreate(c, { name, description: args.values.description as string | undefined, task: args.values.task as string | undefined });
        print(ctx, z, () => `created zoo '${z.name}'\n`);
        return 0;
      }
      case 'import': {
        const [name, ...paths] = need(args, 2, 'the zoo NAME and at least one PATH');
        const onProgress = ctx.isTTY && !ctx.json ? (d: number, t: number) => ctx.err(`\rreading ${d}/${t}`) : undefined;
        const r = await zooImport(c, { name, paths, create: Boolean(args.values.create), evaluation: args.values.eval as string | undefined, calibration: args.values.calib as string | undefined }, onProgress);
        if (onProgress) ctx.err('\n');
        print(ctx, r, () =>
          table([['id', 'name', 'sha256', 'params', 'size', ''], ...r.imported.map((m) => [m.id, m.name, m.sha256.slice(0, 12), m.parameters ?? '-', mb(m.bytes), m.shared ? '(shared)' : ''])]) +
          `imported ${r.imported.length} model(s) into '${r.zoo}'\n`,
        );
        return 0;
      }
      case 'list': {
        const zs = zooList(c);
        print(ctx, zs, () => (zs.length ? table([['name', 'models', 'twins', 'size', 'created'], ...zs.map((z) => [z.name, z.models, z.twins, mb(z.bytes), z.createdAt.slice(0, 10)])]) : 'no zoos yet: twinforge zoo create NAME\n'));
        return 0;
      }
      case 'show': {
        const [name] = need(args, 1, 'the zoo NAME');
        const z = zooShow(c, { name });
        print(ctx, z, () =>
          `zoo ${z.name}: ${z.models.length} models, ${z.twins} twins, ${mb(z.bytes)}\n` +
          table([['id', 'name', 'format', 'params', 'twins', 'sha256'], ...z.models.map((m) => [m.id, m.name, m.format, m.parameters ?? '-', m.twins, m.sha256.slice(0, 12)])]),
        );
        return 0;
      }
      case 'twins': {
        const [model] = need(args, 1, 'the MODEL (id, name or sha256 prefix)');
        const r = zooTwins(c, { model });
        print(ctx, r, () =>
          `twins of #${r.model.id} ${r.model.name}: ${r.twins.length}\n` +
          table([['id', 'method', 'pattern', 'level', 'quant', 'sparsity', 'agreement', 'cosine', 'accuracy'], ...r.twins.map((t) => [t.id, t.method, t.pattern ?? '-', fmt(t.level, 2), t.quantization ?? '-', pct(t.sparsity), fmt(t.agreement), fmt(t.cosine), fmt(t.accuracy)])]),
        );
        return 0;
      }
      case 'model': {
        const [model] = need(args, 1, 'the MODEL (id, name or sha256 prefix)');
        const r = zooModel(c, { model });
        print(ctx, r, () =>
          `#${r.model.id} ${r.model.name} (${r.model.format}, ${r.model.parameters ?? '?'} params, ${mb(r.model.bytes)}) sha256 ${r.model.sha256}\n` +
          `lineage: ${r.lineage.map((l) => `#${l.id} ${l.name}`).join(' <- ')}\nzoos: ${r.zoos.join(', ') || '-'}\n` +
          decoderLine(r.model.meta) +
          (r.twin ? `twin: ${r.twin.method} ${r.twin.pattern ?? ''} ${fmt(r.twin.level, 2)} ${r.twin.quantization ?? ''} sparsity ${pct(r.twin.sparsity)}\n` : '') +
          `twins: ${r.twins.length}, layers: ${r.layers.length}, evaluations: ${r.evaluations.length}, benchmarks: ${r.benchmarks.length}\n`,
        );
        return 0;
      }
      case 'rm':
      case 'remove': {
        const [name] = need(args, 1, 'the zoo NAME');
        const r = zooRemove(c, { name });
        print(ctx, r, () => `removed zoo '${r.zoo}': ${r.models} model(s), ${r.twins} twin(s), ${r.files} file(s) deleted, ${r.keptFiles} kept (still used elsewhere)\n`);
        return 0;
      }
      case 'export-model': {
        const [model, dir] = need(args, 2, 'the MODEL (id, name or sha256 prefix) and the folder DIR');
        const r = zooExportModel(c.dataDir, { model, dir: path.resolve(dir), overwrite: Boolean(args.values.overwrite) });
        print(ctx, r, () => r.files.map((f) => `${f.path} (${mb(f.bytes)})\n`).join(''));
        return 0;
      }
      case 'rm-twin': {
        const [model] = need(args, 1, 'the twin MODEL (id, name or sha256 prefix)');
        const r = zooRemoveTwin(c, { model });
        print(ctx, r, () => `deleted ${r.twins} twin(s), ${r.files} file(s); ${r.keptFiles} kept (still used elsewhere)\n`);
        return 0;
      }
      case 'export': {
        const [name, file] = need(args, 2, 'the zoo NAME and the archive FILE');
        const r = await zooExport(c, { name, file });
        print(ctx, r, () => `wrote ${r.file}: ${r.models} model(s), ${r.twins} twin(s), ${r.files} file(s), ${mb(r.bytes)}\n`);
        return 0;
      }
      case 'import-archive': {
        const [file] = need(args, 1, 'the archive FILE');
        const r = await zooImportArchive(c, { file, as: args.values.as as string | undefined });
        print(ctx, r, () => `imported zoo '${r.zoo}': ${r.models} model(s), ${r.twins} twin(s), ${r.newFiles} new file(s), ${r.shared} shared\n`);
        return 0;
      }
      case 'analyze': {
        const [name] = need(args, 1, 'the zoo NAME');
        const t = args.values.threshold as string | undefined;
        const threshold = t === undefined ? undefined : Number(t);
        if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw badInput(`--threshold must be a fraction between 0 and 1, not '${t}'.`);
        const a = zooAnalyze(c, { name, dataset: args.values.dataset as string | undefined, threshold });
        print(ctx, a, () => analysisText(a));
        return 0;
      }
      case 'gc': {
        const g = args.values['grace-ms'] as string | undefined;
        const graceMs = g === undefined ? undefined : Number(g);
        if (graceMs !== undefined && !(graceMs >= 0)) throw badInput(`--grace-ms must be a number of milliseconds, not '${g}'.`);
        const r = zooGc(c, { graceMs });
        print(ctx, r, () => `deleted ${r.removed} unreferenced file(s) (${mb(r.bytes)}), ${r.temps} stale temp file(s)\n`);
        return 0;
      }
      case undefined:
        throw badInput('zoo: missing subcommand.', 'Subcommands: create, import, list, show, twins, model, rm, export, import-archive, analyze, gc.');
      default:
        throw badInput(`zoo: unknown subcommand '${sub}'.`, 'Subcommands: create, import, list, show, twins, model, rm, export, import-archive, analyze, gc.');
    }
  },
};

/** A model folder's decoder structure (zoo/hf-folder.ts keeps it in meta.decoder). */
function decoderLine(meta: Record<string, unknown>): string {
  const d = meta.decoder as LlmDecoderSummary | undefined;
  if (!d) return '';
  return (
    `decoder: ${d.architecture}, ${d.layers} layers, ${d.heads} heads / ${d.kvHeads} kv heads (head dim ${d.headDim}), hidden ${d.hidden}, intermediate ${d.intermediate}, vocab ${d.vocab}${d.tiedEmbeddings ? ' (tied head)' : ''}, ${d.dtype}\n` +
    `parameters: ${d.parameters.total} (${d.parameters.perBlock} per block, embedding ${d.parameters.embedding}, lm head ${d.parameters.lmHead})\n`
  );
}
