// The app itself: version, platform and what this machine offers (app.info).
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { NoArgs, call } from './args';

export interface AppInfo {
  version: string;
  platform: string;
  arch: string;
  node: string;
  host: 'electron' | 'web' | 'cli';
  hostname: string;
  cpu: { model: string; cores: number; arch: string; features: string[] };
  native: { loaded: boolean; isa: string; available: string[]; threads: number; cuda: { built: boolean; devices: number; error?: string }; error?: string };
  dataDir: string;
}

export const appCalls = {
  'app.info': call<AppInfo>()(NoArgs, 'Version, platform, CPU/GPU features, native kernels and the data folder.'),
} as const;
