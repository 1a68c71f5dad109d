/**
 * Cancellation for release calls, light enough for every message.
 *
 * A call must stop when its caller's signal aborts (a node closing) or when the client closes,
 * and each HTTP attempt also on its own timeout. Built from AbortControllers that is two
 * controllers and half a dozen EventTarget listeners per call, which cost about as much as
 * everything else the client does per request on a fast link (measured by `npm run bench`).
 * Worse, a listener per call on a signal that thousands of calls share (the node's, close()'s)
 * makes a burst quadratic: EventTarget's add and remove walk the whole listener list.
 *
 * So: `Cancel` is a minimal signal with the EventTarget shape that undici's `request({ signal })`,
 * the limiter and the backoff sleep use (`aborted`, `reason`, add/removeEventListener for
 * 'abort'), and `onAbort()` links any number of them to a shared AbortSignal through a single
 * listener.
 */

/** What waiting code needs from a signal. An AbortSignal has this shape too. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A one-shot cancellation signal with few listeners (one call, one attempt). */
export class Cancel implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const list = this.listeners;
    if (!list) return;
    const i = list.lastIndexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** Aborts once; listeners run synchronously, each once, like an AbortSignal's. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = undefined;
    if (list) for (const listener of list) listener();
  }

  /** Aborts this one when `source` aborts (with its reason); returns the unlink. */
  follow(source: AbortLike): () => void {
    if (source.aborted) {
      this.abort(source.reason);
      return noop;
    }
    const onAbort = () => this.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    return () => source.removeEventListener('abort', onAbort);
  }
}

const noop = (): void => undefined;

/** The callbacks waiting on one shared AbortSignal, behind its single listener. */
const watchers = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/**
 * Calls `fn(signal.reason)` once when `signal` aborts (at once if it has); returns the
 * unsubscribe. However many callers watch the same signal, it carries one listener, added on
 * first use and left in place for the signal's lifetime, so watching costs a Set insertion.
 */
export function onAbort(signal: AbortSignal, fn: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    fn(signal.reason);
    return noop;
  }
  let set = watchers.get(signal);
  if (!set) {
    const members = new Set<(reason: unknown) => void>();
    watchers.set(signal, members);
    signal.addEventListener(
      'abort',
      () => {
        const all = [...members];
        members.clear();
        for (const f of all) f(signal.reason);
      },
      { once: true },
    );
    set = members;
  }
  const members = set;
  members.add(fn);
  return () => {
    members.delete(fn);
  };
}
