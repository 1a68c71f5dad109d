/**
 * Node `movilitas-release-serials`: validates msg.payload, releases its serials through the
 * config node's client, and ends every message on exactly one output, exactly once:
 * output 1 released, output 2 failed (msg.error classified, msg.payload untouched).
 */
import { setMaxListeners } from 'node:events';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  CallResult,
  Coalescer,
  configError,
  describeError,
  MovilitasClient,
  MovilitasError,
  normaliseReleaseInput,
  ReleaseInput,
} from '../api';
import { StatusDisplay } from './status';
import type { ConfigNode, ReleaseNodeDef } from './types';

/** How long a closing node lets its running calls finish before it cancels them. */
const CLOSE_GRACE_MS = 5_000;

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

interface Options {
  verifyCheckDigit: boolean;
  validateSerials: boolean;
  maxSerialsPerRequest: number;
  coalesceMs: number;
  reportToCatch: boolean;
}

/** What msg.movilitas says, on either output. */
interface Report {
  operation: 'release-serials';
  product_code?: string;
  product_code_schema?: 'GTIN';
  serials?: string[];
  count?: number;
  duplicatesRemoved?: number;
  requests: number;
  attempts: number;
  durationMs: number;
  statusCode?: number;
  releasedSerials?: string[];
  failedSerials?: string[];
}

type ChunkOutcome = { serials: string[]; ok: true; result: CallResult } | { serials: string[]; ok: false; error: MovilitasError };

/** The longest a Node.js timer can wait (2^31-1 ms); setTimeout() fires after 1 ms beyond it. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A whole-number setting: a number, or digits as the editor saves them (Number(true) or
 * Number([5]) would count too). An unset value gives the default; an invalid one the default
 * with a warning; one above `max` is capped with a warning.
 */
function wholeNumber(value: unknown, fallback: number, min: number, max: number, warn: (invalid: boolean, used: number) => void): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min) {
    warn(true, fallback);
    return fallback;
  }
  if (n > max) {
    warn(false, max);
    return max;
  }
  return n;
}

