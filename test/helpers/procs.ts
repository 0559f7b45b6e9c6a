/** Processes as Linux's /proc shows them: a process's children, for "nothing left behind" checks. */
import * as fs from 'fs';

/** Whether /proc can be read here (Linux); tests that need it skip elsewhere. */
export const HAS_PROC = fs.existsSync('/proc/self/stat');

/** The live children of `pid` (zombies excluded: they have ended), from each /proc/<n>/stat's parent field. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid && state !== 'Z') out.push(Number(name));
  }
  return out;
}
