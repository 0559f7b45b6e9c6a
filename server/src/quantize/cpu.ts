/** What this CPU offers int8 and fp16 kernels (read from /proc/cpuinfo; unknown elsewhere). */
import * as fs from 'fs';
import * as os from 'os';

export interface CpuFeatures {
  model: string;
  cores: number;
  /** int8 dot products in one instruction (AVX512-VNNI, AVX-VNNI or AMX): u8×s8 without saturation, fast. */
  vnni: boolean;
  avx2: boolean;
  avx512: boolean;
  /** Native fp16 arithmetic (AVX512-FP16 or ARM fp16). */
  fp16: boolean;
  known: boolean;
}

export function parseCpuInfo(text: string): Omit<CpuFeatures, 'cores'> {
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  return {
    model,
    vnni: flags.has('avx512_vnni') || flags.has('avx_vnni') || flags.has('amx_int8') || flags.has('asimddp'),
    avx2: flags.has('avx2'),
    avx512: flags.has('avx512f'),
    fp16: flags.has('avx512_fp16') || flags.has('fphp') || flags.has('asimdhp'),
    known: flags.size > 1,
  };
}

let cached: CpuFeatures | undefined;
export function cpuFeatures(): CpuFeatures {
  if (cached) return cached;
  let text = '';
  try { text = fs.readFileSync('/proc/cpuinfo', 'utf8'); } catch { /* not Linux */ }
  cached = { ...parseCpuInfo(text), cores: os.cpus().length };
  return cached;
}