export = function register(RED: NodeAPI): void {
  function ReleaseSerialsNode(this: Node, def: ReleaseNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusDisplay(node, RED);
    const settingWarning = (setting: string, value: unknown) => (invalid: boolean, used: number) =>
      node.warn(RED._(`movilitas-release-serials.warnings.${invalid ? 'invalid' : 'capped'}`, { setting, value: String(value), used }));
    const options: Options = {
      verifyCheckDigit: def.verifyCheckDigit !== false,
      validateSerials: def.validateSerials !== false,
      maxSerialsPerRequest: wholeNumber(def.maxSerialsPerRequest, 1000, 1, Number.MAX_SAFE_INTEGER, settingWarning('maxSerialsPerRequest', def.maxSerialsPerRequest)),
      coalesceMs: wholeNumber(def.coalesceMs, 0, 0, MAX_TIMER_MS, settingWarning('coalesceMs', def.coalesceMs)),
      reportToCatch: def.reportToCatch === true,
    };
    const configNode = def.config ? (RED.nodes.getNode(def.config) as ConfigNode | null) : null;
    const stopping = new AbortController();
    setMaxListeners(0, stopping.signal); // one listener per running call
    const running = new Set<Promise<void>>();
    let serialsInFlight = 0;
    let retrying = 0;
    let closed = false;

    if (!configNode) status.show({ state: 'no-config' });
    else if (!configNode.connection.ok) status.show({ state: 'config-error' });

    const client = configNode?.connection.ok ? configNode.connection.client : undefined;
    const limiter = client?.limiter;
    const coalescer =
      client && options.coalesceMs > 0
        ? new Coalescer(options.coalesceMs, options.maxSerialsPerRequest, (productCode, serials) =>
            call(client, productCode, serials),
          )
        : undefined;
    const showBusy = () => {
      if (serialsInFlight > 0) {
        status.show({ state: 'busy', serials: serialsInFlight, waiting: limiter?.waiting ?? 0, retrying: retrying > 0 });
      }
    };
    limiter?.on('change', showBusy);

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      const complete = once(done);
      const job = handle(msg, once(send), complete)
        .catch((err: unknown) => {
          // send() or done() threw: Node-RED could not clone the msg for a second wire or a
          // Complete/Catch node (a payload nested too deep). Logged, without the msg (that would
          // clone it again); a rejection here would be unhandled and stop the runtime.
          const error = describeError(err);
          node.error(RED._('movilitas-release-serials.errors.not-completed', { error }));
          // Completes the msg if nothing did yet (once() makes this a no-op otherwise).
          try {
            complete(new Error(error));
          } catch {
            // done() itself threw: logged above, nothing more can be done for this msg
          }
        })
        .finally(() => running.delete(job));
      running.add(job);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      // Messages waiting in a coalescing window are sent now, never dropped.
      coalescer?.close();
      const all = () => Promise.allSettled([...running]);
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      // Let running calls finish for a while; then cancel the rest (they end on output 2).
      void Promise.race([all(), grace])
        .then(() => {
          clearTimeout(graceTimer);
          stopping.abort();
        })
        .then(all)
        .finally(() => {
          limiter?.off('change', showBusy);
          status.stop();
          node.status({});
          done();
        });
    });

    async function handle(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      const started = Date.now();
      const report: Report = { operation: 'release-serials', requests: 0, attempts: 0, durationMs: 0 };
      let input: ReleaseInput | undefined;
      try {
        if (closed) {
          throw new MovilitasError({ kind: 'cancelled', message: 'Cancelled: the node is closing' });
        }
        if (!configNode) throw configError(RED._('movilitas-release-serials.errors.no-config'));
        const connection = configNode.connection;
        if (!connection.ok) throw connection.error;
        input = normaliseReleaseInput(msg.payload, {
          defaultProductCode: await evaluateProductCode(msg),
          verifyCheckDigit: options.verifyCheckDigit,
          validateSerials: options.validateSerials,
        });
        Object.assign(report, {
          product_code: input.productCode,
          product_code_schema: input.productCodeSchema,
          serials: input.serials,
          count: input.serials.length,
          duplicatesRemoved: input.duplicatesRemoved,
        });
        const outcomes =
          coalescer && input.serials.length <= options.maxSerialsPerRequest
            ? await releaseCoalesced(connection.client, coalescer, input)
            : await releaseInChunks(connection.client, input);
        finish(msg, send, done, report, started, outcomes);
      } catch (err) {
        fail(msg, send, done, report, started, toMovilitasError(err));
      }
    }

    function evaluateProductCode(msg: NodeMessageInFlow): Promise<unknown> {
      const type = def.productCodeType || 'str';
      const value = def.productCode ?? '';
      if (type === 'str') return Promise.resolve(value);
      const unreadable = (err: unknown) =>
        configError(`The node's product code (${type} ${value}) could not be read: ${describeError(err)}`);
      return new Promise((resolve, reject) => {
        try {
          RED.util.evaluateNodeProperty(value, type, node, msg, (err, result) => {
            if (err) reject(unreadable(err));
            else resolve(result);
          });
        } catch (err) {
          // Some expressions (a flow or global key holding "[msg.") throw instead of calling back.
          reject(unreadable(err));
        }
      });
    }

    /** One release call, with the node's cancellation and the retry status wired in. */
    async function call(client: MovilitasClient, productCode: string, serials: string[]): Promise<CallResult> {
      let retryingHere = false;
      try {
        return await client.release(
          { productCode, productCodeSchema: 'GTIN', serials },
          {
            signal: stopping.signal,
            onRetry: () => {
              if (!retryingHere) retrying++;
              retryingHere = true;
              showBusy();
            },
          },
        );
      } finally {
        if (retryingHere) retrying--;
      }
    }

    /** Counts the serials of a message as in flight (for the status) while `work` runs. */
    async function inFlight<T>(count: number, work: () => Promise<T>): Promise<T> {
      serialsInFlight += count;
      showBusy();
      try {
        return await work();
      } finally {
        serialsInFlight -= count;
      }
    }

    /** Splits the list into chunks of maxSerialsPerRequest; every chunk is attempted. */
    function releaseInChunks(client: MovilitasClient, input: ReleaseInput): Promise<ChunkOutcome[]> {
      const size = options.maxSerialsPerRequest;
      const chunks: string[][] = [];
      for (let i = 0; i < input.serials.length; i += size) chunks.push(input.serials.slice(i, i + size));
      return inFlight(input.serials.length, () =>
        Promise.all(
          chunks.map((serials) =>
            call(client, input.productCode, serials).then(
              (result): ChunkOutcome => ({ serials, ok: true, result }),
              (err: unknown): ChunkOutcome => ({ serials, ok: false, error: toMovilitasError(err) }),
            ),
          ),
        ),
      );
    }

    /**
     * Releases the message's serials together with others for the same product that arrive
     * within the window. When the batch fails on its data (one bad message), the message is
     * released on its own so that it does not fail because of a neighbour.
     */
    async function releaseCoalesced(client: MovilitasClient, batcher: Coalescer, input: ReleaseInput): Promise<ChunkOutcome[]> {
      const serials = input.serials;
      const outcome = await inFlight(serials.length, () => batcher.add(input.productCode, serials));
      // The batch's answer goes to several messages: each gets its own copy to change freely.
      if (outcome.ok) return [{ serials, ok: true, result: { ...outcome.result, body: structuredClone(outcome.result.body) } }];
      if (!outcome.alone) return [{ serials, ok: false, error: outcome.error }];
      const [alone] = await releaseInChunks(client, input);
      // Attempts count every HTTP attempt made for this message, the batch's included.
      if (alone!.ok) alone!.result = { ...alone!.result, attempts: alone!.result.attempts + outcome.attempts };
      else alone!.error.attempts = (alone!.error.attempts ?? 0) + outcome.attempts;
      return [alone!];
    }

    function finish(msg: NodeMessageInFlow, send: Send, done: Done, report: Report, started: number, outcomes: ChunkOutcome[]): void {
      report.requests = outcomes.length;
      report.attempts = outcomes.reduce((sum, o) => sum + (o.ok ? o.result.attempts : (o.error.attempts ?? 0)), 0);
      const failures = outcomes.filter((o): o is Extract<ChunkOutcome, { ok: false }> => !o.ok);
      const last = outcomes[outcomes.length - 1];
      if (failures.length === 0 && last?.ok) {
        report.durationMs = Date.now() - started;
        report.statusCode = last.result.statusCode;
        msg.payload = last.result.body;
        (msg as NodeMessage & { movilitas: Report }).movilitas = report;
        status.show(serialsInFlight > 0 ? busyState() : { state: 'released', count: report.count ?? 0 });
        deliver(send, done, [msg, null]);
        return;
      }
      report.releasedSerials = outcomes.filter((o) => o.ok).flatMap((o) => o.serials);
      report.failedSerials = failures.flatMap((o) => o.serials);
      const first = failures[0]!.error;
      if (outcomes.length > 1) {
        first.details = {
          ...first.details,
          failures: failures.map((f) => ({
            chunk: outcomes.indexOf(f),
            count: f.serials.length,
            ...f.error.toJSON(),
          })),
        };
      }
      if (first.statusCode !== undefined) report.statusCode = first.statusCode;
      fail(msg, send, done, report, started, first);
    }

    function busyState() {
      return { state: 'busy' as const, serials: serialsInFlight, waiting: limiter?.waiting ?? 0, retrying: retrying > 0 };
    }

    function fail(msg: NodeMessageInFlow, send: Send, done: Done, report: Report, started: number, error: MovilitasError): void {
      report.durationMs = Date.now() - started;
      const out = msg as NodeMessage & { movilitas: Report; error: unknown };
      // A copy: an error may be shared (a coalesced batch, a config problem) and flows may change msg.error.
      out.error = { ...structuredClone(error.toJSON()), source: { id: node.id, type: node.type, name: node.name ?? '' } };
      out.movilitas = report;
      if (error.kind === 'config' && !configNode) status.show({ state: 'no-config' });
      else status.show(serialsInFlight > 0 ? busyState() : { state: 'failed', kind: error.kind });
      deliver(send, done, [null, out], options.reportToCatch ? new Error(error.message) : undefined);
    }
  }

  RED.nodes.registerType('movilitas-release-serials', ReleaseSerialsNode);
};

function toMovilitasError(err: unknown): MovilitasError {
  if (err instanceof MovilitasError) return err;
  // A bug of ours must still end the message on output 2, never crash the runtime.
  return new MovilitasError({
    kind: 'unexpected-response',
    message: `Unexpected failure: ${describeError(err)}`,
    cause: err,
  });
}

/** Sends the msg and completes it; done() is called even when send() throws. */
function deliver(send: Send, done: Done, out: Array<NodeMessage | null>, err?: Error): void {
  try {
    send(out);
  } finally {
    if (err) done(err);
    else done();
  }
}

/** Guards Node-RED callbacks so that each is called at most once per message. */
function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args: A) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}
