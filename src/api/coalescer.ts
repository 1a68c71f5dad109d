/**
 * Coalescing: serials for the same product that arrive within a window go out in one release
 * call (PLC and OPC-UA flows send one serial per message, in bursts). Each caller still gets
 * its own outcome. A batch never holds more than `maxSerials` distinct serials: a caller whose
 * serials would overflow the open batch flushes it and starts the next one.
 */
import { CallResult } from './client';
import { describeError, ErrorKind, MovilitasError } from './errors';

export type BatchOutcome =
  | { ok: true; result: CallResult; batchSize: number }
  /** `alone`: the batch failed on its data; try this caller's serials on their own. */
  | { ok: false; error: MovilitasError; alone: boolean; attempts: number };

/** Failures about the data of one message, which should not fail its neighbours. */
const DATA_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['api-validation', 'request']);

interface Waiter {
  resolve: (outcome: BatchOutcome) => void;
}

interface Batch {
  productCode: string;
  serials: Set<string>;
  waiters: Waiter[];
  timer: NodeJS.Timeout;
}

export type BatchSender = (productCode: string, serials: string[]) => Promise<CallResult>;

export class Coalescer {
  private readonly open = new Map<string, Batch>();
  private closed = false;

  constructor(
    private readonly windowMs: number,
    private readonly maxSerials: number,
    private readonly sendBatch: BatchSender,
  ) {}

  /** Queues `serials` (at most `maxSerials`, already distinct) for `productCode`. */
  add(productCode: string, serials: readonly string[]): Promise<BatchOutcome> {
    let batch = this.open.get(productCode);
    if (batch && this.wouldOverflow(batch, serials)) {
      this.flush(batch);
      batch = undefined;
    }
    if (!batch) {
      const created: Batch = {
        productCode,
        serials: new Set(),
        waiters: [],
        timer: setTimeout(() => this.flush(created), this.windowMs),
      };
      batch = created;
      this.open.set(productCode, batch);
    }
    for (const s of serials) batch.serials.add(s);
    const target = batch;
    const outcome = new Promise<BatchOutcome>((resolve) => target.waiters.push({ resolve }));
    if (this.closed || batch.serials.size >= this.maxSerials) this.flush(batch);
    return outcome;
  }

  /**
   * On close: sends every open batch now (waiting messages are sent, never dropped), and from
   * then on sends what is added at once, so a message that was already on its way when close
   * began cannot open a window that close would have to wait out.
   */
  close(): void {
    this.closed = true;
    for (const batch of [...this.open.values()]) this.flush(batch);
  }

  get openBatches(): number {
    return this.open.size;
  }

  private wouldOverflow(batch: Batch, serials: readonly string[]): boolean {
    let added = 0;
    for (const s of serials) if (!batch.serials.has(s)) added++;
    return batch.serials.size + added > this.maxSerials;
  }

  private flush(batch: Batch): void {
    clearTimeout(batch.timer);
    if (this.open.get(batch.productCode) === batch) this.open.delete(batch.productCode);
    const waiters = batch.waiters;
    const batchSize = waiters.length;
    this.sendBatch(batch.productCode, [...batch.serials]).then(
      (result) => waiters.forEach((w) => w.resolve({ ok: true, result, batchSize })),
      (err: unknown) => {
        const error = err instanceof MovilitasError ? err : new MovilitasError({ kind: 'unexpected-response', message: describeError(err) });
        const alone = batchSize > 1 && DATA_KINDS.has(error.kind);
        waiters.forEach((w) => w.resolve({ ok: false, error, alone, attempts: error.attempts ?? 0 }));
      },
    );
  }
}
