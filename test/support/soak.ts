/**
 * The soak driver (issue 6, "soak under faults"). A stream of messages, single serials and
 * small lists in every payload form, goes through a deployed release node on a dynamic-auth
 * connection, against the simulator on 127.0.0.1 with
 *   - a seeded random mix of transient faults on every request (auth calls too),
 *   - a token that lives a few seconds (renewed every second or so),
 *   - a simulator restart (down, connections refused, back on the same port, state kept),
 *   - every issued token revoked once (each call in flight renews once and resends),
 *   - a redeploy of the connection and the release node while messages are in flight: as many
 *     requests as the connection's concurrency hang first, so the node's 5 s close grace ends
 *     with calls still running and waiting, and those end as `cancelled` on output 2.
 * Then it checks every message against the simulator's state and its request log, the heap
 * against its size after warm-up, and the process for unhandled rejections and listener-leak
 * warnings. Everything found is returned (a report with its violations), not thrown, so a
 * failing run still prints all its counts.
 *
 * Parameterised by size and duration: `npm test` runs SHORT_SOAK, `npm run soak` FULL_SOAK.
 * No timing is asserted: the scenario's events happen at fractions of the messages sent, and a
 * slow machine only makes the run longer.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Node, NodeMessage } from 'node-red';
import { AUTH_PATH, gs1CheckDigit, RELEASE_PATH, type Simulator, startSimulator } from '../../src/simulator';
import { mulberry32 } from '../../src/simulator/faults';
import { helper } from './flow';

/* eslint-disable @typescript-eslint/no-require-imports */
const configModule = require('../../nodes/movilitas-config.js');
const releaseModule = require('../../nodes/movilitas-release-serials.js');

export interface SoakOptions {
  /** Messages in all, warm-up included. */
  messages: number;
  /** Messages before the heap is measured (and before the scenario's events). */
  warmup: number;
  /** How long sending all messages should take, ms (the redeploy's pause comes on top). */
  durationMs: number;
  /** Share of requests (release and auth) that get a random transient fault. */
  faultRate: number;
  /** Seed of the fault mix and of the message mix. */
  seed: number;
  /** Lifetime of each dynamic token, s. */
  tokenTtlSeconds: number;
  /** How long the simulator stays down when it restarts, ms. */
  restartDownMs: number;
  /** The connection's concurrency (also how many requests hang before the redeploy). */
  concurrency: number;
  /** The release node's maxSerialsPerRequest: lists longer than this are split. */
  maxSerialsPerRequest: number;
  /** At most this many messages sent and not yet ended (back-pressure on a slow machine). */
  maxInFlight: number;
  /** With no message ending for this long, the ones still open are reported lost, ms. */
  stallMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

const COMMON = {
  faultRate: 0.07,
  seed: 20261206,
  tokenTtlSeconds: 3,
  restartDownMs: 500,
  concurrency: 4,
  maxSerialsPerRequest: 3,
  maxInFlight: 400,
  stallMs: 30_000,
};

/** The form `npm test` runs: 3,000 messages sent over about 6 s, plus the redeploy's 5 s close grace. */
export const SHORT_SOAK: SoakOptions = { ...COMMON, messages: 3000, warmup: 300, durationMs: 6000 };
/** The form `npm run soak` runs: about 20,000 messages in about a minute. */
export const FULL_SOAK: SoakOptions = { ...COMMON, messages: 20_000, warmup: 2000, durationMs: 60_000 };

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  productCode: string;
  serials: number;
  sent: number;
  /** Output 1. */
  released: number;
  /** Output 2, cancelled included. */
  failed: number;
  failedByKind: Record<string, number>;
  cancelled: number;
  /** Failed messages (split lists) whose output still names serials that were released. */
  partlyReleased: number;
  /** Failed messages whose serials are Available all the same (an attempt was applied, its answer lost). */
  failedButApplied: number;
  /** Messages that never ended (stall). */
  lost: number;
  faultsInjected: number;
  /** POST /v1/api_auth requests the simulator received. */
  authCalls: number;
  tokensIssued: number;
  releaseRequests: number;
  /** Serials a release named that were Available already (a retry of an applied request). */
  releasedAgain: number;
  /** Serials of failed messages that more than one request may have applied (answered 200, or applied and cut off). */
  failedReleasedTwice: number;
  /** 200 answers to release requests that the restart cut off before the client read them. */
  answersLostAtRestart: number;
  /** Release requests the simulator was handling when it went down (no answer sent). */
  requestsCutByRestart: number;
  /** Attempts the node reported that never reached the simulator's log (refused while it was down). */
  attemptsNotLogged: number;
  /** Serials of the soak's product that are Available at the end. */
  serialsAvailable: number;
  heapStartBytes: number;
  heapEndBytes: number;
  /** Wall time of the whole run, and of the redeploy (its close grace), ms. */
  runMs: number;
  redeployMs: number;
  unhandledRejections: string[];
  processWarnings: string[];
  /** node.error() and node.warn() calls of the release node. */
  nodeLogs: string[];
  /** Every broken expectation found (the first 50 in detail). */
  violations: string[];
  violationCount: number;
}

