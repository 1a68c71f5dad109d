/**
 * The five scenarios. Contenders of one scenario run in rounds, each round in a rotated order,
 * after a warm-up round that is not counted, with a full GC before every run; a ratio is taken
 * within each round (both sides measured minutes apart at most) and the median over rounds is
 * reported, so warm-up, GC debt and machine noise fall on every contender alike.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NormaliseOptions, ReleaseInput } from '../src/api';
import {
  coreHttpContender,
  Env,
  NODES,
  PRODUCT_CODE,
  releaseContender,
  RunResult,
  runFlow,
  serials,
  singleSerialMsgs,
  undiciChunks,
  undiciSequential,
} from './contenders';
import type { Msg } from './runtime';
import { ROOT } from './runtime';
import { MemoryPeak, median, now, sampleMemory, settle } from './stats';

export interface Scale {
  sequential: { messages: number; warmup: number; rounds: number; block: number };
  burst: { messages: number; warmup: number; rounds: number; coalesceMs: number };
  list: { serials: number; chunk: number; concurrency: number; rounds: number };
  validation: { serials: number; warmup: number; runs: number };
  load: { runs: number };
}

export const FULL: Scale = {
  sequential: { messages: 3_000, warmup: 600, rounds: 5, block: 100 },
  burst: { messages: 10_000, warmup: 2_000, rounds: 3, coalesceMs: 20 },
  list: { serials: 100_000, chunk: 1_000, concurrency: 4, rounds: 15 },
  validation: { serials: 100_000, warmup: 5, runs: 21 },
  load: { runs: 7 },
};

/** A few hundred messages through every scenario: keeps the code working (npm test). */
export const SMOKE: Scale = {
  sequential: { messages: 200, warmup: 40, rounds: 1, block: 20 },
  burst: { messages: 300, warmup: 0, rounds: 1, coalesceMs: 20 },
  list: { serials: 5_000, chunk: 1_000, concurrency: 4, rounds: 1 },
  validation: { serials: 5_000, warmup: 1, runs: 3 },
  load: { runs: 1 },
};

/** Generous: a contender that needs longer than this is broken, not slow. */
const RUN_TIMEOUT_MS = 180_000;

export interface ContenderRuns {
  name: string;
  runs: RunResult[];
}

