/**
 * A folder where writing fails: a full disk or a read-only one. `real` mounts a tmpfs there (filled to
 * the last byte, or read-only), which needs mount rights (root with CAP_SYS_ADMIN, as in this project's
 * CI): the kernel itself raises ENOSPC / EROFS, even for root. `simulated` works everywhere: it sets
 * INFERENCE_LENS_TEST_DISK, which makes server/src/diskWrite.ts (every write of ours, in this process
 * and in the children it forks) fail the same way at the same call. Either way, everything above the
 * write runs its real error path.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type DiskFault = 'full' | 'readonly';
export type FaultMode = 'real' | 'simulated';

export interface FaultyFolder {
  dir: string;
  /** The files the fault set-up itself left there (the filler of a full tmpfs). */
  baseline: string[];
  release(): void;
}

let mountable: boolean | undefined;
/** Can this process mount a tmpfs? Tried once, on a scratch folder. */
export function canMount(): boolean {
  if (mountable !== undefined) return mountable;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'il-mount-probe-'));
  mountable = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' }).status === 0;
  if (mountable) spawnSync('umount', [probe]);
  fs.rmdirSync(probe);
  return mountable;
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/**
 * A folder that fails writes as `fault` says, by `mode`; `prepare` writes what it should hold before the
 * fault starts (an existing history). `release()` undoes it and removes the folder.
 */
export function faultyFolder(fault: DiskFault, mode: FaultMode, parent = os.tmpdir(), prepare?: (dir: string) => void): FaultyFolder {
  const dir = fs.mkdtempSync(path.join(parent, `il-${fault}-`));
  if (mode === 'simulated') {
    prepare?.(dir);
    process.env.INFERENCE_LENS_TEST_DISK = fault === 'full' ? 'ENOSPC:1024' : 'EROFS';
    return {
      dir, baseline: fs.readdirSync(dir).sort(),
      release: () => { delete process.env.INFERENCE_LENS_TEST_DISK; fs.rmSync(dir, { recursive: true, force: true }); },
    };
  }
  sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  prepare?.(dir);
  if (fault === 'readonly') sh('mount', ['-o', 'remount,ro', dir]);
  if (fault === 'full') {
    // Filled to the last block: any write of ours fails with ENOSPC.
    const fd = fs.openSync(path.join(dir, 'filler'), 'w');
    try {
      for (const block = Buffer.alloc(1024); ;) fs.writeSync(fd, block);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      fs.closeSync(fd);
    }
  }
  return {
    dir, baseline: fs.readdirSync(dir).sort(),
    release: () => { sh('umount', ['-l', dir]); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

/** The modes this machine can test: both where mounting works, else the simulated one (with a notice). */
export function faultModes(): FaultMode[] {
  if (canMount()) return ['real', 'simulated'];
  console.log('    (no mount rights: full and read-only disks are simulated through INFERENCE_LENS_TEST_DISK only)');
  return ['simulated'];
}
