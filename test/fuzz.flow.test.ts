/**
 * Input fuzzing through a deployed flow: the real node files, Node-RED's runtime (via
 * node-red-node-test-helper) and the simulator over real HTTP. A few hundred generated
 * messages under generated node settings prove the wiring: every message ends on exactly one
 * output, once, with done() once; invalid input makes no request at all; valid input makes
 * exactly the requests the contract describes, with exactly the body the model derives.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Simulator, startSimulator } from '../src/simulator';
import { check, FUZZ_SEED, likelyValidPayload, NodeSettings, nodeSettings, payload, productCodeValue, runs } from './support/arbitraries';
import { deploy, Msg, unload } from './support/flow';
import { CSET82, Expected, expectedRelease, messageDescribes } from './support/oracle';

// Node-RED's own typedInput evaluation: what the node's product code setting means.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const redUtil = require('@node-red/util').util as {
  evaluateNodeProperty(value: string, type: string, node: unknown, msg: unknown, cb: (err: Error | null | undefined, result: unknown) => void): void;
};

/** A property as the node receives it: Node-RED replaces a whole "${NAME}" (or "$(NAME)") by that environment variable when it is set. */
function asDeployed(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\$\{(\S+)\}$/.exec(value) ?? /^\$\((\S+)\)$/.exec(value);
  return m && process.env[m[1]!] !== undefined ? process.env[m[1]!] : value;
}

/** The setting's value for this msg, as Node-RED evaluates it (with a callback, as nodes do); undefined on error. */
function evaluateSetting(value: string, type: string, node: unknown, msg: unknown): Promise<{ ok: true; value: unknown } | { ok: false }> {
  return new Promise((resolve) => {
    try {
      redUtil.evaluateNodeProperty(value, type, node, msg, (err, result) => resolve(err ? { ok: false } : { ok: true, value: result }));
    } catch {
      resolve({ ok: false });
    }
  });
}

const ENV_GTIN = '09506000134352';

/** What the simulator itself accepts as a serial (its own schema): 1 to 20 of set 82. */
function simAccepts(serial: string): boolean {
  return serial.length >= 1 && serial.length <= 20 && [...serial].every((c) => CSET82.includes(c));
}

