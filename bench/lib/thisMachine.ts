/**
 * This machine as a catalog instance, for benchmarks that compare the roofline estimate with a
 * measurement here: peak fp32 FLOP/s from /proc/cpuinfo (cores × FLOPs/cycle × clock) and the memory
 * roof measured (a streaming copy far larger than the caches). Linux only, like the benchmarks.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { Instance } from '../../server/src/cost/catalog';

export function thisMachine(): Instance {
  const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  const model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? 'unknown';
  const family = Number(/^cpu family\s*:\s*(\d+)/m.exec(info)?.[1] ?? 0);
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1] ?? 2000);
  const siblings = Number(/^siblings\s*:\s*(\d+)/m.exec(info)?.[1] ?? os.cpus().length);
  const coresPerSocket = Number(/^cpu cores\s*:\s*(\d+)/m.exec(info)?.[1] ?? siblings);
  const cores = Math.min(os.cpus().length, coresPerSocket);
  // 2 FMA pipes × lanes × 2 FLOPs. AVX-512 with two 512-bit FMA pipes: Intel server cores since
  // Skylake-SP and AMD Zen 5 (family 26); Zen 4 (family 25) splits 512-bit ops over 256-bit pipes.
  const lanes = flags.has('avx512f') && !(family === 25) ? 16 : flags.has('avx2') ? 8 : 4;
  const flopsPerCycle = 2 * lanes * 2;
  return {
    id: 'this-machine', provider: 'local', region: '', kind: 'cpu', vcpus: os.cpus().length, memoryGiB: os.totalmem() / 2 ** 30,
    pricePerHour: 1, source: '/proc/cpuinfo', date: new Date().toISOString().slice(0, 10),
    cpu: {
      model: `${model} (family ${family})`, physicalCores: cores, flopsPerCycleFp32: flopsPerCycle, clockGHz: mhz / 1000,
      peakFp32Gflops: cores * flopsPerCycle * mhz / 1000, int8Multiplier: flags.has('avx512_vnni') || flags.has('avx_vnni') ? 4 : 1,
      memBandwidthGBs: measureBandwidthGBs(),
    },
  };
}

/** Streaming copy of a buffer far larger than the caches: the memory roof, measured. */
function measureBandwidthGBs(): number {
  const n = 256 * 2 ** 20;
  const a = Buffer.alloc(n, 1), b = Buffer.alloc(n);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    a.copy(b);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((x, y) => x - y);
  return (2 * n) / times[3] / 1e9; // read + write
}

