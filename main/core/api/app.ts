// app.info: what the status bar, `twinforge info` and bug reports show.
import os from 'node:os';
import { cpuFeatures, type CpuFeatures } from '../system/cpu-features';
import { appVersion } from '../version';
import { nativeStatus, type NativeStatus } from '../system/native-status';
import type { AppInfo } from '../../../preload/contract';
// Contract types (preload/contract.ts is their one definition).
export type { AppInfo };

/** Gathers the app facts the UI and CLI show; never throws (a missing addon is reported, not raised). */
export function getAppInfo(opts: { dataDir: string; host: AppInfo['host'] }): AppInfo {
  return {
    version: appVersion,
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    host: opts.host,
    hostname: os.hostname(),
    cpu: cpuFeatures(),
    native: nativeStatus(),
    dataDir: opts.dataDir,
  };
}
