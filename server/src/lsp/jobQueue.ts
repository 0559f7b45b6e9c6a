/**
 * The editor's jobs that run models (benchmarks, profiles, conversions, fixes, A/B comparisons) run one
 * at a time: two at once would measure each other and add up their memory. A job that has to wait says
 * what it waits for, and is told again whenever the line moves; a job cancelled while waiting leaves the
 * line at once (no process was ever started for it).
 */
import { BenchError } from '../bench/types';

export interface QueuedControl {
  signal?: AbortSignal;
  /** "queued behind Benchmarking a.onnx and 1 more": each time the job's place in the line changes. */
  onWait?(message: string): void;
}

interface Entry {
  title: string;
  onWait?(message: string): void;
  go?(): void;
}

export class JobQueue {
  private active: Entry | undefined;
  private readonly waiting: Entry[] = [];

  /** Runs `work` once every job queued before it has ended (however it ended). */
  async run<T>(title: string, work: () => Promise<T>, control: QueuedControl = {}): Promise<T> {
    if (control.signal?.aborted) throw new BenchError('cancelled', `${title} cancelled`);
    const entry: Entry = { title, onWait: control.onWait };
    if (this.active) await this.wait(entry, control.signal);
    else this.active = entry;
    try {
      return await work();
    } finally {
      // The next job becomes active here, synchronously: a job queued meanwhile cannot jump the line.
      this.active = this.waiting.shift();
      this.active?.go?.();
      this.tellWaiting();
    }
  }

  /** What runs now and how many wait (for logs and the stats request). */
  get state(): { running?: string; waiting: string[] } {
    return { running: this.active?.title, waiting: this.waiting.map((e) => e.title) };
  }

  private wait(entry: Entry, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(entry);
        if (at < 0) return; // already started: the job itself handles the abort
        this.waiting.splice(at, 1);
        this.tellWaiting();
        reject(new BenchError('cancelled', `${entry.title} cancelled while queued`));
      };
      entry.go = () => { signal?.removeEventListener('abort', onAbort); resolve(); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.tellWaiting();
    });
  }

  private tellWaiting(): void {
    const running = this.active?.title ?? 'the running job';
    this.waiting.forEach((e, i) => e.onWait?.(`queued behind ${running}${i ? ` and ${i} more` : ''}`));
  }
}
