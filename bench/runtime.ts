/**
 * An embedded Node-RED (require('node-red'), the real runtime a user runs: real registry, real
 * message routing, nothing spied on) for the benchmark. Our package is loaded the way Node-RED
 * loads an installed module (nodesDir points at the package root, so package.json's
 * `node-red.nodes` decides which files are loaded: the built nodes/*.js); the core nodes,
 * `http request` among them, come from @node-red/nodes as usual.
 *
 * Messages go in with node.receive() on the contender's first node and come out in
 * `bench-sink` nodes, a tiny node type registered here that hands each message to a listener.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

export type Msg = Record<string, any>;
export type FlowNode = Record<string, unknown>;
type Listener = (msg: Msg) => void;

interface RuntimeNode {
  id: string;
  receive(msg: Msg): void;
  on(event: string, fn: (...args: any[]) => void): void;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const RED = require('node-red');

export interface BenchRuntime {
  nodeRedVersion: string;
  /** Full deploy of `flow` (credentials inline on the nodes, as the editor sends them). */
  deploy(flow: FlowNode[]): Promise<void>;
  /** Hands `msg` to the node with `id`, as a wire from an upstream node would. */
  inject(id: string, msg: Msg): void;
  /** Calls `fn` for every message that reaches the bench-sink node `id`. */
  listen(id: string, fn: Listener): void;
  stop(): Promise<void>;
}

let started: BenchRuntime | undefined;

/** Starts Node-RED once per process (the runtime is a singleton). */
export async function startRuntime(): Promise<BenchRuntime> {
  if (started) return started;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-bench-'));
  const listeners = new Map<string, Listener>();
  RED.init({
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: [ROOT],
    // No editor, no admin API, no HTTP-in endpoints: only the runtime is measured.
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    telemetry: { enabled: false },
    logging: { console: { level: process.env.BENCH_NODE_RED_LOG ?? 'warn', metrics: false, audit: false } },
  });
  // A sink counts messages; it is registered before start, like a node file would be.
  RED.nodes.registerType('bench', 'bench-sink', function BenchSink(this: any, def: FlowNode) {
    RED.nodes.createNode(this, def);
    this.on('input', (msg: Msg, _send: unknown, done: () => void) => {
      listeners.get(this.id)?.(msg);
      done();
    });
  });
  const firstStart = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await firstStart; // the (empty) flows of the new user directory
  const missing = ['movilitas-config', 'movilitas-release-serials', 'http request'].filter(
    (type) => !RED.nodes.getType(type),
  );
  if (missing.length > 0) throw new Error(`Node-RED did not load the node types ${missing.join(', ')}`);

  started = {
    nodeRedVersion: RED.version(),
    async deploy(flow) {
      const flowsStarted = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
      await RED.runtime.flows.setFlows({ flows: { flows: flow }, deploymentType: 'full' });
      await flowsStarted;
      for (const n of flow) {
        if (n.type !== 'tab' && !RED.nodes.getNode(n.id as string)) throw new Error(`node ${String(n.id)} (${String(n.type)}) did not start`);
      }
    },
    inject(id, msg) {
      const node = RED.nodes.getNode(id) as RuntimeNode | null;
      if (!node) throw new Error(`no node ${id}`);
      node.receive(msg);
    },
    listen(id, fn) {
      listeners.set(id, fn);
    },
    async stop() {
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
      started = undefined;
    },
  };
  return started;
}