/** maxSerialsPerRequest as the contract reads it: an integer >= 1 (a number, or digits as the editor saves them), else 1000. */
function chunkSize(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1000;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const message = fc.record({
  payload: fc.oneof(payload, likelyValidPayload),
  product: productCodeValue,
  gtin: fc.record({ code: productCodeValue }, { requiredKeys: [] }),
});

const testCase = fc.record({
  settings: nodeSettings,
  dynamicAuth: fc.boolean(),
  messages: fc.array(message, { minLength: 5, maxLength: 12 }),
});

describe('fuzz: messages through a deployed flow over HTTP', function () {
  this.timeout(180_000);
  let sim: Simulator;
  const counter = { cases: 0, messages: 0, requests: 0 };

  before(async () => {
    sim = await startSimulator({ acceptUnknownSerials: true, logLimit: 100_000 });
    process.env.MOVILITAS_FUZZ_GTIN = ENV_GTIN;
  });

  after(async () => {
    delete process.env.MOVILITAS_FUZZ_GTIN;
    await sim.close();
    console.log(`      fuzz (flow): ${counter.cases} deployed flows, ${counter.messages} messages, ${counter.requests} release requests, seed ${FUZZ_SEED}`);
  });

  async function runCase(given: NodeSettings, dynamicAuth: boolean, generated: Array<{ payload: unknown; product: unknown; gtin: { code?: unknown } }>): Promise<void> {
    sim.clearLog();
    const settings = given;
    const deployed = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, asDeployed(v)])) as unknown as NodeSettings;
    const h = await deploy({ sim, config: { authMode: dynamicAuth ? 'dynamic' : 'static' }, release: { ...settings } });
    try {
      const node = h.node;
      const msgs: Msg[] = generated.map((g, n) => ({ payload: g.payload, product: g.product, gtin: g.gtin, n }));

      // The node's product code as Node-RED's typedInput evaluates it (or the error it raises).
      const expectations: Array<{ configError: true } | { configError: false; model: Expected }> = [];
      for (const msg of msgs) {
        const dflt = await evaluateSetting(deployed.productCode as string, (deployed.productCodeType as string) || 'str', node, msg);
        if (!dflt.ok) {
          expectations.push({ configError: true });
          continue;
        }
        const model = expectedRelease(msg.payload, {
          defaultProductCode: dflt.value,
          verifyCheckDigit: deployed.verifyCheckDigit !== false,
          validateSerials: deployed.validateSerials !== false,
        });
        if (model.ok) {
          try {
            sim.addProduct(model.body.product_code); // registered so that the simulator can accept it
          } catch {
            // a wrong check digit (verification off): the simulator will say the product does not exist
          }
        }
        expectations.push({ configError: false, model });
      }
      const payloads = msgs.map((m) => m.payload);

      for (const m of msgs) h.send(m);
      await h.settle(msgs.length, 20_000);

      // Exactly once: every n on one output, done() once each.
      const seen = [...h.released, ...h.failed].map((m) => m.n as number).sort((a, b) => a - b);
      assert.deepEqual(seen, msgs.map((_, i) => i), 'every message on exactly one output, once');
      assert.equal(h.doneCalls, msgs.length, 'done() once per message');
      assert.equal(h.caught.length, 0);

      const size = chunkSize(deployed.maxSerialsPerRequest);
      const expectedBodies: string[] = [];
      let anyValid = false;
      for (const [n, exp] of expectations.entries()) {
        const out = [...h.released, ...h.failed].find((m) => m.n === n)!;
        const onOutput2 = h.failed.includes(out);
        if (exp.configError) {
          assert.ok(onOutput2, `msg ${n}: an unreadable product code setting must fail`);
          assert.equal(out.error.kind, 'config', `msg ${n}: ${out.error.message}`);
          assert.equal(out.payload, payloads[n], 'payload left as it came in');
          continue;
        }
        const model = exp.model;
        if (!model.ok) {
          assert.ok(onOutput2, `msg ${n}: invalid input released; the model expected ${JSON.stringify(model.problems)}`);
          assert.equal(out.error.kind, 'validation', `msg ${n}: ${out.error.kind}: ${out.error.message}`);
          assert.ok(model.problems.some((p) => messageDescribes(out.error.message, p)), `msg ${n}: "${out.error.message}" names none of ${JSON.stringify(model.problems)}`);
          assert.equal(out.payload, payloads[n], 'payload left as it came in');
          assert.equal(out.movilitas.requests, 0);
          continue;
        }
        anyValid = true;
        const parts = chunks(model.body.serials, size);
        for (const part of parts) expectedBodies.push(JSON.stringify({ ...model.body, serials: part }));
        assert.deepEqual(out.movilitas.serials, model.body.serials, `msg ${n}: serials as sent`);
        assert.equal(out.movilitas.product_code, model.body.product_code);
        assert.equal(out.movilitas.count, model.body.serials.length);
        assert.equal(out.movilitas.duplicatesRemoved, model.duplicatesRemoved);
        assert.equal(out.movilitas.requests, parts.length);
        const firstBad = parts.find((p) => !p.every(simAccepts));
        const known = sim.state().products[model.body.product_code] !== undefined;
        if (!firstBad && known) {
          assert.ok(!onOutput2, `msg ${n}: should be released, failed with ${out.error?.kind}: ${out.error?.message}`);
        } else {
          assert.ok(onOutput2, `msg ${n}: the simulator refuses it, yet it was released`);
          const firstFailing = parts.find((p) => !p.every(simAccepts) || !known)!;
          assert.equal(out.error.kind, firstFailing.every(simAccepts) ? 'product-not-found' : 'api-validation', out.error.message);
          assert.equal(out.payload, payloads[n], 'payload left as it came in');
        }
      }

      // No request for invalid input; for valid input exactly the expected bodies (in any order).
      const releases = sim.releaseRequests();
      const actualBodies = releases.map((r) => JSON.stringify(JSON.parse(r.body))).sort();
      assert.deepEqual(actualBodies, expectedBodies.sort(), 'release request bodies');
      for (const r of releases) {
        assert.equal(r.headers['content-type'], 'application/json');
        assert.ok(r.headers['x-access-token'], 'token header');
        assert.equal(r.headers['x-channel-key'], sim.credentials.channelKey);
      }
      assert.equal(sim.authRequests().length, dynamicAuth && anyValid ? 1 : 0, 'auth calls');
      counter.cases++;
      counter.messages += msgs.length;
      counter.requests += releases.length;
    } finally {
      await unload();
    }
  }

  it('every message ends once; invalid input makes no request; valid input sends exactly the model body', async () => {
    await check(
      fc.asyncProperty(testCase, async ({ settings, dynamicAuth, messages }) => runCase(settings, dynamicAuth, messages)),
      runs(40),
      undefined,
      false, // FUZZ_SHRINK=1 to shrink a counterexample
    );
  });
});
