/**
 * Deploys the package's real node files (the build output in nodes/) into a Node-RED runtime
 * via node-red-node-test-helper, wired to capture both outputs, every done() (a Complete node)
 * and every done(err) (a Catch node), against a real simulator over HTTP.
 */
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import type { Simulator } from '../../src/simulator';

import { nodeRedRequire } from './runtime';

helper.init(nodeRedRequire.resolve('node-red'));

/* eslint-disable @typescript-eslint/no-require-imports */
const configModule = require('../../nodes/movilitas-config.js');
const releaseModule = require('../../nodes/movilitas-release-serials.js');
const completeModule = nodeRedRequire('@node-red/nodes/core/common/24-complete.js');
const catchModule = nodeRedRequire('@node-red/nodes/core/common/25-catch.js');

/** A message as tests see it: any property, payload included, may be read freely. */
export type Msg = Omit<NodeMessage, 'payload'> & { payload?: any } & Record<string, any>;

export interface DeployOptions {
  sim?: Simulator;
  /** Properties of the movilitas-config node (environment custom + the simulator by default). */
  config?: Record<string, unknown>;
  credentials?: Record<string, string | undefined>;
  /** Properties of the movilitas-release-serials node. */
  release?: Record<string, unknown>;
  /** Leave the release node without a config node. */
  noConfig?: boolean;
  /** Add a second release node ('rel2') on the same config node, wired to the same outputs. */
  twin?: boolean;
  /** More nodes for the flow (core `tls-config`, `http proxy`), their modules and credentials. */
  extraNodes?: Array<Record<string, unknown>>;
  extraModules?: unknown[];
  extraCredentials?: Record<string, Record<string, string>>;
}

export interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

export interface Harness {
  node: Node;
  released: Msg[];
  failed: Msg[];
  completed: Msg[];
  caught: Msg[];
  /** Calls of done() by the release node (and its twin), counted where it calls them (before Node-RED clones the msg for Complete and Catch nodes). */
  doneCalls: number;
  /** The errors given to done(err) (reportToCatch). */
  doneErrors: unknown[];
  statuses: StatusCall[];
  send(msg: Msg): void;
  /** Sends to the twin release node (deploy with `twin: true`). */
  sendTwin(msg: Msg): void;
  /** Resolves once `count` messages in all have come out of either output (and been completed or caught). */
  settle(count: number, timeoutMs?: number): Promise<void>;
}

export async function deploy(opts: DeployOptions = {}): Promise<Harness> {
  const sim = opts.sim;
  const flow: Array<Record<string, unknown>> = [
    {
      id: 'rel',
      type: 'movilitas-release-serials',
      name: 'release under test',
      config: opts.noConfig ? '' : 'cfg',
      productCode: '',
      productCodeType: 'str',
      verifyCheckDigit: true,
      validateSerials: true,
      maxSerialsPerRequest: 1000,
      coalesceMs: 0,
      reportToCatch: false,
      ...opts.release,
      wires: [['out1'], ['out2']],
    },
    { id: 'out1', type: 'helper' },
    { id: 'out2', type: 'helper' },
    { id: 'cmp', type: 'complete', scope: opts.twin ? ['rel', 'rel2'] : ['rel'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'cat', type: 'catch', scope: opts.twin ? ['rel', 'rel2'] : ['rel'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
  if (opts.twin) flow.push({ ...flow[0], id: 'rel2', name: 'twin' });
  const credentials: Record<string, Record<string, string>> = {};
  if (!opts.noConfig) {
    flow.push({
      id: 'cfg',
      type: 'movilitas-config',
      name: 'test',
      environment: 'custom',
      baseUrl: sim?.url ?? 'http://127.0.0.1:9',
      authMode: 'dynamic',
      tokenHeader: 'x-access-token',
      timeout: 5000,
      retries: 0,
      concurrency: 4,
      tls: '',
      proxy: '',
      ...opts.config,
    });
    const creds: Record<string, string | undefined> = {
      apiKey: sim?.credentials.apiKey,
      apiSecret: sim?.credentials.apiSecret,
      token: sim?.credentials.staticToken,
      channelKey: sim?.credentials.channelKey,
      ...opts.credentials,
    };
    credentials.cfg = Object.fromEntries(Object.entries(creds).filter(([, v]) => v !== undefined)) as Record<string, string>;
  }
  flow.push(...(opts.extraNodes ?? []));
  Object.assign(credentials, opts.extraCredentials);
  await helper.load([configModule, releaseModule, completeModule, catchModule, ...(opts.extraModules ?? [])], flow, credentials);

  const node = helper.getNode('rel') as Node;
  const h: Harness = {
    node,
    released: [],
    failed: [],
    completed: [],
    caught: [],
    doneCalls: 0,
    doneErrors: [],
    statuses: [],
    send: (msg) => node.receive(msg),
    sendTwin: (msg) => helper.getNode('rel2').receive(msg),
    settle: async (count, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      const ends = () => h.released.length + h.failed.length;
      const dones = () => h.completed.length + h.caught.length;
      while (ends() < count || h.doneCalls < count) {
        if (Date.now() > deadline) {
          throw new Error(`timed out: ${h.released.length} released + ${h.failed.length} failed, ${h.doneCalls} done, of ${count}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      // The Complete and Catch nodes get their copy a moment later (unless Node-RED cannot clone the msg).
      const grace = Math.min(deadline, Date.now() + 500);
      while (dones() < count && Date.now() < grace) await new Promise((r) => setTimeout(r, 5));
      // Give a stray second output or done() the chance to show up before the test looks.
      await new Promise((r) => setTimeout(r, 20));
    },
  };
  helper.getNode('out1').on('input', (m: Msg) => h.released.push(m));
  helper.getNode('out2').on('input', (m: Msg) => h.failed.push(m));
  helper.getNode('completed').on('input', (m: Msg) => h.completed.push(m));
  helper.getNode('caught').on('input', (m: Msg) => h.caught.push(m));
  for (const id of opts.twin ? ['rel', 'rel2'] : ['rel']) {
    const counted = helper.getNode(id) as unknown as { _complete(msg: unknown, err?: unknown): void };
    const complete = counted._complete.bind(counted);
    counted._complete = (msg, err) => {
      h.doneCalls++;
      if (err !== undefined) h.doneErrors.push(err);
      complete(msg, err);
    };
  }
  // The helper spies on Node.prototype.status and emits each call as 'call:status'.
  (node as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: [StatusCall] }) => h.statuses.push(call.args[0]));
  return h;
}

export async function unload(): Promise<void> {
  await helper.unload();
}

/**
 * Closes the given nodes the way a redeploy does (Node-RED calls each node's close handlers and
 * waits for them), while the rest of the flow keeps running, so what they send while closing
 * is still delivered. Resolves when their close has completed.
 */
export async function stopNodes(ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => (helper.getNode(id) as unknown as { close(removed: boolean): Promise<void> }).close(false)));
}

/** The core config nodes the connection can use. */
export const tlsConfigModule: unknown = nodeRedRequire('@node-red/nodes/core/network/05-tls.js');
export const httpProxyModule: unknown = nodeRedRequire('@node-red/nodes/core/network/06-httpproxy.js');

export { helper };
