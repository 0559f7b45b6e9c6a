/**
 * What machine the figures were measured on: CPU model, cores and the ISA features inference kernels
 * care about (AVX2, AVX-512, VNNI, AMX on x86; NEON on Arm), read from /proc/cpuinfo where it exists.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { MachineInfo } from './types';

/** Pure: the ISA flags found in a /proc/cpuinfo text. */
export function isaFromCpuinfo(text: string, arch = os.arch()): MachineInfo['isa'] {
  const line = /^(flags|Features)\s*:(.*)$/m.exec(text);
  const flags = new Set((line?.[2] ?? '').trim().split(/\s+/));
  return {
    avx2: flags.has('avx2'),
    avx512: flags.has('avx512f'),
    vnni: flags.has('avx512_vnni') || flags.has('avx_vnni') || flags.has('avx512vnni'),
    amx: flags.has('amx_tile'),
    neon: arch === 'arm64' || flags.has('asimd') || flags.has('neon'),
  };
}

let cached: MachineInfo | undefined;

export function machineInfo(): MachineInfo {
  if (cached) return cached;
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch { /* not Linux: ISA flags stay false except NEON by arch */ }
  const cpus = os.cpus();
  cached = {
    cpuModel: cpus[0]?.model?.trim() || 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    platform: os.platform(),
    arch: os.arch(),
    totalMemoryBytes: os.totalmem(),
    isa: isaFromCpuinfo(cpuinfo),
  };
  return cached;
}

/** A short stable string for cache keys: results from another CPU are not these figures. */
export function machineKey(m: MachineInfo = machineInfo()): string {
  return `${m.platform}-${m.arch}-${m.cpuModel}-${m.cores}`;
}
