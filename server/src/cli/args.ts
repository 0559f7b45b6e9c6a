/** A small, strict argument parser: unknown flags are usage errors, not silently ignored. */
export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `spec` maps each allowed flag to whether it takes a value. */
export function parseArgs(argv: string[], spec: Record<string, boolean>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!(name in spec)) throw new UsageError(`unknown option --${name}`);
    if (spec[name]) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else flags.set(name, true);
  }
  return { positional, flags };
}

/** `batch=1,seq=128` → { batch: 1, seq: 128 } */
export function parseDims(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || !Number.isInteger(n) || n <= 0) throw new UsageError(`--dims expects name=positive integer pairs, got '${part}'`);
    out[k.trim()] = n;
  }
  return out;
}

export function formatFlag(flags: Map<string, string | true>, allowed: string[]): string {
  const f = flags.get('format') ?? 'text';
  if (f === true || !allowed.includes(f)) throw new UsageError(`--format must be one of ${allowed.join(', ')}`);
  return f;
}
