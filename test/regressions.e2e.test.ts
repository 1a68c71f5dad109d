/**
 * Defects found by the fuzz, soak, secret and hostile-configuration tests, each kept as the
 * smallest deployed flow that showed it. Each title starts with "regression:".
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, helper, Msg, unload } from './support/flow';

/* eslint-disable @typescript-eslint/no-require-imports */
const configModule = require('../nodes/movilitas-config.js');
const releaseModule = require('../nodes/movilitas-release-serials.js');

const P = SAMPLE_PRODUCT_CODE;

/** A payload nested deeper than Node-RED's message clone (lodash cloneDeep) can follow. */
function deeplyNested(depth: number): unknown {
  let v: unknown = 'A1';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { serials: v };
  return v;
}

interface LogEntry {
  level: number;
  msg: unknown;
  type?: string;
}

function logEntries(): LogEntry[] {
  return helper.log().args.map((a) => a[0] as LogEntry);
}

describe('regressions, end to end', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  it('regression: a msg Node-RED cannot clone for a Complete node does not crash the runtime', async () => {
    // Found by the flow fuzz: done() threw (RangeError from cloneMessage) inside the async
    // input handler; the rejection was unhandled, which makes Node.js (and Node-RED) exit.
    const h = await deploy({ sim, release: { productCode: P } });
    h.send({ payload: deeplyNested(20_000), n: 1 } as Msg);
    const [s] = sim.assign(P, 1);
    h.send({ payload: s!, n: 2 } as Msg);
    const deadline = Date.now() + 5_000;
    while (h.failed.length + h.released.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.failed.length, 1);
    assert.equal(h.failed[0]!.n, 1);
    assert.equal(h.failed[0]!.error.kind, 'validation');
    assert.equal(h.released.length, 1, 'the node keeps working');
    assert.ok(
      logEntries().some((e) => e.type === 'movilitas-release-serials' && e.level === 20 && /not-completed|could not be completed/.test(String(e.msg))),
      'the failure to complete is logged',
    );
    // test/setup.ts fails this test on any unhandled rejection.
  });

  it('regression: done() is still called when send() throws (an output wired to two nodes cannot clone the msg)', async () => {
    const flow = [
      { id: 'rel', type: 'movilitas-release-serials', config: 'cfg', productCode: P, productCodeType: 'str', wires: [['a'], ['b', 'c']] },
      { id: 'a', type: 'helper' },
      { id: 'b', type: 'helper' },
      { id: 'c', type: 'helper' },
      { id: 'cfg', type: 'movilitas-config', environment: 'custom', baseUrl: sim.url, authMode: 'static' },
    ];
    await helper.load([configModule, releaseModule], flow, { cfg: { token: 'sim-static-token', channelKey: sim.credentials.channelKey! } });
    const node = helper.getNode('rel') as unknown as { receive(m: unknown): void; _complete(m: unknown, e?: unknown): void };
    let completions = 0;
    const complete = node._complete.bind(node);
    node._complete = (m, e) => {
      completions++;
      complete(m, e);
    };
    node.receive({ payload: deeplyNested(20_000) });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(completions, 1, 'done() once');
    assert.ok(logEntries().some((e) => e.type === 'movilitas-release-serials' && e.level === 20));
  });

  it('regression: a product code setting Node-RED cannot evaluate is a config error, not unexpected-response', async () => {
    // Found by the flow fuzz: flow context key "a[msg.nope]" makes evaluateNodeProperty throw
    // synchronously instead of calling back with the error, which bypassed the config wrapping.
    const h = await deploy({ sim, release: { productCodeType: 'flow', productCode: 'a[msg.nope]' } });
    h.send({ payload: ['A1'] });
    await h.settle(1);
    const err = h.failed[0]!.error;
    assert.equal(err.kind, 'config', err.message);
    assert.match(err.message, /product code \(flow a\[msg\.nope\]\) could not be read/);
    assert.equal(sim.requests.length, 0);
  });

  it('regression: maxSerialsPerRequest true (a hand-edited flow) is not read as 1', async () => {
    // Found by the flow fuzz: Number(true) is 1, so every serial went in a request of its own.
    // A setting that is not a whole number (as a number or as digits) falls back to the default.
    const h = await deploy({ sim, release: { productCode: P, maxSerialsPerRequest: true, coalesceMs: [5] } });
    const serials = sim.assign(P, 3);
    h.send({ payload: serials });
    await h.settle(1);
    assert.equal(h.released.length, 1, JSON.stringify(h.failed[0]?.error));
    assert.equal(sim.releaseRequests().length, 1);
    assert.equal(h.released[0]!.movilitas.requests, 1);
  });

  // Found by an adversarial tester: a payload whose reading throws, from a function node.
  it('regression: a payload getter throwing a value String() cannot convert still ends the msg on output 2 (the msg was lost)', async () => {
    const h = await deploy({ sim, release: { productCode: P } });
    const payload = Object.defineProperty({}, 'serials', {
      get() {
        throw Object.create(null);
      },
      enumerable: true,
    });
    h.send({ payload });
    await h.settle(1);
    assert.equal(h.failed.length, 1);
    assert.equal(h.failed[0]!.error.kind, 'validation');
    assert.match(h.failed[0]!.error.message, /msg\.payload could not be read/);
    assert.equal(h.doneCalls, 1);
    assert.equal(sim.requests.length, 0);
  });

  it('regression: a payload getter throwing a value whose toString throws is no unhandled rejection (it stopped Node-RED)', async () => {
    // test/setup.ts fails the run on any unhandled rejection; Node-RED exits on one.
    const h = await deploy({ sim, release: { productCode: P } });
    const evil: { toString(): string } = {
      toString() {
        throw evil;
      },
    };
    const payload = Object.defineProperty({}, 'serials', {
      get() {
        throw evil;
      },
      enumerable: true,
    });
    h.send({ payload });
    await h.settle(1);
    assert.equal(h.failed.length, 1);
    assert.equal(h.failed[0]!.error.kind, 'validation');
    assert.equal(h.doneCalls, 1);
  });

  it('regression: input whose reading throws (a getter, a Proxy trap) is validation, not unexpected-response', async () => {
    const h = await deploy({ sim, release: { productCode: P } });
    const getter = Object.defineProperty({}, 'serials', {
      get() {
        throw new Error('getter boom');
      },
      enumerable: true,
    });
    const proxy = new Proxy(['A1'], {
      get(target, key) {
        if (key === '0') throw new Error('trap boom');
        return Reflect.get(target, key);
      },
    });
    h.send({ payload: getter });
    h.send({ payload: proxy });
    await h.settle(2);
    assert.deepEqual(
      h.failed.map((m) => [m.error.kind, m.error.message]),
      [
        ['validation', 'msg.payload could not be read: getter boom'],
        ['validation', 'msg.payload could not be read: trap boom'],
      ],
    );
    assert.equal(sim.requests.length, 0);
  });
});
