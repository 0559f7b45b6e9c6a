/**
 * What this CPU offers int8 and fp16 kernels: bench/machine.ts's ISA flags, plus native fp16
 * arithmetic, which decides whether fp16 can be faster here.
 */
import * as fs from 'fs';
import * as os from 'os';
import { isaFromCpuinfo } from '../bench/machine';

export interface CpuFeatures {
  model: string;
  /** int8 dot products in one instruction (AVX512-VNNI, AVX-VNNI or AMX): u8×s8 without saturation, fast. */
  vnni: boolean;
  /** Native fp16 arithmetic (AVX512-FP16, Arm fp16). */
  fp16: boolean;
  /** Flags were readable (Linux); otherwise nothing is assumed. */
  known: boolean;
}

export function parseCpuInfo(text: string, model = os.cpus()[0]?.model ?? 'unknown CPU'): CpuFeatures {
  const isa = isaFromCpuinfo(text);
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  return {
    model: /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? model,
    vnni: isa.vnni || isa.amx || flags.has('amx_int8') || flags.has('asimddp'),
    fp16: flags.has('avx512_fp16') || flags.has('fphp') || flags.has('asimdhp'),
    known: flags.size > 1,
  };
}

let cached: CpuFeatures | undefined;
export function cpuFeatures(): CpuFeatures {
  if (cached) return cached;
  let text = '';
  try { text = fs.readFileSync('/proc/cpuinfo', 'utf8'); } catch { /* not Linux */ }
  cached = parseCpuInfo(text);
  return cached;
}
