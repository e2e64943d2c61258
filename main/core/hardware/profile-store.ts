// Measured hardware profiles kept in the zoo of a data folder: the `this-machine` profile that
// `hw detect` measures and stores, and target resolution that finds it. Shared by the api/
// adapters, the CLI and the planning loop.
import { openZoo } from '../zoo/db';
import { getHardwareProfile, saveHardwareProfile } from '../zoo/repo/hardware';
import { detectThisMachine, type DetectOptions, type DetectResult } from './detect';
import { resolveTarget, THIS_MACHINE, validateProfile, type HardwareProfile, type MeasuredProfileLookup, type Target } from './profile';

export interface HwCallContext {
  dataDir: string;
  signal?: AbortSignal;
}

/** The measured profile stored under `name` in this data folder's zoo, validated; undefined when absent. */
export function measuredProfile(dataDir: string, name = THIS_MACHINE): HardwareProfile | undefined {
  let stored;
  try {
    stored = getHardwareProfile(openZoo(dataDir), name);
  } catch {
    return undefined;
  }
  if (!stored) return undefined;
  return validateProfile(stored.profile, `zoo:${name}`);
}

/** How target resolution finds measured profiles ('this-machine') in the zoo of `dataDir`. */
export function measuredLookup(dataDir: string): MeasuredProfileLookup {
  return (name) => (name === THIS_MACHINE ? measuredProfile(dataDir, name) : undefined);
}

/** Resolves a --target spec, looking up measured profiles in the zoo of `dataDir`. */
export function targetFor(spec: string, dataDir: string): Target {
  return resolveTarget(spec, measuredLookup(dataDir));
}

export interface DetectSummary {
  name: string;
  profile: unknown;
  checks: DetectResult['checks'];
  warnings: string[];
  load: [number, number];
}

/** hw.detect (run as a job): measures this machine and stores the profile in the zoo. */
export async function hwDetect(opts: DetectOptions, ctx: HwCallContext): Promise<DetectSummary> {
  const r = await detectThisMachine({ ...opts, signal: opts.signal ?? ctx.signal });
  saveHardwareProfile(openZoo(ctx.dataDir), THIS_MACHINE, r.profile, (r.profile.measured as { host: string }).host);
  return { name: THIS_MACHINE, profile: r.profile, checks: r.checks, warnings: r.warnings, load: r.load };
}
