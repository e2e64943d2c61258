// app.info: what the status bar, `twinforge info` and bug reports show.
import os from 'node:os';
import { cpuFeatures, type CpuFeatures } from '../system/cpu-features';
import { appVersion } from '../version';
import { nativeStatus, type NativeStatus } from '../system/native-status';

export interface AppInfo {
  version: string;
  platform: string;
  arch: string;
  node: string;
  host: 'electron' | 'web' | 'cli';
  hostname: string;
  cpu: CpuFeatures;
  native: NativeStatus;
  dataDir: string;
}

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