interface Contender {
  name: string;
  run: () => Promise<RunResult>;
  /**
   * Up to this share of its messages may fail without stopping the benchmark (default 0).
   * Only the core node in a burst: it opens a connection per message, and 10,000 at once can
   * overflow the kernel's accept queue (ECONNRESET). Its failures end fast, so they can only
   * flatter its time; the report shows how many there were.
   */
  tolerate?: number;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Warm-up (not kept), then `rounds` rounds in rotated order; runs kept per contender. */
async function rounds(contenders: Contender[], warmup: Contender[], count: number): Promise<ContenderRuns[]> {
  for (const c of warmup) {
    await settle();
    check(c.name, await c.run(), c.tolerate);
  }
  const out = contenders.map((c) => ({ name: c.name, runs: new Array<RunResult>(count) }));
  for (let r = 0; r < count; r++) {
    for (const c of rotate(contenders, r)) {
      await settle();
      const result = await c.run();
      check(c.name, result, c.tolerate);
      const failed = result.failed > 0 ? `, ${result.failed} failed` : '';
      process.stderr.write(`[bench]   round ${r + 1}: ${c.name}: ${result.ms.toFixed(1)} ms, ${result.requests} requests${failed}\n`);
      out[contenders.indexOf(c)]!.runs[r] = result;
    }
  }
  return out;
}

function check(name: string, result: RunResult, tolerate = 0): void {
  if (result.failed > tolerate * (result.ok + result.failed)) {
    // A benchmark of failures measures nothing: stop and say why.
    throw new Error(`${name}: ${result.failed} of ${result.ok + result.failed} failed; first: ${result.firstFailure}`);
  }
}

/** The per-round ratio a / b of run times, median over rounds. */
export function ratio(a: ContenderRuns, b: ContenderRuns): number {
  return median(a.runs.map((run, i) => run.ms / b.runs[i]!.ms));
}

export const medianMs = (c: ContenderRuns): number => median(c.runs.map((r) => r.ms));

// 1. Sequential ------------------------------------------------------------------------------

export interface SequentialResult {
  messages: number;
  rounds: number;
  block: number;
  release: ContenderRuns;
  undici: ContenderRuns;
  core: ContenderRuns;
}

/**
 * One round of the sequential scenario: the list is cut into blocks and the contenders take
 * turns block by block (in rotated order), so that a noisy second on a shared machine falls on
 * all of them alike. A contender's time for the round is the sum of its blocks.
 */
async function interleavedRound(
  contenders: Array<{ name: string; run: (list: string[]) => Promise<RunResult> }>,
  list: string[],
  block: number,
  round: number,
): Promise<RunResult[]> {
  const totals = contenders.map((): RunResult => ({ ms: 0, ok: 0, failed: 0, requests: 0 }));
  for (let b = 0, turn = round; b < list.length; b += block, turn++) {
    const part = list.slice(b, b + block);
    for (const i of rotate(contenders.map((_, k) => k), turn)) {
      const result = await contenders[i]!.run(part);
      check(contenders[i]!.name, result);
      const total = totals[i]!;
      total.ms += result.ms;
      total.ok += result.ok;
      total.requests += result.requests;
    }
  }
  return totals;
}

export async function sequential(env: Env, scale: Scale['sequential']): Promise<SequentialResult> {
  const list = serials('SEQ', scale.messages);
  const flow = (c: ReturnType<typeof releaseContender>) => (l: string[]) =>
    runFlow(env, c, singleSerialMsgs(env, l), true, RUN_TIMEOUT_MS);
  const contenders = [
    { name: 'release node', run: flow(releaseContender(NODES.plain)) },
    { name: 'undici loop', run: (l: string[]) => undiciSequential(env, singleSerialMsgs(env, l)) },
    { name: 'core http request', run: flow(coreHttpContender) },
  ];
  await interleavedRound(contenders, list.slice(0, scale.warmup), scale.block, 0);
  const out = contenders.map((c) => ({ name: c.name, runs: [] as RunResult[] }));
  for (let r = 0; r < scale.rounds; r++) {
    await settle();
    const totals = await interleavedRound(contenders, list, scale.block, r);
    totals.forEach((t, i) => out[i]!.runs.push(t));
    process.stderr.write(
      `[bench]   round ${r + 1}: ${totals.map((t, i) => `${contenders[i]!.name} ${((t.ms / list.length) * 1000).toFixed(0)} µs/msg`).join(', ')}\n`,
    );
  }
  const [release, undici, core] = out;
  return { messages: scale.messages, rounds: scale.rounds, block: scale.block, release: release!, undici: undici!, core: core! };
}

// 2. Burst -----------------------------------------------------------------------------------

export interface BurstResult {
  messages: number;
  rounds: number;
  coalesceMs: number;
  coalesced: ContenderRuns;
  plain: ContenderRuns;
  core: ContenderRuns;
}

export async function burst(env: Env, scale: Scale['burst']): Promise<BurstResult> {
  const list = serials('BST', scale.messages);
  const warm = list.slice(0, scale.warmup);
  // Every run starts on a fresh deploy: new nodes, so no contender meets the pooled connections
  // of an earlier run (the core node's agent keeps 256 idle sockets and fails requests on them
  // in the next burst: "socket hang up"). Not part of the time.
  const flow = (c: ReturnType<typeof releaseContender>, l: string[]) => async () => {
    await env.rt.deploy(env.flow);
    return runFlow(env, c, singleSerialMsgs(env, l), false, RUN_TIMEOUT_MS);
  };
  const make = (l: string[]): Contender[] => [
    { name: `release node, coalesceMs ${scale.coalesceMs}`, run: flow(releaseContender(NODES.coalesced), l) },
    { name: 'release node, no coalescing', run: flow(releaseContender(NODES.plain), l) },
    { name: 'core http request', run: flow(coreHttpContender, l), tolerate: 0.01 },
  ];
  const [coalesced, plain, core] = await rounds(make(list), warm.length > 0 ? make(warm) : [], scale.rounds);
  return { messages: scale.messages, rounds: scale.rounds, coalesceMs: scale.coalesceMs, coalesced: coalesced!, plain: plain!, core: core! };
}

// 3. Large list ------------------------------------------------------------------------------

export interface ListRun extends RunResult {
  memory: MemoryPeak;
}

export interface ListResult {
  serials: number;
  chunk: number;
  concurrency: number;
  rounds: number;
  release: ContenderRuns & { runs: ListRun[] };
  undici: ContenderRuns & { runs: ListRun[] };
}

export async function largeList(env: Env, scale: Scale['list']): Promise<ListResult> {
  const list = serials('LST', scale.serials);
  /** Runs `run` with the memory sampler on; its input is made before (not in the peak). */
  const withMemory = async (run: () => Promise<RunResult>): Promise<ListRun> => {
    const sampler = sampleMemory(2);
    const result = await run();
    return { ...result, memory: sampler.stop() };
  };
  // Both contenders get a fresh copy of the list for every run, as JSON.parse gives a message
  // from MQTT or HTTP: new strings, not yet touched by an earlier run (made before the run
  // starts; neither timed nor in the memory peak).
  const text = JSON.stringify(list);
  const fresh = () => JSON.parse(text) as string[];
  const msg = (): Msg => ({ payload: { product_code: PRODUCT_CODE, product_code_schema: 'GTIN', serials: fresh() } });
  const contenders: Contender[] = [
    {
      name: 'release node',
      run: () => {
        const msgs = [msg()];
        return withMemory(() => runFlow(env, releaseContender(NODES.list), msgs, false, RUN_TIMEOUT_MS));
      },
    },
    {
      name: `undici, ${scale.concurrency} chunks at a time`,
      run: () => {
        const copy = fresh();
        return withMemory(() => undiciChunks(env, copy, scale.chunk, scale.concurrency));
      },
    },
  ];
  const [release, undici] = await rounds(contenders, contenders, scale.rounds);
  return {
    serials: scale.serials,
    chunk: scale.chunk,
    concurrency: scale.concurrency,
    rounds: scale.rounds,
    release: release as ListResult['release'],
    undici: undici as ListResult['undici'],
  };
}

// 4. Validation ------------------------------------------------------------------------------

export interface ValidationResult {
  serials: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

type Normalise = (payload: unknown, options: NormaliseOptions) => ReleaseInput;

export async function validation(scale: Scale['validation']): Promise<ValidationResult> {
  // The shipped build of src/api (the package's main entry), as the nodes use it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { normaliseReleaseInput } = require(path.join(ROOT, 'nodes', 'lib', 'api')) as { normaliseReleaseInput: Normalise };
  const list = serials('VAL', scale.serials);
  const options: NormaliseOptions = { defaultProductCode: PRODUCT_CODE, verifyCheckDigit: true, validateSerials: true };
  // Each run gets a fresh copy, as JSON.parse gives a message (parsed before the clock starts).
  const text = JSON.stringify(list);
  const once = (): number => {
    const fresh = JSON.parse(text) as string[];
    const started = now();
    const input = normaliseReleaseInput(fresh, options);
    const ms = now() - started;
    if (input.serials.length !== list.length) throw new Error('validation: serials were lost');
    return ms;
  };
  for (let i = 0; i < scale.warmup; i++) once();
  const times: number[] = [];
  for (let i = 0; i < scale.runs; i++) {
    await settle();
    times.push(once());
  }
  return { serials: scale.serials, runs: scale.runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

// 5. Load ------------------------------------------------------------------------------------

export interface LoadResult {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** The child runs under plain node: its TypeScript is transpiled here, once, with esbuild. */
function compileLoadChild(): { file: string; cleanup: () => void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const source = fs.readFileSync(path.join(__dirname, 'load-child.ts'), 'utf8');
  const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'cjs', platform: 'node', target: 'node20' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-load-child-'));
  const file = path.join(dir, 'load-child.js');
  fs.writeFileSync(file, code);
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function runChild(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve((JSON.parse(line) as { ms: number }).ms);
      } catch (e) {
        reject(new Error(`load child failed (${(e as Error).message}): ${err.trim() || out.trim()}`));
      }
    });
  });
}

export async function load(scale: Scale['load']): Promise<LoadResult> {
  const child = compileLoadChild();
  try {
    const times: number[] = [];
    for (let i = 0; i < scale.runs; i++) times.push(await runChild(child.file));
    return { runs: scale.runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
  } finally {
    child.cleanup();
  }
}