/** A message's outcome as the node reported it on output 2. */
interface Failure {
  kind: string;
  ambiguous: boolean;
  releasedSerials: string[];
  failedSerials: string[];
}

/** One release request from the simulator's log, kept small. */
interface Sent {
  id: number;
  receivedAt: number;
  /** When it was answered (receivedAt + durationMs); NaN when it got no answer. */
  answeredAt: number;
  status: number | undefined;
  fault: string | undefined;
  serials: string[];
}

type Msg = NodeMessage & Record<string, any>;
/** The part of the runtime's nodes module used for the redeploy (as the editor's deploy calls it). */
interface RuntimeNodes {
  setFlows(flow: unknown[], credentials: Record<string, unknown>, type: 'full' | 'flows' | 'nodes'): Promise<unknown>;
}
interface RuntimeNode extends Node {
  send(msg: unknown): void;
  receive(msg: unknown): void;
  _complete(msg: unknown, err?: unknown): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** global.gc, exposed at run time when node was started without --expose-gc (as mocha is). */
function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function heapAfterGc(): Promise<number> {
  const gc = gcFunction();
  for (let i = 0; i < 5; i++) {
    await sleep(20);
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Kinds that say "the outcome is not known": an earlier attempt may have been applied. */
const UNKNOWN_OUTCOME_KINDS = new Set(['cancelled', 'network', 'timeout', 'server', 'rate-limited']);

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const { log = () => undefined, ...options } = opts;
  const N = opts.messages;
  const W = Math.min(opts.warmup, N);
  const rnd = mulberry32(opts.seed);
  const started = Date.now();
  const violations: string[] = [];
  let violationCount = 0;
  const violation = (text: string) => {
    violationCount++;
    if (violations.length < 50) violations.push(text);
  };

  const unhandledRejections: string[] = [];
  const processWarnings: string[] = [];
  const nodeLogs: string[] = [];
  const onRejection = (reason: unknown) => unhandledRejections.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  const onWarning = (w: Error) => processWarnings.push(`${w.name}: ${w.message}`);
  process.on('unhandledRejection', onRejection);
  process.on('warning', onWarning);

  // A product of its own, so that every serial in it is one of ours.
  const productCode = `0400000${String(opts.seed % 1_000_000).padStart(6, '0')}`;
  const P = productCode + String(gs1CheckDigit(productCode));
  const sim: Simulator = await startSimulator({ tokenTtlSeconds: opts.tokenTtlSeconds, logLimit: 100_000_000 });

  try {
    // The messages: 60% one serial, 40% lists of 2 to 5 (longer than maxSerialsPerRequest: split).
    sim.addProduct(P);
    const sizes = Array.from({ length: N }, () => (rnd() < 0.6 ? 1 : 2 + Math.floor(rnd() * 4)));
    const pool = sim.assign(P, sizes.reduce((a, b) => a + b, 0));
    const serialsOf: string[][] = [];
    let taken = 0;
    for (let i = 0; i < N; i++) {
      const serials = pool.slice(taken, taken + sizes[i]!);
      taken += serials.length;
      serialsOf.push(serials);
    }
    // The simulator builds serials one character at a time: each is a chain of concatenated
    // strings (about 280 bytes) until something reads it flat, as sending it does. Flattened now,
    // or the heap would shrink by that much over the run and hide growth elsewhere.
    for (const s of pool) s.charCodeAt(0);
    pool.length = 0;
    /** Every payload form: an object with or without the product code, an array, a string. */
    const messageFor = (i: number): Msg => {
      const serials = serialsOf[i]!;
      switch (i % 4) {
        case 0:
          return { payload: { product_code: P, product_code_schema: 'GTIN', serials: [...serials] }, soak: i };
        case 1:
          return { payload: { serials: serials.length === 1 ? serials[0] : [...serials] }, soak: i };
        case 2:
          return { payload: [...serials], soak: i, topic: `batch-${i}` };
        default:
          return { payload: serials.join('\n'), soak: i };
      }
    };

    // What came out, per message.
    const sends = new Uint8Array(N); // send() calls by the release node
    const outputOf = new Uint8Array(N); // 1 released, 2 failed
    const dones = new Uint8Array(N); // done() calls
    const delivered = new Uint8Array(N); // arrivals at the node wired to the output
    const endedAt = new Float64Array(N);
    const attempts = new Uint32Array(N);
    const failures = new Map<number, Failure>();
    let ended = 0;
    let doneTotal = 0;
    let released = 0;

    const idOf = (msg: unknown, where: string): number | undefined => {
      const i = (msg as Msg | null)?.soak;
      if (typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < N) return i;
      violation(`${where}: a message that is not one of ours: ${JSON.stringify(msg)?.slice(0, 200)}`);
      return undefined;
    };

    const onSend = (out: unknown) => {
      const [ok, bad] = Array.isArray(out) ? (out as [Msg | null, Msg | null]) : [out as Msg, null];
      if (ok && bad) violation(`message ${ok.soak} sent on both outputs at once`);
      const msg = ok ?? bad;
      const i = idOf(msg, 'send()');
      if (i === undefined || !msg) return;
      sends[i]++;
      if (sends[i] > 1) {
        violation(`message ${i} ended twice: output ${outputOf[i]}, then output ${ok ? 1 : 2} (${msg.error?.kind ?? 'released'})`);
        return;
      }
      ended++;
      outputOf[i] = ok ? 1 : 2;
      endedAt[i] = Date.now();
      attempts[i] = Number(msg.movilitas?.attempts ?? 0);
      const serials = serialsOf[i]!;
      if (ok) {
        released++;
        const reported: unknown = msg.movilitas?.serials;
        if (!Array.isArray(reported) || reported.length !== serials.length || !serials.every((s) => reported.includes(s))) {
          violation(`message ${i} released with msg.movilitas.serials ${JSON.stringify(reported)}, sent ${JSON.stringify(serials)}`);
        }
        for (const s of serials) {
          if (sim.serialStatus(P, s) !== 'Available') violation(`message ${i} released, but serial ${s} is ${sim.serialStatus(P, s)} as it comes out`);
        }
      } else {
        const m = msg.movilitas ?? {};
        failures.set(i, {
          kind: String(msg.error?.kind),
          ambiguous: msg.error?.ambiguous === true,
          releasedSerials: Array.isArray(m.releasedSerials) ? m.releasedSerials : [],
          failedSerials: Array.isArray(m.failedSerials) ? m.failedSerials : serials,
        });
        if (msg.error?.kind === undefined) violation(`message ${i} on output 2 without msg.error.kind`);
      }
    };

    const flowFor = (generation: number) => [
      {
        id: 'soak-rel',
        type: 'movilitas-release-serials',
        name: `soak release, deploy ${generation}`,
        config: 'soak-cfg',
        productCode: P,
        productCodeType: 'str',
        verifyCheckDigit: true,
        validateSerials: true,
        maxSerialsPerRequest: opts.maxSerialsPerRequest,
        coalesceMs: 0,
        reportToCatch: false,
        wires: [['soak-released'], ['soak-failed']],
      },
      { id: 'soak-released', type: 'helper' },
      { id: 'soak-failed', type: 'helper' },
      {
        id: 'soak-cfg',
        type: 'movilitas-config',
        name: `soak connection, deploy ${generation}`,
        environment: 'custom',
        baseUrl: sim.url,
        authMode: 'dynamic',
        tokenHeader: 'x-access-token',
        // Longer than the release node's 5 s close grace, so the hanging requests outlast it.
        timeout: 10_000,
        retries: 3,
        concurrency: opts.concurrency,
        tls: '',
        proxy: '',
      },
    ];
    const credentials = {
      'soak-cfg': { apiKey: sim.credentials.apiKey, apiSecret: sim.credentials.apiSecret, channelKey: sim.credentials.channelKey! },
    };

    /** The deployed release node, with its send(), done(), error() and warn() counted. */
    const instrument = (): RuntimeNode => {
      const node = helper.getNode('soak-rel') as unknown as RuntimeNode | null;
      if (!node) throw new Error('the release node did not start');
      const send = node.send.bind(node);
      node.send = (out: unknown) => {
        onSend(out);
        send(out);
      };
      const complete = node._complete.bind(node);
      node._complete = (msg: unknown, err?: unknown) => {
        const i = idOf(msg, 'done()');
        if (i !== undefined) {
          dones[i]++;
          doneTotal++;
          if (dones[i] > 1) violation(`done() called ${dones[i]} times for message ${i}`);
          if (err !== undefined) violation(`done(err) for message ${i} with reportToCatch off`);
        }
        complete(msg, err);
      };
      for (const level of ['error', 'warn'] as const) {
        const original = (node as unknown as Record<string, (...args: unknown[]) => void>)[level]!.bind(node);
        (node as unknown as Record<string, (...args: unknown[]) => void>)[level] = (...args: unknown[]) => {
          nodeLogs.push(`${level}: ${String(args[0])}`);
          original(...args);
        };
      }
      return node;
    };

    await helper.load([configModule, releaseModule], flowFor(0), credentials);
    let rel = instrument();
    for (const [id, output] of [['soak-released', 1], ['soak-failed', 2]] as const) {
      (helper.getNode(id) as unknown as NodeJS.EventEmitter).on('input', (msg: Msg) => {
        const i = idOf(msg, `the node on output ${output}`);
        if (i === undefined) return;
        delivered[i]++;
        if (outputOf[i] !== output) violation(`message ${i} arrived on output ${output}, sent on output ${outputOf[i]}`);
      });
    }
    sim.faults.random({ rate: opts.faultRate, seed: opts.seed, target: 'any' });

    // The simulator's log, kept small: the release requests with their serials.
    const requests: Sent[] = [];
    let authCalls = 0;
    const absorbLog = () => {
      for (const r of sim.requests) {
        if (r.path === AUTH_PATH) authCalls++;
        if (r.path !== RELEASE_PATH) continue;
        let serials: string[] = [];
        try {
          const parsed: unknown = JSON.parse(r.body);
          const list = (parsed as { serials?: unknown })?.serials;
          if (Array.isArray(list)) serials = list.filter((s): s is string => typeof s === 'string');
        } catch {
          violation(`release request ${r.id} has a body that is not JSON: ${r.body.slice(0, 100)}`);
        }
        requests.push({
          id: r.id,
          receivedAt: r.receivedAt,
          answeredAt: r.status === undefined || r.durationMs === undefined ? Number.NaN : r.receivedAt + r.durationMs,
          status: r.status,
          fault: r.fault,
          serials,
        });
      }
      sim.clearLog();
    };

    // Sending, paced at the rate, with back-pressure; the clock stands still while paused (pausedMs).
    const rate = N / opts.durationMs;
    let next = 0;
    let clockStart = Date.now();
    let pausedMs = 0;
    const sendOne = () => {
      rel.receive(messageFor(next));
      next++;
      // The test helper's spies remember every send() and status() call: forget them now and then.
      if (next % 500 === 0) helper._sandbox.resetHistory();
    };
    /** Sends up to message `upTo` (exclusive); stops early once `stop()` says so (checked every 50 ms). */
    const pump = async (upTo: number, stop?: () => boolean) => {
      let checkedAt = 0;
      while (next < upTo) {
        const due = Math.min(upTo, Math.floor((Date.now() - clockStart - pausedMs) * rate));
        const room = ended + opts.maxInFlight;
        while (next < due && next < room) sendOne();
        if (stop && Date.now() - checkedAt >= 50) {
          checkedAt = Date.now();
          if (stop()) return;
        }
        if (next < upTo) await sleep(5);
      }
    };
    /** Waits until `count` messages have ended and been completed, or until nothing happens for stallMs. */
    const waitEnded = async (count: number) => {
      let last = -1;
      let lastChange = Date.now();
      while (ended < count || doneTotal < count) {
        if (ended + doneTotal !== last) {
          last = ended + doneTotal;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > opts.stallMs) {
          return false;
        }
        await sleep(10);
      }
      await sleep(100); // a stray second output or done() would show up now; deliveries arrive
      return true;
    };

    // Warm-up: the same traffic and faults, so the heap is measured with everything loaded.
    log(`warm-up: ${W} messages`);
    await pump(W);
    if (!(await waitEnded(W))) log(`warm-up stalled: ${ended} of ${W} ended`);
    absorbLog();
    helper._sandbox.resetHistory();
    const heapStartBytes = await heapAfterGc();
    log(`heap after warm-up: ${(heapStartBytes / 2 ** 20).toFixed(1)} MB`);

    // The main run; its events come at fractions of the messages.
    clockStart = Date.now() - Math.floor(W / rate);
    const at = (fraction: number) => Math.max(W, Math.floor(N * fraction));
    await pump(at(0.35));
    const restartAt = Date.now();
    log(`simulator restart (down ${opts.restartDownMs} ms) after ${next} messages, ${next - ended} in flight`);
    const restarted = sim.restart({ downMs: opts.restartDownMs });
    let restartError: unknown;
    restarted.catch((err: unknown) => (restartError = err));
    await pump(at(0.55));
    await restarted.catch(() => undefined);
    if (restartError) violation(`the simulator did not restart: ${String(restartError)}`);
    log(`every token revoked after ${next} messages, ${next - ended} in flight`);
    sim.revokeTokens();
    await pump(at(0.75));

    // The redeploy: the next `concurrency` release requests hang, so every slot is taken and
    // the queue grows behind them; then the connection and the node are deployed again.
    log(`the next ${opts.concurrency} release requests hang, after ${next} messages, ${next - ended} in flight`);
    sim.faults.add({ target: 'release', times: opts.concurrency, action: { type: 'hang' } });
    await pump(N, () => sim.state().faults.pendingRules === 0);
    // A little longer, so messages queue behind them (time-bound: with every slot hung, the
    // in-flight limit may stop sending altogether).
    const queueUntil = Date.now() + 100;
    await pump(N, () => Date.now() >= queueUntil);
    const redeployAt = Date.now();
    log(`redeploy after ${next} messages, ${next - ended} in flight`);
    const before = helper.getNode('soak-rel');
    // "Modified nodes": the connection and the release node restart; the nodes wired to the
    // outputs keep running, so what the closing node sends still arrives. (The runtime's
    // setFlows, not helper.setFlows: that one gives the new flow only 300 ms to start.)
    await (helper._redNodes as unknown as RuntimeNodes).setFlows(flowFor(1), credentials, 'nodes');
    for (let waited = 0; helper.getNode('soak-rel') === before || !helper.getNode('soak-rel'); waited += 10) {
      if (waited > 30_000) throw new Error('the redeployed release node did not start');
      await sleep(10);
    }
    rel = instrument();
    const redeployMs = Date.now() - redeployAt;
    pausedMs += redeployMs;
    log(`redeployed in ${redeployMs} ms; ${ended} ended`);

    await pump(N);
    const allEnded = await waitEnded(N);
    sim.faults.clear();
    log(`all sent; ${ended} ended${allEnded ? '' : ' (stalled)'}`);
    absorbLog();
    const state = sim.state();

    // --- The checks, message by message. ---
    const owner = new Map<string, number>();
    serialsOf.forEach((serials, i) => serials.forEach((s) => owner.set(s, i)));
    const bySerial = new Map<string, Sent[]>();
    for (const r of requests) {
      for (const s of r.serials) {
        if (owner.get(s) === undefined) violation(`release request ${r.id} names serial ${s}, which no message has`);
        let list = bySerial.get(s);
        if (!list) bySerial.set(s, (list = []));
        list.push(r);
      }
    }
    const failedByKind: Record<string, number> = {};
    let lost = 0;
    let attemptsTotal = 0;
    let serialsAvailable = 0;
    let partlyReleased = 0;
    let failedButApplied = 0;
    let failedReleasedTwice = 0;
    /** Requests that may have been applied without the client reading a 200: what makes a re-release possible. */
    let unansweredApplied = 0;
    const lostAtRestart = new Set<number>();
    /** A 200 answered just before the restart, which the client may never have read. */
    const cutByRestart = (r: Sent) => r.answeredAt >= restartAt - 2000 && r.answeredAt <= restartAt + 5;
    for (let i = 0; i < N; i++) {
      const serials = serialsOf[i]!;
      if (sends[i] === 0) {
        lost++;
        if (lost <= 5) violation(`message ${i} (${serials.length} serials) never came out of either output`);
        continue;
      }
      attemptsTotal += attempts[i]!;
      for (const s of serials) if (sim.serialStatus(P, s) === 'Available') serialsAvailable++;
      if (dones[i] !== 1) violation(`message ${i}: done() called ${dones[i]} times`);
      if (delivered[i] !== 1) violation(`message ${i} arrived ${delivered[i]} times at the node wired to output ${outputOf[i]}`);
      const failure = failures.get(i);
      if (failure) failedByKind[failure.kind] = (failedByKind[failure.kind] ?? 0) + 1;

      // Every request that carried its serials (one per attempt of one of its chunks).
      const mine = new Map<number, Sent>();
      for (const s of serials) for (const r of bySerial.get(s) ?? []) mine.set(r.id, r);
      if (mine.size > attempts[i]!) {
        violation(`message ${i}: ${mine.size} release requests reached the simulator, the node reported ${attempts[i]} attempts`);
      }
      // Nothing is sent for a message after its outcome was reported (a cancelled call's last
      // request may be read by the simulator a moment after the client gave up on it).
      if (failure?.kind !== 'cancelled') {
        for (const r of mine.values()) {
          if (r.receivedAt > endedAt[i]!) violation(`message ${i}: request ${r.id} received ${r.receivedAt - endedAt[i]!} ms after its outcome`);
        }
      }
      for (const s of serials) {
        const list = bySerial.get(s) ?? [];
        unansweredApplied += list.filter((r) => r.fault === 'destroy-after' || (r.status === undefined && r.fault === undefined) || (r.status === 200 && cutByRestart(r))).length;
        // Released twice only by retrying a request whose answer never came: never after a 200 that arrived.
        list.forEach((r, k) => {
          if (r.status !== 200 || k === list.length - 1) return;
          if (cutByRestart(r)) lostAtRestart.add(r.id);
          else violation(`serial ${s} (message ${i}): sent again (request ${list[k + 1]!.id}) after request ${r.id} was answered 200`);
        });
      }

      const releasedSerials = outputOf[i] === 1 ? serials : (failure?.releasedSerials ?? []);
      for (const s of releasedSerials) {
        if (sim.serialStatus(P, s) !== 'Available') violation(`message ${i} reported serial ${s} released; the simulator has it ${sim.serialStatus(P, s)}`);
        if (!(bySerial.get(s) ?? []).some((r) => r.status === 200)) violation(`message ${i} reported serial ${s} released; no release naming it was answered 200`);
      }
      if (!failure) continue;
      if (failure.releasedSerials.length > 0) partlyReleased++;
      const applied = failure.failedSerials.filter((s) => sim.serialStatus(P, s) === 'Available');
      if (applied.length > 0) {
        failedButApplied++;
        if (!failure.ambiguous && !UNKNOWN_OUTCOME_KINDS.has(failure.kind)) {
          violation(`message ${i} failed with ${failure.kind} (not ambiguous), yet ${applied.join(', ')} were released`);
        }
      }
      // A failed serial's 200 answer must be one the client never read: cut by the restart, or
      // arriving while the redeploy cancelled the call.
      for (const s of failure.failedSerials) {
        const mayHaveApplied = (bySerial.get(s) ?? []).filter((r) => r.status === 200 || r.fault === 'destroy-after');
        if (mayHaveApplied.length > 1) failedReleasedTwice++;
        for (const r of bySerial.get(s) ?? []) {
          if (r.status !== 200) continue;
          if (cutByRestart(r)) lostAtRestart.add(r.id);
          else if (!(failure.kind === 'cancelled' && r.answeredAt >= redeployAt)) {
            violation(`message ${i} failed (${failure.kind}) for serial ${s}, yet request ${r.id} was answered 200`);
          }
        }
      }
    }
    const failed = failures.size;
    if (released + failed + lost !== N) violation(`released ${released} + failed ${failed} + lost ${lost} != sent ${N}`);
    if (doneTotal !== N - lost) violation(`${doneTotal} done() calls for ${N - lost} messages that ended`);
    // Each serial named again once Available (the simulator counts them) needs an earlier request
    // that was applied without its 200 reaching the client: a retry of it is the only resend.
    if (state.alreadyAvailableTotal > unansweredApplied) {
      violation(`${state.alreadyAvailableTotal} serials were released again, but only ${unansweredApplied} requests were applied without an answer read`);
    }
    // The simulator's own books: each of our serials went from Assigned to Available at most once.
    const counts = state.products[P];
    if (counts?.available !== serialsAvailable || state.releasedTotal !== serialsAvailable || counts.assigned !== taken - serialsAvailable) {
      violation(`simulator counts ${JSON.stringify(counts)}, releasedTotal ${state.releasedTotal}; ${serialsAvailable} of ${taken} serials found Available`);
    }

    // Leave nothing of ours on the heap, then measure it again.
    const report: Omit<SoakReport, 'heapEndBytes'> = {
      options,
      productCode: P,
      serials: taken,
      sent: next,
      released,
      failed,
      failedByKind,
      cancelled: failedByKind.cancelled ?? 0,
      partlyReleased,
      failedButApplied,
      lost,
      faultsInjected: state.faults.injected,
      authCalls,
      tokensIssued: state.tokensIssued,
      releaseRequests: requests.length,
      releasedAgain: state.alreadyAvailableTotal,
      failedReleasedTwice,
      answersLostAtRestart: lostAtRestart.size,
      requestsCutByRestart: requests.filter((r) => r.status === undefined && r.fault === undefined).length,
      attemptsNotLogged: attemptsTotal - requests.length,
      serialsAvailable,
      heapStartBytes,
      runMs: 0,
      redeployMs,
      unhandledRejections,
      processWarnings,
      nodeLogs,
      violations,
      violationCount: 0,
    };
    requests.length = 0;
    owner.clear();
    bySerial.clear();
    failures.clear();
    helper._sandbox.resetHistory();
    const heapEndBytes = await heapAfterGc();
    report.runMs = Date.now() - started;
    report.violationCount = violationCount;
    return { ...report, heapEndBytes };
  } finally {
    process.off('unhandledRejection', onRejection);
    process.off('warning', onWarning);
    await helper.unload();
    await sim.close();
  }
}

const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function formatReport(r: SoakReport): string {
  const kinds = Object.entries(r.failedByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `soak: ${r.sent} messages (${r.serials} serials, seed ${r.options.seed}) in ${(r.runMs / 1000).toFixed(1)} s, redeploy ${(r.redeployMs / 1000).toFixed(1)} s`,
    `  released ${r.released}, failed ${r.failed} (${kinds || 'none'}), cancelled ${r.cancelled}, lost ${r.lost}`,
    `  failed but partly released ${r.partlyReleased}, failed yet applied ${r.failedButApplied}, failed serials applied by two requests ${r.failedReleasedTwice}`,
    `  faults injected ${r.faultsInjected}, auth calls ${r.authCalls} (tokens issued ${r.tokensIssued}), release requests ${r.releaseRequests}`,
    `  serials Available at the end ${r.serialsAvailable}, released again by a retry ${r.releasedAgain}`,
    `  restart: requests cut ${r.requestsCutByRestart}, 200 answers cut ${r.answersLostAtRestart}, attempts that never reached the simulator ${r.attemptsNotLogged}`,
    `  heap ${MB(r.heapStartBytes)} after warm-up, ${MB(r.heapEndBytes)} at the end (${((r.heapEndBytes / r.heapStartBytes - 1) * 100).toFixed(1)}%)`,
    `  unhandled rejections ${r.unhandledRejections.length}, process warnings ${r.processWarnings.length}, node errors/warnings ${r.nodeLogs.length}, violations ${r.violationCount}`,
  ].join('\n');
}
