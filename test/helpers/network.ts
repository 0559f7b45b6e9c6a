/**
 * Running our processes with the network blocked and watched: `unshare -n` (a network namespace with
 * nothing in it but a down loopback) where this machine allows it, `strace -f` on the socket calls
 * where ptrace is allowed, and what /proc says of a live process's sockets.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** The socket calls that open or reach a network endpoint (socketpair, used for stdio and IPC, is not one). */
const NETWORK_CALLS = 'socket,connect,bind,listen,accept,accept4,sendto';

export interface Offline {
  /** the command prefix: unshare -n [strace -f -o LOG -e trace=...] */
  wrapper: string[];
  /** strace's log, when the socket calls are watched too */
  log?: string;
  release(): void;
}

/** A wrapper that blocks the network (and watches socket calls when strace can run), or why not. */
export function offline(): Offline | string {
  if (!works('unshare', ['-n', 'true'])) return 'unshare -n is not allowed here';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-offline-'));
  const release = (): void => fs.rmSync(dir, { recursive: true, force: true });
  if (!works('strace', ['-f', '-qq', '-o', '/dev/null', 'true'])) return { wrapper: ['unshare', '-n'], release };
  const log = path.join(dir, 'strace.log');
  return { wrapper: ['unshare', '-n', 'strace', '-f', '-qq', '-e', `trace=${NETWORK_CALLS}`, '-o', log], log, release };
}

/** The socket calls strace saw (signals and exits left out): each one is a network attempt. */
export function networkCalls(log: string | undefined): string[] {
  if (!log || !fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').split('\n').filter((l) => /^\d+\s+\w+\(/.test(l));
}

/** The node process of a wrapped command: the pid itself, or its first descendant running node. */
export function nodeProcess(pid: number, children: (pid: number) => number[]): number {
  for (let p: number | undefined = pid; p !== undefined; p = children(p)[0]) {
    if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node') return p;
  }
  throw new Error(`no node process under ${pid}`);
}

/**
 * The sockets a live process holds beyond its stdio (fds 0-2, made by its parent): each with whether it
 * is an unnamed Unix socket of its own namespace (a socketpair: IPC with our children), and the
 * namespace's TCP/UDP/raw sockets (lines of /proc/<pid>/net/*), which must be none.
 */
export function socketsOf(pid: number): { unnamedUnix: number; other: string[]; inet: string[] } {
  const unix = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 7) unix.set(f[6], f[7] ?? '');
  }
  let unnamedUnix = 0;
  const other: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    if (Number(fd) <= 2) continue;
    let target: string;
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const ino = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (!ino) continue;
    if (unix.get(ino) === '') unnamedUnix++; else other.push(`fd ${fd}: ${target} ${unix.has(ino) ? `unix ${unix.get(ino)}` : 'not a unix socket'}`);
  }
  const inet: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6']) {
    const file = `/proc/${pid}/net/${table}`;
    if (!fs.existsSync(file)) continue;
    inet.push(...fs.readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l.trim()).map((l) => `${table}: ${l.trim()}`));
  }
  return { unnamedUnix, other, inet };
}
