/**
 * The release node end to end: a deployed flow, the real build in nodes/, the simulator over
 * real HTTP on 127.0.0.1. Each test states one behaviour of the public contract.
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, SAMPLE_SERIALS, SECOND_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, Harness, Msg, unload } from './support/flow';

const RELEASE_PATH = '/v1/manufacturer/v2/api/serials/release';

describe('release serials, end to end', () => {
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

  describe('the vendor sample', () => {
    it('reaches the simulator exactly as the vendor cURL sample, and comes out of output 1', async () => {
      const h = await deploy({ sim });
      const before = SAMPLE_SERIALS.map((s) => sim.serialStatus(SAMPLE_PRODUCT_CODE, s));
      assert.deepEqual(before, ['Assigned', 'Assigned']);
      await run(h, {
        payload: { product_code: '01234567891231', product_code_schema: 'GTIN', serials: ['DDGHG6NTP162PDWXEEAF', 'V3HBM4FNP3CHK006WBPT'] },
        topic: 'batch-4711',
      });

      const [auth] = sim.authRequests();
      assert.ok(auth, 'one auth call');
      const token = JSON.parse(sim.requests.find((r) => r.path === '/v1/api_auth')!.body);
      assert.deepEqual(token, { api_key: 'sim-api-key', api_secret: 'sim-api-secret' });

      const releases = sim.releaseRequests();
      assert.equal(releases.length, 1);
      const req = releases[0]!;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, RELEASE_PATH);
      assert.equal(req.headers['content-type'], 'application/json');
      assert.match(req.headers['x-access-token'] ?? '', /^ey[\w-]+\.[\w-]+\.[\w-]+$/, 'the JWT the simulator issued');
      assert.equal(req.headers['x-channel-key'], 'Ky1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy');
      assert.equal(req.headers.authorization, undefined, 'only the chosen token header is sent');
      // Beyond what HTTP itself needs (host, connection, content-length), exactly the sample's headers.
      const transport = new Set(['host', 'connection', 'content-length']);
      assert.deepEqual(
        Object.keys(req.headers).filter((k) => !transport.has(k)).sort(),
        ['content-type', 'x-access-token', 'x-channel-key'],
      );
      assert.deepEqual(JSON.parse(req.body), {
        product_code: '01234567891231',
        product_code_schema: 'GTIN',
        serials: ['DDGHG6NTP162PDWXEEAF', 'V3HBM4FNP3CHK006WBPT'],
      });

      assert.equal(h.failed.length, 0);
      const out = h.released[0]!;
      assert.deepEqual(out.payload, { success: true, message: 'Serials released' });
      assert.equal(out.topic, 'batch-4711', 'other msg properties are kept');
      assert.equal(out.movilitas.operation, 'release-serials');
      assert.equal(out.movilitas.product_code, '01234567891231');
      assert.equal(out.movilitas.product_code_schema, 'GTIN');
      assert.deepEqual(out.movilitas.serials, SAMPLE_SERIALS);
      assert.equal(out.movilitas.count, 2);
      assert.equal(out.movilitas.duplicatesRemoved, 0);
      assert.equal(out.movilitas.requests, 1);
      assert.equal(out.movilitas.attempts, 1);
      assert.equal(out.movilitas.statusCode, 200);
      assert.equal(typeof out.movilitas.durationMs, 'number');
      assert.deepEqual(SAMPLE_SERIALS.map((s) => sim.serialStatus(SAMPLE_PRODUCT_CODE, s)), ['Available', 'Available']);
      assert.equal(h.completed.length, 1);
    });

    it('as given (01234567891234) fails validation naming the check digit, with no request', async () => {
      const h = await deploy({ sim });
      const payload = { product_code: '01234567891234', product_code_schema: 'GTIN', serials: [...SAMPLE_SERIALS] };
      await run(h, { payload });
      assert.equal(h.released.length, 0);
      const out = h.failed[0]!;
      assert.equal(out.error.kind, 'validation');
      assert.match(out.error.message, /expected 1, found 4/);
      assert.equal(out.error.retryable, false);
      assert.deepEqual(out.error.source, { id: 'rel', type: 'movilitas-release-serials', name: 'release under test' });
      assert.deepEqual(out.payload, payload, 'payload left as it came in');
      assert.equal(sim.requests.length, 0, 'no request at all, not even auth');
    });

    it('as given is sent when verifyCheckDigit is off', async () => {
      const h = await deploy({ sim, release: { verifyCheckDigit: false } });
      await run(h, { payload: { product_code: '01234567891234', serials: [...SAMPLE_SERIALS] } });
      assert.equal(sim.releaseRequests().length, 1);
      assert.equal(JSON.parse(sim.releaseRequests()[0]!.body).product_code, '01234567891234');
      // The simulator has no such product: the API's answer is classified.
      assert.equal(h.failed[0]!.error.kind, 'product-not-found');
    });
  });

  describe('auth and headers', () => {
    it('sends the token as Authorization: Bearer when chosen, and no x-access-token', async () => {
      const h = await deploy({ sim, config: { tokenHeader: 'bearer' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      const req = sim.releaseRequests()[0]!;
      assert.match(req.headers.authorization ?? '', /^Bearer ey/);
      assert.equal(req.headers['x-access-token'], undefined);
      assert.equal(h.released.length, 1);
    });

    for (const tokenField of ['token', 'access_token', 'accessToken', 'data.token', 'data.access_token'] as const) {
      it(`reads the token from the auth answer's ${tokenField}`, async () => {
        await sim.close();
        sim = await startSimulator({ tokenField });
        const h = await deploy({ sim });
        await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
        assert.equal(h.released.length, 1, JSON.stringify(h.failed[0]?.error));
      });
    }

    it('uses a static token as given, with no auth call', async () => {
      const h = await deploy({ sim, config: { authMode: 'static' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(sim.authRequests().length, 0);
      assert.equal(sim.releaseRequests()[0]!.headers['x-access-token'], 'sim-static-token');
      assert.equal(h.released.length, 1);
    });

    it('trims credentials pasted with surrounding whitespace', async () => {
      const h = await deploy({ sim, credentials: { apiKey: '  sim-api-key\n', channelKey: '\tKy1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy \r\n' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.released.length, 1, JSON.stringify(h.failed[0]?.error));
    });

    it('lets Node-RED resolve ${ENV_VAR} in credentials', async () => {
      process.env.MOVILITAS_TEST_SECRET = 'sim-api-secret';
      process.env.MOVILITAS_TEST_CHANNEL = 'Ky1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy';
      try {
        const h = await deploy({ sim, credentials: { apiSecret: '${MOVILITAS_TEST_SECRET}', channelKey: '${MOVILITAS_TEST_CHANNEL}' } });
        await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
        assert.equal(h.released.length, 1, JSON.stringify(h.failed[0]?.error));
        assert.equal(sim.releaseRequests()[0]!.headers['x-channel-key'], 'Ky1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy');
      } finally {
        delete process.env.MOVILITAS_TEST_SECRET;
        delete process.env.MOVILITAS_TEST_CHANNEL;
      }
    });

    it('fetches one token for 50 messages that arrive at once', async () => {
      const h = await deploy({ sim });
      const serials = sim.assign(SAMPLE_PRODUCT_CODE, 50);
      await run(h, ...serials.map((s) => ({ payload: { product_code: SAMPLE_PRODUCT_CODE, serials: [s] } })));
      assert.equal(sim.authRequests().length, 1);
      assert.equal(h.released.length, 50);
      assert.ok(serials.every((s) => sim.serialStatus(SAMPLE_PRODUCT_CODE, s) === 'Available'));
    });

    it('drops a rejected token, fetches a new one once and sends again once', async () => {
      const h = await deploy({ sim });
      const [a, b] = sim.assign(SAMPLE_PRODUCT_CODE, 2);
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: [a!] } });
      sim.revokeTokens();
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: [b!] } });
      assert.equal(h.released.length, 2, JSON.stringify(h.failed[0]?.error));
      assert.equal(sim.authRequests().length, 2);
      assert.equal(h.released[1]!.movilitas.attempts, 2, 'the rejected attempt and the resend');
    });

    it('a bad secret gives kind auth with one auth call and no release call', async () => {
      const h = await deploy({ sim, config: { retries: 3 }, credentials: { apiSecret: 'wrong-secret-value' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.failed[0]!.error.kind, 'auth');
      assert.equal(h.failed[0]!.error.retryable, false);
      assert.equal(sim.authRequests().length, 1);
      assert.equal(sim.releaseRequests().length, 0);
    });

    it('a rejected static token gives kind auth at once', async () => {
      const h = await deploy({ sim, config: { authMode: 'static' }, credentials: { token: 'revoked-static-token' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.failed[0]!.error.kind, 'auth');
      assert.equal(h.failed[0]!.error.code, 'ERR0000');
      assert.equal(sim.releaseRequests().length, 1);
    });

    it('a failed auth call is tried again on the next message (no latch)', async () => {
      const h = await deploy({ sim });
      sim.faults.authDown(true);
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.failed[0]!.error.kind, 'network');
      sim.faults.authDown(false);
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.released.length, 1);
    });
  });

  describe('payload forms and normalisation', () => {
    it('takes an array of serials with the node product code, de-duplicated', async () => {
      const h = await deploy({ sim, release: { productCode: SAMPLE_PRODUCT_CODE } });
      await run(h, { payload: ['DDGHG6NTP162PDWXEEAF', ' DDGHG6NTP162PDWXEEAF ', 'V3HBM4FNP3CHK006WBPT'] });
      assert.deepEqual(JSON.parse(sim.releaseRequests()[0]!.body).serials, SAMPLE_SERIALS);
      assert.equal(h.released[0]!.movilitas.duplicatesRemoved, 1);
    });

    it('takes one serial per line, the product code from msg via the typedInput', async () => {
      const h = await deploy({ sim, release: { productCode: 'product', productCodeType: 'msg' } });
      await run(h, { payload: 'DDGHG6NTP162PDWXEEAF\n\nV3HBM4FNP3CHK006WBPT\n', product: '1234567891231' } as Msg);
      const body = JSON.parse(sim.releaseRequests()[0]!.body);
      assert.equal(body.product_code, SAMPLE_PRODUCT_CODE, 'GTIN-13 padded to 14 digits');
      assert.deepEqual(body.serials, SAMPLE_SERIALS);
    });

    it('takes the product code from an environment variable', async () => {
      process.env.MOVILITAS_TEST_GTIN = SECOND_PRODUCT_CODE;
      try {
        const h = await deploy({ sim, release: { productCode: 'MOVILITAS_TEST_GTIN', productCodeType: 'env' } });
        const [s] = sim.assign(SECOND_PRODUCT_CODE, 1);
        await run(h, { payload: s });
        assert.equal(JSON.parse(sim.releaseRequests()[0]!.body).product_code, SECOND_PRODUCT_CODE);
        assert.equal(h.released.length, 1);
      } finally {
        delete process.env.MOVILITAS_TEST_GTIN;
      }
    });

    it('decodes a Buffer payload holding JSON', async () => {
      const h = await deploy({ sim });
      await run(h, { payload: Buffer.from(JSON.stringify({ product_code: SAMPLE_PRODUCT_CODE, serials: SAMPLE_SERIALS })) });
      assert.equal(h.released.length, 1);
    });

    it('sends nothing from msg.headers of an earlier HTTP node', async () => {
      const h = await deploy({ sim });
      await run(h, {
        payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] },
        headers: { 'x-leak': 'yes', authorization: 'Basic bGVhaw==' },
        url: 'http://127.0.0.1:1/elsewhere',
        method: 'DELETE',
      } as Msg);
      const req = sim.releaseRequests()[0]!;
      assert.equal(req.headers['x-leak'], undefined);
      assert.equal(req.headers.authorization, undefined);
      assert.equal(req.method, 'POST');
      assert.equal(h.released.length, 1);
    });

    it('splits long lists into requests of maxSerialsPerRequest', async () => {
      const h = await deploy({ sim, release: { maxSerialsPerRequest: 2 } });
      const serials = sim.assign(SAMPLE_PRODUCT_CODE, 5);
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials } });
      const sent = sim.releaseRequests().map((r) => JSON.parse(r.body).serials as string[]);
      assert.deepEqual(sent.map((s) => s.length).sort(), [1, 2, 2]);
      assert.deepEqual(sent.flat().sort(), [...serials].sort());
      const out = h.released[0]!;
      assert.equal(out.movilitas.requests, 3);
      assert.equal(out.movilitas.attempts, 3);
      assert.equal(out.movilitas.count, 5);
    });

    it('reports released and failed serials of a split list, attempting every chunk', async () => {
      const h = await deploy({ sim, release: { maxSerialsPerRequest: 2 } });
      const good = sim.assign(SAMPLE_PRODUCT_CODE, 4);
      // The middle chunk names a serial the pool does not know: the API refuses that chunk only.
      const serials = [good[0]!, good[1]!, 'UNKNOWN0001', good[2]!, good[3]!];
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials } });
      const out = h.failed[0]!;
      assert.equal(out.error.kind, 'api-validation');
      assert.deepEqual(out.movilitas.releasedSerials.sort(), [good[0], good[1], good[3]].sort());
      assert.deepEqual(out.movilitas.failedSerials.sort(), ['UNKNOWN0001', good[2]].sort());
      assert.equal(out.error.details.failures.length, 1);
      assert.equal(out.movilitas.requests, 3);
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, good[3]!), 'Available');
    });

    it('a 2xx with an empty body is a success with a null payload', async () => {
      const h = await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 200, body: '' } });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } });
      assert.equal(h.released.length, 1);
      assert.equal(h.released[0]!.payload, null);
    });
  });

  describe('classified failures on output 2', () => {
    const one = { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['DDGHG6NTP162PDWXEEAF'] } };

    async function failWith(h: Harness): Promise<Msg> {
      await run(h, structuredClone(one));
      assert.equal(h.released.length, 0);
      assert.equal(h.failed.length, 1);
      assert.equal(h.completed.length, 1, 'done() once');
      return h.failed[0]!;
    }

    it('channel: the API refuses the channel key', async () => {
      const out = await failWith(await deploy({ sim, credentials: { channelKey: 'not-a-channel' } }));
      assert.equal(out.error.kind, 'channel');
      assert.equal(out.error.statusCode, 400);
    });

    it('request: the API could not parse the body', async () => {
      const h = await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 400, body: JSON.stringify({ success: false, message: 'Request body could not be parsed' }) } });
      assert.equal((await failWith(h)).error.kind, 'request');
    });

    it('request: the API refuses the size (413)', async () => {
      await sim.close();
      sim = await startSimulator({ maxSerialsPerRequest: 1 });
      const h = await deploy({ sim });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: SAMPLE_SERIALS } });
      assert.equal(h.failed[0]!.error.kind, 'request');
      assert.equal(h.failed[0]!.error.statusCode, 413);
    });

    it('api-validation: details from the API are kept', async () => {
      const h = await deploy({ sim });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: ['NOTINPOOL'] } });
      const err = h.failed[0]!.error;
      assert.equal(err.kind, 'api-validation');
      assert.ok(JSON.stringify(err.details).includes('NOTINPOOL'));
      assert.equal(typeof err.response, 'string');
    });

    it('product-not-found: a valid GTIN the tenant has not registered', async () => {
      const h = await deploy({ sim });
      await run(h, { payload: { product_code: '09506000134369', serials: ['A1'] } });
      assert.equal(h.failed[0]!.error.kind, 'product-not-found');
    });

    it('network: nothing listens at the base URL', async () => {
      const url = sim.url;
      await sim.close();
      sim = await startSimulator();
      const h = await deploy({ sim, config: { baseUrl: url } });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'network');
      assert.equal(out.error.code, 'ECONNREFUSED');
      assert.equal(out.error.retryable, true);
    });

    it('timeout: no answer within the timeout', async () => {
      const h = await deploy({ sim, config: { timeout: 300, authMode: 'static' } });
      sim.faults.add({ target: 'release', action: { type: 'hang' } });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'timeout');
      assert.equal(out.error.retryable, true);
    });

    it('unexpected-response: a 200 that is not JSON', async () => {
      const h = await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'not-json-200', body: '<html><title>Login</title></html>' } });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'unexpected-response');
      assert.match(out.error.message, /Login/);
    });

    it('server: an HTML 500 page from a proxy', async () => {
      const h = await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 500, contentType: 'text/html', body: '<html><head><title>500 Internal Server Error</title></head></html>' } });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'server');
      assert.equal(out.error.statusCode, 500);
    });

    it('config: no config node', async () => {
      const h = await deploy({ noConfig: true });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'config');
      assert.ok(h.statuses.some((s) => s.fill === 'grey' && s.shape === 'ring'), JSON.stringify(h.statuses));
    });

    it('config: an empty channel key, with no request', async () => {
      const h = await deploy({ sim, credentials: { channelKey: '   ' } });
      const out = await failWith(h);
      assert.equal(out.error.kind, 'config');
      assert.match(out.error.message, /channel key is missing/);
      assert.equal(sim.requests.length, 0);
      assert.ok(h.statuses.some((s) => s.fill === 'red' && s.shape === 'ring'));
    });

    it('config: a base URL that is not http(s)', async () => {
      const out = await failWith(await deploy({ sim, config: { baseUrl: 'ftp://127.0.0.1/' } }));
      assert.equal(out.error.kind, 'config');
      assert.match(out.error.message, /http or https/);
    });

    it('calls done(err) for Catch nodes when reportToCatch is on, once', async () => {
      const h = await deploy({ sim, release: { reportToCatch: true } });
      h.send({ payload: 'x' });
      await h.settle(1);
      assert.equal(h.failed.length, 1);
      assert.equal(h.caught.length, 1);
      assert.equal(h.completed.length, 0);
      assert.match(h.caught[0]!.error.message, /No product code/);
    });
  });

  describe('status', () => {
    it('shows releasing, then released N', async () => {
      const h = await deploy({ sim });
      await run(h, { payload: { product_code: SAMPLE_PRODUCT_CODE, serials: SAMPLE_SERIALS } });
      await new Promise((r) => setTimeout(r, 300));
      const last = h.statuses[h.statuses.length - 1]!;
      assert.deepEqual(last, { fill: 'green', shape: 'dot', text: 'movilitas-release-serials.status.released' });
    });

    it('shows a red ring with the failure kind', async () => {
      const h = await deploy({ sim });
      await run(h, { payload: 'x' });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(h.statuses[h.statuses.length - 1], { fill: 'red', shape: 'ring', text: 'movilitas-release-serials.status.failed.validation' });
    });
  });
});
