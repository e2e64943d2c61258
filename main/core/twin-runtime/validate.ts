// `hw validate` as the command runs it: the cost model's per-layer validation (hardware/validate.ts)
// and, on a Twinforge target, whole twins run end to end through this runtime against the
// estimate (check.ts). Composed here, above the cost model, because the twin runtime builds on it.
import { costGraph } from '../hardware/costs';
import { readModelView } from '../hardware/onnx-view';
import { validateModel, type ValidateArgs, type ValidationReport } from '../hardware/validate';
import { checkTwinsEndToEnd, type TwinRuntimeCheck } from './check';

export interface TargetValidation extends ValidationReport {
  /** Twinforge targets: whole twins run end to end through the twin runtime vs the estimate. */
  twinRuntime?: TwinRuntimeCheck[];
}

/** Validates a model on a target: every judged option measured, plus whole twins on a Twinforge target. */
export async function validateTarget(args: ValidateArgs): Promise<TargetValidation> {
  const view = args.view ?? (await readModelView(args.model, args.inputShapes));
  const report = await validateModel({ ...args, view });
  if (report.engine !== 'twinforge') return report;
  const twinRuntime = await checkTwinsEndToEnd(view, costGraph(view), args.target, { effort: args.effort, signal: args.signal, log: args.log });
  // keep the report's field order: twin checks before the load reading, as the command prints them
  const { load, ...rest } = report;
  return { ...rest, twinRuntime, load };
}
