/** When to try again: exponential backoff with jitter, and `Retry-After` when the server gives it. */
import type { AbortLike } from './cancel';

export interface BackoffOptions {
  /** First delay before jitter, ms. */
  baseMs: number;
  /** Largest delay before jitter, ms. */
  capMs: number;
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000, random: Math.random };

/**
 * The delay before retry number `retry` (1 for the first retry). Jitter keeps gateways that
 * lost their uplink together from retrying in lockstep: the delay is drawn from [d/2, d].
 * A `Retry-After` from the server is a floor: no request is sent inside that window.
 */
export function retryDelayMs(retry: number, retryAfterSeconds: number | undefined, opts: BackoffOptions): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** (retry - 1));
  const jittered = exp / 2 + opts.random() * (exp / 2);
  const floor = retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : 0;
  return Math.max(Math.round(jittered), floor);
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortLike): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
