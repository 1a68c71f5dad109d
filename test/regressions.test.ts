/**
 * Defects found by trying to break the nodes, each kept as the input that showed it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MovilitasClient, MovilitasError, resolveSettings } from '../src/api';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, Harness, Msg, stopNodes, unload } from './support/flow';

const P = SAMPLE_PRODUCT_CODE;

function clientFor(baseUrl: string, extra: Record<string, unknown> = {}): MovilitasClient {
  const resolved = resolveSettings({
    environment: 'custom',
    baseUrl,
    apiKey: 'sim-api-key',
    apiSecret: 'sim-api-secret',
    channelKey: 'Ky1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy',
    retries: 0,
    ...extra,
  });
  if (!resolved.ok) throw resolved.error;
  return new MovilitasClient({ settings: resolved.settings });
}

describe('regressions', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  async function run(h: Harness, ...msgs: Msg[]): Promise<void> {
    const target = h.released.length + h.failed.length + msgs.length;
    for (const m of msgs) h.send(m);
    await h.settle(target);
  }

  it('regression: a release after the client closed, with no token yet, ends cancelled and leaves no unhandled rejection (it crashed Node-RED)', async () => {
    const client = clientFor(sim.url);
    await client.close();
    await assert.rejects(
      client.release({ productCode: P, productCodeSchema: 'GTIN', serials: ['DDGHG6NTP162PDWXEEAF'] }),
      (err: MovilitasError) => err.kind === 'cancelled',
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sim.requests.length, 0, 'no auth call for a call that was already cancelled');
  });

  it('regression: input on its way when close starts cannot hold close for a whole coalescing window', async () => {
    const h = await deploy({ sim, release: { coalesceMs: 60_000, productCode: P } });
    const [s] = sim.assign(P, 1);
    h.send({ payload: s });
    const started = Date.now();
    await stopNodes(['rel']);
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.released.length + h.failed.length, 1);
  });

  it('regression: an auth answer whose token cannot go in a header is an unexpected-response, not a retried network fault', async () => {
    let authCalls = 0;
    let releaseCalls = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/v1/api_auth') {
        authCalls++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ success: true, token: 'abc\r\ndef' }));
      } else {
        releaseCalls++;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { retries: 2 });
      await assert.rejects(
        client.release({ productCode: P, productCodeSchema: 'GTIN', serials: ['A1'] }),
        (err: MovilitasError) => err.kind === 'unexpected-response' && !err.retryable && /HTTP header/.test(err.message),
      );
      await client.close();
      assert.equal(authCalls, 1);
      assert.equal(releaseCalls, 0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('regression: a token revoked mid-burst is renewed once, and queued requests go out with the new one', async () => {
    const h = await deploy({ sim, config: { concurrency: 4 } });
    const serials = sim.assign(P, 51);
    await run(h, { payload: { product_code: P, serials: [serials[0]!] } });
    sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 20 } });
    sim.revokeTokens();
    await run(h, ...serials.slice(1).map((s) => ({ payload: { product_code: P, serials: [s] } })));
    assert.equal(h.released.length, 51, JSON.stringify(h.failed[0]?.error));
    assert.equal(sim.authRequests().length, 2, 'the first token and one renewal');
    const rejected = sim.releaseRequests().filter((r) => r.status === 401).length;
    assert.ok(rejected <= 4, `${rejected} requests went out with the revoked token (at most the 4 in flight may)`);
  });

  it('regression: a renewal that fails costs one auth call for the whole burst, not one per message', async () => {
    const h = await deploy({ sim, config: { concurrency: 4 } });
    const serials = sim.assign(P, 51);
    await run(h, { payload: { product_code: P, serials: [serials[0]!] } });
    sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 20 } });
    sim.revokeTokens();
    sim.faults.authDown(true);
    await run(h, ...serials.slice(1).map((s) => ({ payload: { product_code: P, serials: [s] } })));
    assert.equal(h.failed.length, 50);
    assert.ok(h.failed.every((m) => m.error.kind === 'network'), JSON.stringify(h.failed.map((m) => m.error.kind)));
    assert.ok(sim.authRequests().length <= 3, `${sim.authRequests().length} auth calls`);
    // Nothing latched: the next message, once the endpoint is back, gets a token.
    sim.faults.authDown(false);
    const [s] = sim.assign(P, 1);
    await run(h, { payload: { product_code: P, serials: [s!] } });
    assert.equal(h.released.length, 2);
  });

  it('regression: a Retry-After holds every message on the connection, not only the one that got it', async () => {
    const h = await deploy({ sim, config: { concurrency: 1, retries: 2, authMode: 'static' } });
    sim.faults.add({ target: 'release', action: { type: 'retry-after', status: 429, retryAfter: 1 } });
    await run(h, ...sim.assign(P, 5).map((s) => ({ payload: { product_code: P, serials: [s] } })));
    const reqs = sim.releaseRequests();
    const limited = reqs[0]!;
    const answeredAt = limited.receivedAt + (limited.durationMs ?? 0);
    const inside = reqs.filter((r) => r.receivedAt > answeredAt && r.receivedAt < limited.receivedAt + 990);
    assert.equal(inside.length, 0, `${inside.length} requests inside the Retry-After window`);
    assert.equal(h.released.length, 5);
    assert.equal(reqs.length, 6, 'one 429, then each message once');
  });

  it('regression: coalesced messages get their own payload and error objects', async () => {
    const h = await deploy({ sim, release: { coalesceMs: 50, productCode: P } });
    await run(h, ...sim.assign(P, 3).map((s) => ({ payload: s })));
    assert.notEqual(h.released[0]!.payload, h.released[1]!.payload);
    h.released[0]!.payload.message = 'changed downstream';
    assert.equal(h.released[1]!.payload.message, 'Serials released');

    sim.faults.add({ target: 'release', action: { type: 'status', status: 500, body: '{"success":false,"message":"x","details":{"a":1}}' } });
    await run(h, { payload: 'A1' }, { payload: 'A2' });
    assert.equal(h.failed.length, 2);
    assert.notEqual(h.failed[0]!.error.details, h.failed[1]!.error.details);
  });

  it('regression: an answer larger than 16 MiB is refused, not read into memory', async () => {
    const h = await deploy({ sim });
    sim.faults.add({ target: 'release', action: { type: 'status', status: 200, contentType: 'application/json', body: `{"x":"${'a'.repeat(17 * 1024 * 1024)}"}` } });
    await run(h, { payload: { product_code: P, serials: ['DDGHG6NTP162PDWXEEAF'] } });
    assert.equal(h.failed[0]!.error.kind, 'unexpected-response');
    assert.equal(h.failed[0]!.error.code, 'UND_ERR_RES_EXCEEDED_MAX_SIZE');
  });
});
