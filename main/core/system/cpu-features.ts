// CPU features that matter for compressed inference, read from the OS (no native code needed):
// the native addon does its own detection for dispatch; this is what we report to users.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const INTERESTING = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx_vnni', 'avx512_bf16', 'amx_tile', 'amx_int8', 'neon', 'asimd', 'asimddp', 'sve', 'i8mm', 'bf16'];

export interface CpuFeatures {
  model: string;
  cores: number;
  arch: string;
  features: string[];
}

/** The CPU model, logical core count and the SIMD features relevant to Twinforge's kernels. */
export function cpuFeatures(): CpuFeatures {
  const cpus = os.cpus();
  let flags: string[] = [];
  if (process.platform === 'linux') {
    try {
      const info = readFileSync('/proc/cpuinfo', 'utf8');
      const line = info.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
      flags = line.split(':')[1]?.trim().split(/\s+/) ?? [];
    } catch {
      flags = [];
    }
  } else if (process.arch === 'arm64') {
    flags = ['neon', 'asimd'];
  }
  const set = new Set(flags);
  if (process.arch === 'arm64') set.add('neon');
  return {
    model: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    arch: process.arch,
    features: INTERESTING.filter((f) => set.has(f)),
  };
}
