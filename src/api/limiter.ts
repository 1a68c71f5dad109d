/**
 * A first-in, first-out limit on work in flight. One instance per connection, shared by every
 * node using it, so `concurrency` bounds the HTTP requests of the whole config node. Waiters
 * leave the queue when their signal aborts. Hand-written because it is small and because the
 * queue must report its length (for node status) and must not refuse work below 10,000
 * waiters, which is easy to state here and awkward to guarantee through a general library.
 */
import type { AbortLike } from './cancel';
import { EventEmitter } from 'node:events';

interface Waiter {
  start: () => void;
  cancelled: boolean;
}

export class Limiter extends EventEmitter {
  private active = 0;
  private queue: Waiter[] = [];
  private head = 0;
  private queued = 0;

  constructor(private readonly max: number) {
    super();
    // Every node on the connection listens for changes (to show the queue in its status).
    this.setMaxListeners(0);
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queued;
  }

  /** Runs `task` once a slot is free; rejects with `signal.reason` if aborted while waiting. */
  async run<T>(task: () => Promise<T>, signal?: AbortLike): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    if (this.active < this.max && this.queued === 0) {
      this.active++;
    } else {
      await this.wait(signal);
    }
    this.emit('change');
    try {
      return await task();
    } finally {
      this.active--;
      this.next();
      this.emit('change');
    }
  }

  private wait(signal: AbortLike | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        waiter.cancelled = true;
        this.queued--;
        this.emit('change');
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        cancelled: false,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.queued++;
      this.emit('change');
    });
  }

  private next(): void {
    while (this.active < this.max && this.head < this.queue.length) {
      const waiter = this.queue[this.head++]!;
      if (waiter.cancelled) continue;
      this.queued--;
      this.active++;
      waiter.start();
    }
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
