/**
 * The contenders and the one flow that holds them. Every contender talks to the same simulator
 * on 127.0.0.1 and sends the same requests: POST {sim}/v1/manufacturer/v2/api/serials/release
 * with content-type, x-access-token and x-channel-key, body {product_code,
 * product_code_schema, serials}.
 *
 * - release node: the package's `movilitas-release-serials` behind its own `movilitas-config`
 *   (static token, concurrency 4), outputs 1 and 2 wired to sinks;
 * - core `http request` node: method POST, the release URL, keep-alive on ("persist"), parsed
 *   JSON answer ("ret": "obj"), headers taken from msg.headers set on the injected msg, msg.payload
 *   sent as JSON;
 * - a plain undici loop: request() on one keep-alive Agent, the way the client's dispatcher is
 *   built (no Node-RED at all): the floor.
 */
import { Agent, request } from 'undici';
import type { BenchSimulator } from './simulator';
import type { BenchRuntime, FlowNode, Msg } from './runtime';
import { now, withTimeout } from './stats';

export const PRODUCT_CODE = '01234567891231';
export const RELEASE_PATH = '/v1/manufacturer/v2/api/serials/release';

/** Distinct valid GS1 AI (21) serials of 20 characters: `prefix` + zero-padded number. */
export function serials(prefix: string, count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = prefix + String(i).padStart(20 - prefix.length, '0');
  return out;
}

export interface Env {
  sim: BenchSimulator;
  rt: BenchRuntime;
  url: string;
  headers: Record<string, string>;
  agent: Agent;
  /** The deployed flow, for a fresh deploy (new nodes, new connection pools) before a run. */
  flow: FlowNode[];
}

/** Node ids of a release-node contender. */
export interface ReleaseIds {
  input: string;
  ok: string;
  failed: string;
}

export const NODES = {
  plain: { input: 'rel-plain', ok: 'rel-plain-ok', failed: 'rel-plain-failed' },
  coalesced: { input: 'rel-coalesced', ok: 'rel-coalesced-ok', failed: 'rel-coalesced-failed' },
  list: { input: 'rel-list', ok: 'rel-list-ok', failed: 'rel-list-failed' },
  http: { input: 'core-http', ok: 'core-http-out' },
} as const;

export interface FlowOptions {
  coalesceMs: number;
}

/**
 * One tab with every contender; each release node has its own config node (own pool and limit).
 * Flow nodes carry x/y: Node-RED takes a node without a position for a config node.
 */
export function benchFlow(sim: BenchSimulator, opts: FlowOptions): FlowNode[] {
  const tab = 'bench-tab';
  const flow: FlowNode[] = [{ id: tab, type: 'tab', label: 'benchmark' }];
  let y = 0;
  const at = (x: number) => ({ x, y: (y += 40) });
  const release = (ids: ReleaseIds, props: Record<string, unknown>) => {
    const cfg = `${ids.input}-cfg`;
    flow.push(
      {
        id: cfg,
        type: 'movilitas-config',
        z: tab,
        name: ids.input,
        environment: 'custom',
        baseUrl: sim.url,
        authMode: 'static',
        tokenHeader: 'x-access-token',
        timeout: 30000,
        retries: 3,
        concurrency: 4,
        tls: '',
        proxy: '',
        credentials: { token: sim.token, channelKey: sim.channelKey },
      },
      {
        id: ids.input,
        type: 'movilitas-release-serials',
        z: tab,
        name: ids.input,
        config: cfg,
        productCode: '',
        productCodeType: 'str',
        verifyCheckDigit: true,
        validateSerials: true,
        maxSerialsPerRequest: 1000,
        coalesceMs: 0,
        reportToCatch: false,
        ...props,
        ...at(200),
        wires: [[ids.ok], [ids.failed]],
      },
      { id: ids.ok, type: 'bench-sink', z: tab, ...at(400), wires: [] },
      { id: ids.failed, type: 'bench-sink', z: tab, ...at(400), wires: [] },
    );
  };
  release(NODES.plain, {});
  release(NODES.coalesced, { coalesceMs: opts.coalesceMs });
  release(NODES.list, { maxSerialsPerRequest: 1000 });
  flow.push(
    {
      id: NODES.http.input,
      type: 'http request',
      z: tab,
      name: 'core http request',
      method: 'POST',
      ret: 'obj',
      paytoqs: 'ignore',
      url: `${sim.url}${RELEASE_PATH}`,
      tls: '',
      persist: true,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      ...at(200),
      wires: [[NODES.http.ok]],
    },
    { id: NODES.http.ok, type: 'bench-sink', z: tab, ...at(400), wires: [] },
  );
  return flow;
}

