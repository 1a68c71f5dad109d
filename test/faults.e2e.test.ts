/**
 * The release path on the shop floor: retries, Retry-After, ambiguity, token lifecycle,
 * concurrency, coalescing, redeploys, against the simulator's injected faults over real HTTP.
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, Harness, Msg, stopNodes, unload } from './support/flow';

const P = SAMPLE_PRODUCT_CODE;

describe('faults, retries and lifecycle, end to end', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  /** Sends the messages and waits until they (and all sent before) have ended. */
  async function run(h: Harness, ...msgs: Msg[]): Promise<void> {
    const target = h.released.length + h.failed.length + msgs.length;
    for (const m of msgs) h.send(m);
    await h.settle(target);
  }

  const oneSerial = (serial: string): Msg => ({ payload: { product_code: P, serials: [serial] } });

  /** Node-RED delivers a sent message asynchronously: give what was sent during close time to arrive. */
  const delivery = () => new Promise((r) => setTimeout(r, 50));

  describe('retries', () => {
    it('retries a 503 and succeeds, counting both attempts', async () => {
      const h = await deploy({ sim, config: { retries: 3 } });
      const [s] = sim.assign(P, 1);
      sim.faults.add({ target: 'release', action: { type: 'status', status: 503 } });
      await run(h, oneSerial(s!));
      assert.equal(h.released.length, 1);
      assert.equal(h.released[0]!.movilitas.attempts, 2);
      assert.equal(sim.releaseRequests().length, 2);
    });

    it('retries a 502 HTML page from a proxy and a 504', async () => {
      const h = await deploy({ sim, config: { retries: 3 } });
      const [s] = sim.assign(P, 1);
      sim.faults.add({ target: 'release', action: { type: 'status', status: 502, contentType: 'text/html', body: '<html><title>502 Bad Gateway</title></html>' } });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 504 } });
      await run(h, oneSerial(s!));
      assert.equal(h.released[0]!.movilitas.attempts, 3);
    });

    it('sends nothing inside a Retry-After window', async () => {
      const h = await deploy({ sim, config: { retries: 1 } });
      const [s] = sim.assign(P, 1);
      sim.faults.add({ target: 'release', action: { type: 'retry-after', status: 429, retryAfter: 1 } });
      await run(h, oneSerial(s!));
      const [first, second] = sim.releaseRequests();
      assert.ok(second, 'retried');
      assert.ok(second.receivedAt - first!.receivedAt >= 990, `gap ${second.receivedAt - first!.receivedAt} ms`);
      assert.equal(h.released.length, 1);
    });

    it('gives rate-limited with retryAfter once the retries are spent', async () => {
      const h = await deploy({ sim, config: { retries: 1 } });
      sim.faults.add({ target: 'release', times: 2, action: { type: 'retry-after', status: 429, retryAfter: 0 } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'));
      const err = h.failed[0]!.error;
      assert.equal(err.kind, 'rate-limited');
      assert.equal(err.retryable, true);
      assert.equal(err.details.retryAfter, 0);
      assert.equal(h.failed[0]!.movilitas.attempts, 2);
    });

    it('gives server after the retries, with every attempt counted', async () => {
      const h = await deploy({ sim, config: { retries: 2 } });
      sim.faults.add({ target: 'release', times: 3, action: { type: 'status', status: 503 } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'));
      assert.equal(h.failed[0]!.error.kind, 'server');
      assert.equal(h.failed[0]!.movilitas.attempts, 3);
      assert.equal(sim.releaseRequests().length, 3);
    });

    it('never retries other 4xx, nor a 500', async () => {
      const h = await deploy({ sim, config: { retries: 3 } });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 400, body: '{"success":false,"message":"Request body could not be parsed"}' } });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 500 } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'), oneSerial('V3HBM4FNP3CHK006WBPT'));
      assert.deepEqual(h.failed.map((m) => m.movilitas.attempts), [1, 1]);
      assert.deepEqual(h.failed.map((m) => m.error.kind).sort(), ['request', 'server']);
      assert.equal(sim.releaseRequests().length, 2);
    });

    it('retries a refused connection, then gives network', async () => {
      const url = sim.url;
      await sim.close();
      sim = await startSimulator();
      const h = await deploy({ sim, config: { baseUrl: url, retries: 2, authMode: 'static' } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'));
      assert.equal(h.failed[0]!.error.kind, 'network');
      assert.equal(h.failed[0]!.movilitas.attempts, 3);
      assert.equal(h.failed[0]!.error.ambiguous, undefined, 'a refused connection never reached the server');
    });

    it('retries a connection destroyed before the release, and one that timed out', async () => {
      const h = await deploy({ sim, config: { retries: 2, timeout: 300 } });
      const [a, b] = sim.assign(P, 2);
      sim.faults.add({ target: 'release', action: { type: 'destroy-before' } });
      await run(h, oneSerial(a!));
      sim.faults.add({ target: 'release', action: { type: 'hang' } });
      await run(h, oneSerial(b!));
      assert.deepEqual(h.released.map((m) => m.movilitas.attempts), [2, 2]);
      assert.equal(sim.serialStatus(P, a!), 'Available');
      assert.equal(sim.serialStatus(P, b!), 'Available');
    });

    it('marks a 4xx after a retry of a request that may have been applied as ambiguous', async () => {
      const h = await deploy({ sim, config: { retries: 2 } });
      const [s] = sim.assign(P, 1);
      sim.faults.add({ target: 'release', action: { type: 'destroy-after' } });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 422, body: '{"success":false,"message":"Validation error","details":[]}' } });
      await run(h, oneSerial(s!));
      const err = h.failed[0]!.error;
      assert.equal(err.kind, 'api-validation');
      assert.equal(err.ambiguous, true);
      assert.equal(sim.serialStatus(P, s!), 'Available', 'the first attempt was applied');
    });

    it('does not mark a 4xx as ambiguous when nothing could have been applied', async () => {
      const h = await deploy({ sim, config: { retries: 2 } });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 503 } });
      await run(h, oneSerial('NOTINPOOL1'));
      assert.equal(h.failed[0]!.error.kind, 'api-validation');
      assert.equal(h.failed[0]!.error.ambiguous, undefined);
    });

    it('recovers when the server dropped the pooled keep-alive connection', async () => {
      const h = await deploy({ sim, config: { retries: 1 } });
      const [a, b] = sim.assign(P, 2);
      await run(h, oneSerial(a!));
      sim.dropConnections();
      await run(h, oneSerial(b!));
      assert.equal(h.released.length, 2, JSON.stringify(h.failed[0]?.error));
    });
  });

  describe('token lifecycle', () => {
    it('renews a short-lived token before it expires, with no rejected request', async () => {
      sim.setTokenTtl(2);
      const h = await deploy({ sim });
      const [a, b] = sim.assign(P, 2);
      await run(h, oneSerial(a!));
      await new Promise((r) => setTimeout(r, 1200)); // past half of the 2 s life
      await run(h, oneSerial(b!));
      assert.equal(sim.authRequests().length, 2);
      assert.deepEqual(sim.releaseRequests().map((r) => r.status), [200, 200]);
      assert.deepEqual(h.released.map((m) => m.movilitas.attempts), [1, 1]);
    });

    it('retries an auth call that failed on the network, under the same rules', async () => {
      const h = await deploy({ sim, config: { retries: 2 } });
      sim.faults.add({ target: 'auth', action: { type: 'destroy-before' } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'));
      assert.equal(h.released.length, 1);
      assert.equal(sim.authRequests().length, 2);
    });

    it('gives server (not auth) when the auth endpoint keeps failing with 503', async () => {
      const h = await deploy({ sim, config: { retries: 1 } });
      sim.faults.add({ target: 'auth', times: 2, action: { type: 'status', status: 503 } });
      await run(h, oneSerial('DDGHG6NTP162PDWXEEAF'));
      assert.equal(h.failed[0]!.error.kind, 'server');
      assert.equal(sim.releaseRequests().length, 0);
    });
  });

  describe('concurrency', () => {
    it('keeps at most `concurrency` requests in flight', async () => {
      const h = await deploy({ sim, config: { concurrency: 2, authMode: 'static' } });
      sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 60 } });
      const serials = sim.assign(P, 8);
      await run(h, ...serials.map(oneSerial));
      const reqs = sim.releaseRequests();
      let maxInFlight = 0;
      for (const r of reqs) {
        const overlapping = reqs.filter((o) => o.receivedAt <= r.receivedAt && o.receivedAt + (o.durationMs ?? 0) > r.receivedAt);
        maxInFlight = Math.max(maxInFlight, overlapping.length);
      }
      assert.equal(maxInFlight, 2);
    });

    it('shares the limit between every node on the same connection', async () => {
      const h = await deploy({ sim, twin: true, config: { concurrency: 1, authMode: 'static' } });
      sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 40 } });
      const serials = sim.assign(P, 6);
      const target = 6;
      serials.forEach((s, i) => (i % 2 ? h.sendTwin(oneSerial(s)) : h.send(oneSerial(s))));
      await h.settle(target);
      const reqs = sim.releaseRequests();
      for (let i = 1; i < reqs.length; i++) {
        const prev = reqs[i - 1]!;
        assert.ok(reqs[i]!.receivedAt >= prev.receivedAt + (prev.durationMs ?? 0) - 1, 'one at a time across both nodes');
      }
      assert.equal(h.released.length, 6);
    });

    it('keeps waiting messages in order, and shows in the status how many wait', async () => {
      const h = await deploy({ sim, config: { concurrency: 1, authMode: 'static' } });
      sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 150 } });
      const serials = sim.assign(P, 4);
      await run(h, ...serials.map(oneSerial));
      assert.deepEqual(sim.releaseRequests().map((r) => JSON.parse(r.body).serials[0]), serials, 'sent in arrival order');
      assert.ok(h.statuses.some((s) => s.fill === 'blue' && s.text === 'movilitas-release-serials.status.queued'), JSON.stringify(h.statuses));
    });
  });

  describe('coalescing', () => {
    it('sends a burst of single serials as one request; each message gets its own output', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 100, productCode: P } });
      const serials = sim.assign(P, 50);
      await run(h, ...serials.map((s, n) => ({ payload: s, n }) as Msg));
      assert.equal(sim.releaseRequests().length, 1);
      assert.equal(h.released.length, 50);
      for (const m of h.released) {
        assert.deepEqual(m.movilitas.serials, [serials[m.n]]);
        assert.equal(m.movilitas.count, 1);
        assert.equal(m.movilitas.requests, 1);
      }
      assert.ok(serials.every((s) => sim.serialStatus(P, s) === 'Available'));
    });

    it('never puts more than maxSerialsPerRequest in one request', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 100, maxSerialsPerRequest: 10, productCode: P } });
      const serials = sim.assign(P, 25);
      await run(h, ...serials.map((s) => ({ payload: s })));
      assert.deepEqual(sim.releaseRequests().map((r) => JSON.parse(r.body).serials.length), [10, 10, 5]);
    });

    it('sends a serial shared by several messages once', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 50, productCode: P } });
      const [a, b] = sim.assign(P, 2);
      await run(h, { payload: [a!, b!] }, { payload: a! });
      assert.deepEqual(JSON.parse(sim.releaseRequests()[0]!.body).serials, [a, b]);
      assert.deepEqual(h.released.map((m) => m.movilitas.serials), [[a, b], [a]]);
    });

    it('keeps products apart', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 50 } });
      const [a] = sim.assign(P, 1);
      const [b] = sim.assign('09506000134352', 1);
      await run(h, oneSerial(a!), { payload: { product_code: '09506000134352', serials: [b!] } });
      assert.equal(sim.releaseRequests().length, 2);
      assert.equal(h.released.length, 2);
    });

    it('retries a batch that failed on its data message by message, so one bad message fails alone', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 50, productCode: P } });
      const good = sim.assign(P, 3);
      await run(h, { payload: good[0]!, n: 0 } as Msg, { payload: 'NOTINPOOL', n: 1 } as Msg, { payload: good[1]!, n: 2 } as Msg, { payload: good[2]!, n: 3 } as Msg);
      assert.deepEqual(h.released.map((m) => m.n).sort(), [0, 2, 3]);
      assert.deepEqual(h.failed.map((m) => m.n), [1]);
      assert.equal(h.failed[0]!.error.kind, 'api-validation');
      assert.equal(h.released[0]!.movilitas.attempts, 2, 'the batch attempt and its own');
      assert.equal(sim.releaseRequests().length, 1 + 4);
    });

    it('fails the whole batch at once on auth or channel errors, without one-by-one retries', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 50, productCode: P }, credentials: { channelKey: 'wrong-channel' } });
      await run(h, { payload: 'A1' }, { payload: 'A2' }, { payload: 'A3' });
      assert.deepEqual(h.failed.map((m) => m.error.kind), ['channel', 'channel', 'channel']);
      assert.equal(sim.releaseRequests().length, 1);
    });
  });

  describe('redeploy and shutdown', () => {
    it('lets in-flight requests finish on close', async () => {
      const h = await deploy({ sim, config: { authMode: 'static' } });
      sim.faults.add({ target: 'release', action: { type: 'delay', ms: 300 } });
      h.send(oneSerial('DDGHG6NTP162PDWXEEAF'));
      await new Promise((r) => setTimeout(r, 50));
      await stopNodes(['rel']);
      await delivery();
      assert.equal(h.released.length, 1, 'answered before close completed');
      assert.equal(h.completed.length, 1);
    });

    it('cancels what is still running after the grace time: output 2 kind cancelled, before close completes', async function () {
      this.timeout(20_000);
      const h = await deploy({ sim, config: { authMode: 'static', timeout: 60_000, concurrency: 1 } });
      sim.faults.add({ target: 'release', times: Infinity, action: { type: 'hang' } });
      for (let i = 0; i < 3; i++) h.send(oneSerial('DDGHG6NTP162PDWXEEAF'));
      await new Promise((r) => setTimeout(r, 100));
      await stopNodes(['rel']);
      await delivery();
      assert.equal(h.failed.length, 3, 'the running one and the two waiting');
      assert.deepEqual(h.failed.map((m) => [m.error.kind, m.error.retryable]), [['cancelled', true], ['cancelled', true], ['cancelled', true]], JSON.stringify(h.failed.map((m) => m.error.message)));
      assert.equal(h.completed.length, 3);
      const after = h.failed.length + h.released.length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(h.failed.length + h.released.length, after, 'no output after close');
    });

    it('sends the messages of an open coalescing window on close instead of dropping them', async () => {
      const h = await deploy({ sim, release: { coalesceMs: 60_000, productCode: P } });
      const serials = sim.assign(P, 3);
      serials.forEach((s) => h.send({ payload: s }));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sim.releaseRequests().length, 0, 'still in the window');
      await stopNodes(['rel']);
      await delivery();
      assert.equal(h.released.length, 3, JSON.stringify(h.failed.map((m) => m.error.message)));
      assert.equal(sim.releaseRequests().length, 1);
    });
  });

  describe('resources', () => {
    it('releases its sockets when the flow is stopped', async () => {
      const h = await deploy({ sim });
      await run(h, ...sim.assign(P, 20).map(oneSerial));
      assert.ok(sim.openConnections() > 0, 'keep-alive connections while deployed');
      await unload();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sim.openConnections(), 0);
    });
  });

  describe('fault matrix', () => {
    it('1,000 messages under a 10% mix of transient faults: each ends once, nothing lost or doubled', async function () {
      this.timeout(120_000);
      const h = await deploy({ sim, config: { retries: 3, concurrency: 4, timeout: 2000 } });
      const serials = sim.assign(P, 1000);
      sim.faults.random({ rate: 0.1, seed: 20261203 });
      serials.forEach((s, n) => h.send({ payload: { product_code: P, serials: [s] }, n } as Msg));
      await h.settle(1000, 100_000);
      const ns = [...h.released, ...h.failed].map((m) => m.n as number).sort((a, b) => a - b);
      assert.deepEqual(ns, serials.map((_, i) => i), 'every message exactly once across both outputs');
      assert.equal(h.completed.length, 1000, 'done() once per message');
      for (const m of h.released) assert.equal(sim.serialStatus(P, m.movilitas.serials[0]), 'Available');
      assert.ok(sim.faults.injected >= 50, `faults injected: ${sim.faults.injected}; ${h.released.length} released, ${h.failed.length} failed, first: ${JSON.stringify(h.failed[0]?.error)}`);
      console.log(`      fault matrix: ${h.released.length} released, ${h.failed.length} failed, ${sim.faults.injected} faults injected`);
    });
  });
});
