/** Small helpers: medians, timing, memory sampling, number formatting. */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const now = (): number => performance.now();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A full collection between runs, so that one contender's garbage is not collected during the
// next contender's run. Exposed at run time, so `npm run bench` needs no extra node flags.
v8.setFlagsFromString('--expose-gc');
const gcFunction = vm.runInNewContext('gc') as (() => void) | undefined;

export async function settle(): Promise<void> {
  await sleep(20);
  gcFunction?.();
  await sleep(20);
}

export interface MemoryPeak {
  /** Highest rss seen minus rss at the start, bytes. */
  rss: number;
  /** Highest heapUsed seen minus heapUsed at the start, bytes. */
  heapUsed: number;
  samples: number;
}

/** Samples process.memoryUsage() every `everyMs` until stop(); reports the peak growth. */
export function sampleMemory(everyMs = 2): { stop(): MemoryPeak } {
  const start = process.memoryUsage();
  let rss = start.rss;
  let heapUsed = start.heapUsed;
  let samples = 0;
  const take = () => {
    const m = process.memoryUsage();
    samples++;
    if (m.rss > rss) rss = m.rss;
    if (m.heapUsed > heapUsed) heapUsed = m.heapUsed;
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { rss: rss - start.rss, heapUsed: heapUsed - start.heapUsed, samples };
    },
  };
}

export const MB = 1024 * 1024;

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** Runs `fn` and rejects if it takes longer than `ms` (a stuck contender must not hang the bench). */
export async function withTimeout<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