/** The same msg for every flow contender: the release node ignores msg.headers (contract). */
export function singleSerialMsgs(env: Env, list: readonly string[]): Msg[] {
  return list.map((serial) => ({
    payload: { product_code: PRODUCT_CODE, product_code_schema: 'GTIN', serials: [serial] },
    headers: { ...env.headers },
  }));
}

export interface RunResult {
  ms: number;
  ok: number;
  failed: number;
  /** HTTP requests the simulator handled during the run. */
  requests: number;
  firstFailure?: string;
}

type Outcome = 'ok' | 'failed';

/** How a flow contender's output is judged. */
interface FlowContender {
  input: string;
  outputs: Array<{ id: string; judge: (msg: Msg) => Outcome }>;
}

export function releaseContender(ids: ReleaseIds): FlowContender {
  return {
    input: ids.input,
    outputs: [
      { id: ids.ok, judge: () => 'ok' },
      { id: ids.failed, judge: () => 'failed' },
    ],
  };
}

export const coreHttpContender: FlowContender = {
  input: NODES.http.input,
  outputs: [
    {
      id: NODES.http.ok,
      judge: (msg) => (msg.statusCode === 200 && msg.payload?.success === true ? 'ok' : 'failed'),
    },
  ],
};

function describe(msg: Msg): string {
  const text = JSON.stringify(msg.error ?? { statusCode: msg.statusCode, payload: msg.payload });
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Injects `msgs` into a flow contender. `sequential`: each msg after the previous one came out;
 * otherwise all at once, in one synchronous loop (as a subscription delivering a backlog).
 * Resolves when every msg has come out of an output.
 */
export async function runFlow(env: Env, contender: FlowContender, msgs: Msg[], sequential: boolean, timeoutMs: number): Promise<RunResult> {
  const requestsBefore = await env.sim.requestsTotal();
  const result = await withTimeout(`${contender.input} (${msgs.length} msgs)`, timeoutMs, () =>
    new Promise<RunResult>((resolve) => {
      const result: RunResult = { ms: 0, ok: 0, failed: 0, requests: 0 };
      let sent = 0;
      let started = 0;
      const onOutput = (outcome: Outcome, msg: Msg) => {
        if (outcome === 'ok') result.ok++;
        else {
          result.failed++;
          result.firstFailure ??= describe(msg);
        }
        const out = result.ok + result.failed;
        if (out === msgs.length) {
          result.ms = now() - started;
          resolve(result);
        } else if (sequential && sent < msgs.length) {
          env.rt.inject(contender.input, msgs[sent++]!);
        }
      };
      for (const o of contender.outputs) env.rt.listen(o.id, (msg) => onOutput(o.judge(msg), msg));
      started = now();
      if (sequential) env.rt.inject(contender.input, msgs[sent++]!);
      else while (sent < msgs.length) env.rt.inject(contender.input, msgs[sent++]!);
    }),
  );
  result.requests = (await env.sim.requestsTotal()) - requestsBefore;
  return result;
}

async function post(env: Env, body: string): Promise<boolean> {
  const res = await request(env.url, { method: 'POST', headers: env.headers, body, dispatcher: env.agent });
  const answer = (await res.body.json()) as { success?: unknown };
  return res.statusCode === 200 && answer.success === true;
}

/** The floor for the sequential scenario: one request after the other. */
export async function undiciSequential(env: Env, msgs: Msg[]): Promise<RunResult> {
  const requestsBefore = await env.sim.requestsTotal();
  const result: RunResult = { ms: 0, ok: 0, failed: 0, requests: 0 };
  const started = now();
  for (const msg of msgs) {
    if (await post(env, JSON.stringify(msg.payload))) result.ok++;
    else result.failed++;
  }
  result.ms = now() - started;
  result.requests = (await env.sim.requestsTotal()) - requestsBefore;
  return result;
}

/** The floor for the large list: the list cut into chunks, `concurrency` requests in flight. */
export async function undiciChunks(env: Env, list: readonly string[], chunkSize: number, concurrency: number): Promise<RunResult> {
  const requestsBefore = await env.sim.requestsTotal();
  const result: RunResult = { ms: 0, ok: 0, failed: 0, requests: 0 };
  const started = now();
  const chunks: string[][] = [];
  for (let i = 0; i < list.length; i += chunkSize) chunks.push(list.slice(i, i + chunkSize));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const body = JSON.stringify({ product_code: PRODUCT_CODE, product_code_schema: 'GTIN', serials: chunk });
      if (await post(env, body)) result.ok++;
      else result.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.ms = now() - started;
  result.requests = (await env.sim.requestsTotal()) - requestsBefore;
  return result;
}
