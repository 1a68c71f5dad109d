// The simulator's restart(): down (connections dropped, then refused), back on the same port,
// with the serial pools, the issued tokens, the log and the fault settings kept.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import { DEFAULT_CHANNEL_KEY, SAMPLE_PRODUCT_CODE, startSimulator, type Simulator } from '../src/simulator';

const RELEASE = '/v1/manufacturer/v2/api/serials/release';

/** One POST on a fresh connection; resolves with the status, or the error code of a failed connection. */
function post(sim: Simulator, path: string, body: unknown, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const text = JSON.stringify(body);
    const req = http.request(
      `${sim.url}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(text);
  });
}

describe('simulator restart()', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await sim.close();
  });

  it('comes back on the same port with its serials, tokens, log and faults kept', async () => {
    const port = sim.port;
    const [released, kept] = sim.assign(SAMPLE_PRODUCT_CODE, 2);
    const token = sim.issueToken({ ttlSeconds: 600 });
    const headers = { 'x-access-token': token, 'x-channel-key': DEFAULT_CHANNEL_KEY };
    const body = (serial: string) => ({ product_code: SAMPLE_PRODUCT_CODE, product_code_schema: 'GTIN', serials: [serial] });
    assert.equal(await post(sim, RELEASE, body(released!), headers), 200);
    sim.faults.add({ target: 'release', action: { type: 'status', status: 503 } });
    const before = sim.state();

    await sim.restart({ downMs: 20 });

    assert.equal(sim.port, port);
    assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, released!), 'Available');
    assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, kept!), 'Assigned');
    assert.equal(sim.requests.length, 1, 'the log is kept');
    assert.deepEqual(sim.state(), before);
    assert.equal(await post(sim, RELEASE, body(kept!), headers), 503, 'the pending fault rule is kept');
    assert.equal(await post(sim, RELEASE, body(kept!), headers), 200, 'a token issued before the restart is still accepted');
    assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, kept!), 'Available');
  });

  it('drops open connections, refuses new ones while down, and answers again afterwards', async () => {
    sim.faults.add({ target: 'release', action: { type: 'hang' } });
    const hanging = post(sim, RELEASE, {});
    while (sim.requests.length === 0) await new Promise((r) => setTimeout(r, 2));
    const restarted = sim.restart({ downMs: 200 });
    assert.equal(await hanging, 'ECONNRESET', 'the request being handled gets no answer');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await post(sim, RELEASE, {}), 'ECONNREFUSED', 'nothing listens while down');
    await restarted;
    assert.equal(await post(sim, '/nowhere', {}), 404);
    assert.equal(sim.openConnections(), 0, 'the request closed its connection');
  });

  it('refuses a second restart while one is under way, and none once closed', async () => {
    const first = sim.restart({ downMs: 50 });
    await assert.rejects(sim.restart(), /restarting already/);
    await first;
    await assert.rejects(sim.restart({ downMs: -1 }), RangeError);
    await sim.close();
    await assert.rejects(sim.restart(), /closed/);
  });

  it('stays closed when close() is called while it is down', async () => {
    const port = sim.port;
    const restarted = sim.restart({ downMs: 100 });
    await new Promise((r) => setTimeout(r, 20));
    const closed = sim.close();
    await restarted;
    await closed;
    const probe = await new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/', agent: false }, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
    assert.equal(probe, 'ECONNREFUSED');
  });
});
