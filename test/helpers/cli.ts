/** Runs the built CLI (dist/cli.js) from the repository root and returns its exit code and output. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { DIST, REPO } from './paths';

export function runCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
