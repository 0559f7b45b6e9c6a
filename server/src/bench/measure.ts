/**
 * The measuring loop, independent of onnxruntime: warm-up (count and time), then timed runs until
 * both a minimum count and a minimum time are reached, capped by a maximum time (trtexec's protocol).
 * Each run is timed with process.hrtime.bigint(). The worker runs it around `session.run`; the
 * harness-overhead benchmark runs it beside a bare loop on the same session.
 */
export type RunFn = () => Promise<unknown>;

export interface Measured {
  samples: number[];
  wallMs: number;
  startMs: number;
  endMs: number;
}

export interface Protocol {
  minRuns: number;
  minTimeS: number;
  maxTimeS: number;
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** One timed run in ms. */
export async function timeRun(run: RunFn): Promise<number> {
  const t0 = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs until `runs` and `timeS` are both reached, or `maxTimeS` passes; returns the count.
 * `times`, when given, receives each run's duration (the report's trace shows the warm-up too).
 */
export async function warmup(run: RunFn, runs: number, timeS: number, maxTimeS: number, times?: number[]): Promise<number> {
  const t0 = nowMs();
  let n = 0;
  while ((n < runs || nowMs() - t0 < timeS * 1000) && nowMs() - t0 < maxTimeS * 1000) {
    if (times) times.push(await timeRun(run));
    else await run();
    n++;
  }
  return n;
}

/** Measured runs; at least one, whatever the limits. `onRun` sees each count and elapsed time. */
export async function measure(run: RunFn, p: Protocol, onRun?: (n: number, elapsedMs: number) => void): Promise<Measured> {
  const samples: number[] = [];
  const t0 = nowMs();
  for (;;) {
    samples.push(await timeRun(run));
    const elapsed = nowMs() - t0;
    onRun?.(samples.length, elapsed);
    if ((samples.length >= p.minRuns && elapsed >= p.minTimeS * 1000) || elapsed >= p.maxTimeS * 1000) break;
  }
  const end = nowMs();
  return { samples, wallMs: end - t0, startMs: t0, endMs: end };
}
