// Tests of the Movilitas API simulator (src/simulator), against the real server on 127.0.0.1.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  DEFAULT_CHANNEL_KEY,
  DEFAULT_STATIC_TOKEN,
  SAMPLE_PRODUCT_CODE,
  SAMPLE_SERIALS,
  startSimulator,
  type FaultAction,
  type Simulator,
  type SimulatorOptions,
  type TokenField,
} from '../src/simulator';

const AUTH = '/v1/api_auth';
const RELEASE = '/v1/manufacturer/v2/api/serials/release';
const SECOND = '09506000134352';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

async function call(sim: Simulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(sim.url + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

function releaseBody(serials: unknown, productCode: unknown = SAMPLE_PRODUCT_CODE, schema: unknown = 'GTIN'): Record<string, unknown> {
  return { product_code: productCode, product_code_schema: schema, serials };
}

function release(sim: Simulator, body: unknown, headers?: Record<string, string>): Promise<Reply> {
  const h = headers ?? { 'x-access-token': DEFAULT_STATIC_TOKEN, 'x-channel-key': DEFAULT_CHANNEL_KEY };
  return call(sim, 'POST', RELEASE, body, h);
}

function authenticate(sim: Simulator, key = DEFAULT_API_KEY, secret = DEFAULT_API_SECRET): Promise<Reply> {
  return call(sim, 'POST', AUTH, { api_key: key, api_secret: secret });
}

function jwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index];
  assert.ok(part, 'token has three parts');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function tokenAt(body: unknown, field: TokenField): unknown {
  let v: unknown = body;
  for (const k of field.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

/** Resolves to the error when the promise rejects; fails when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the request to fail without an answer');
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('simulator', function () {
  let sim: Simulator;
  const open: Simulator[] = [];

  async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
    const s = await startSimulator({ quiet: true, ...opts });
    open.push(s);
    return s;
  }

  beforeEach(async function () {
    sim = await start();
  });

  afterEach(async function () {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  describe('startup and seed', function () {
    it('listens on 127.0.0.1 on a free port', function () {
      assert.ok(sim.port > 0);
      assert.equal(sim.url, `http://127.0.0.1:${sim.port}`);
    });

    it('seeds the sample product with the sample serials Assigned and 100 Available, and a second valid GTIN with 50/50', function () {
      const st = sim.state();
      assert.deepEqual(st.products[SAMPLE_PRODUCT_CODE], { assigned: 2, available: 100 });
      assert.deepEqual(st.products[SECOND], { assigned: 50, available: 50 });
      assert.equal(Object.keys(st.products).length, 2);
      for (const s of SAMPLE_SERIALS) assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, s), 'Assigned');
      assert.equal(SAMPLE_PRODUCT_CODE, '01234567891231');
    });

    it('takes a product seed and refuses product codes that are not valid GTIN-14s', async function () {
      const custom = await start({ products: { [SECOND]: { assigned: ['A1'], available: ['B2'] } } });
      assert.deepEqual(custom.state().products, { [SECOND]: { assigned: 1, available: 1 } });
      await assert.rejects(startSimulator({ quiet: true, products: { '01234567891234': {} } }), /check digit/);
      assert.throws(() => sim.addProduct('1234'), /GTIN/);
      assert.throws(() => sim.addProduct('09506000134353'), /check digit/);
      sim.addProduct('00000000000000');
      assert.deepEqual(sim.state().products['00000000000000'], { assigned: 0, available: 0 });
    });
  });

  describe('POST /v1/api_auth', function () {
    const fields: TokenField[] = ['token', 'access_token', 'accessToken', 'data.token', 'data.access_token'];
    for (const field of fields) {
      it(`answers the token at "${field}" and the token opens the release endpoint`, async function () {
        const s = await start({ tokenField: field });
        const r = await authenticate(s);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
        const body = r.body as Record<string, unknown>;
        assert.equal(body.success, true);
        assert.equal(body.message, 'Authentication successful');
        const token = tokenAt(body, field);
        assert.equal(typeof token, 'string');
        for (const other of fields.filter((f) => f !== field && !field.startsWith(`${f}.`))) {
          assert.equal(tokenAt(body, other), undefined, `no token at ${other}`);
        }
        const rel = await release(s, releaseBody([SAMPLE_SERIALS[0]]), { 'x-access-token': token as string, 'x-channel-key': DEFAULT_CHANNEL_KEY });
        assert.equal(rel.status, 200);
      });
    }

    it('issues an HS256 JWT whose payload is {key, _id, iat, exp} with exp - iat = the TTL', async function () {
      const r = await authenticate(sim);
      const token = (r.body as { token: string }).token;
      assert.deepEqual(jwtPart(token, 0), { alg: 'HS256', typ: 'JWT' });
      const p = jwtPart(token, 1);
      assert.deepEqual(Object.keys(p).sort(), ['_id', 'exp', 'iat', 'key']);
      assert.equal(p.key, DEFAULT_API_KEY);
      assert.match(String(p._id), /^[0-9a-f]{24}$/);
      assert.equal(Number(p.exp) - Number(p.iat), 86400);
      assert.ok(Math.abs(Number(p.iat) - Date.now() / 1000) < 5);

      const short = await start({ tokenTtlSeconds: 120 });
      const p2 = jwtPart(((await authenticate(short)).body as { token: string }).token, 1);
      assert.equal(Number(p2.exp) - Number(p2.iat), 120);

      sim.setTokenTtl(7);
      const p3 = jwtPart(((await authenticate(sim)).body as { token: string }).token, 1);
      assert.equal(Number(p3.exp) - Number(p3.iat), 7);
      assert.equal(sim.state().tokensIssued, 2);
    });

    it('rejects a wrong secret or key with 401 ERR0000', async function () {
      for (const [k, s] of [
        [DEFAULT_API_KEY, 'wrong-secret'],
        ['wrong-key', DEFAULT_API_SECRET],
      ] as const) {
        const r = await authenticate(sim, k, s);
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { success: false, code: 'ERR0000', message: 'Invalid API key or secret' });
      }
      assert.equal(sim.state().tokensIssued, 0);
    });

    it('answers 400 to an unparsable body and 422 to a body without the fields', async function () {
      const bad = await call(sim, 'POST', AUTH, '{"api_key": "x",');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { success: false, message: 'Request body could not be parsed' });
      const missing = await call(sim, 'POST', AUTH, { api_key: DEFAULT_API_KEY });
      assert.equal(missing.status, 422);
      assert.deepEqual(missing.body, {
        success: false,
        message: 'Validation error',
        details: [{ field: 'api_secret', message: 'api_secret is required' }],
      });
    });
  });

  describe('POST /v1/manufacturer/v2/api/serials/release: the error table, in order', function () {
    const ok = () => releaseBody([SAMPLE_SERIALS[0]]);

    it('401 ERR0001 when no token is given (checked before the channel and the body)', async function () {
      const r = await release(sim, 'not json', {});
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { success: false, code: 'ERR0001', message: 'No token provided' });
      const basic = await release(sim, ok(), { authorization: 'Basic abc', 'x-channel-key': DEFAULT_CHANNEL_KEY });
      assert.equal((basic.body as { code: string }).code, 'ERR0001');
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, SAMPLE_SERIALS[0]!), 'Assigned');
    });

    it('401 ERR0000 for a bad signature, an expired, a revoked or an unknown static token', async function () {
      const expected = { success: false, code: 'ERR0000', message: 'Failed to authenticate token' };
      const good = sim.issueToken();
      const [h, p, s] = good.split('.') as [string, string, string];
      const payload = jwtPart(good, 1);
      const forgedPayload = Buffer.from(JSON.stringify({ ...payload, exp: Number(payload.exp) + 1 })).toString('base64url');
      const other = await start();
      const bad: Record<string, string> = {
        tampered: `${h}.${forgedPayload}.${s}`,
        'bad signature': `${h}.${p}.${s.slice(0, -2)}AA`,
        'other simulator': other.issueToken(),
        expired: sim.issueToken({ ttlSeconds: -1 }),
        'unknown static': 'not-a-token',
      };
      for (const [what, token] of Object.entries(bad)) {
        const r = await release(sim, 'not json', { 'x-access-token': token });
        assert.equal(r.status, 401, what);
        assert.deepEqual(r.body, expected, what);
      }
      assert.equal((await release(sim, ok(), { 'x-access-token': good, 'x-channel-key': DEFAULT_CHANNEL_KEY })).status, 200);
      sim.revokeTokens();
      const revoked = await release(sim, ok(), { 'x-access-token': good, 'x-channel-key': DEFAULT_CHANNEL_KEY });
      assert.equal(revoked.status, 401);
      assert.deepEqual(revoked.body, expected);
      const fresh = sim.issueToken();
      assert.equal((await release(sim, ok(), { 'x-access-token': fresh, 'x-channel-key': DEFAULT_CHANNEL_KEY })).status, 200);
      assert.equal((await release(sim, ok(), { 'x-access-token': DEFAULT_STATIC_TOKEN, 'x-channel-key': DEFAULT_CHANNEL_KEY })).status, 200);
    });

    it('a token that expires while in use stops working', async function () {
      const token = sim.issueToken({ ttlSeconds: 1 });
      const headers = { 'x-access-token': token, 'x-channel-key': DEFAULT_CHANNEL_KEY };
      assert.equal((await release(sim, ok(), headers)).status, 200);
      const exp = Number(jwtPart(token, 1).exp) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, exp - Date.now()) + 20));
      assert.equal((await release(sim, ok(), headers)).status, 401);
    });

    it('takes the token from Authorization: Bearer when x-access-token is absent', async function () {
      const token = sim.issueToken();
      const r = await release(sim, ok(), { authorization: `Bearer ${token}`, 'x-channel-key': DEFAULT_CHANNEL_KEY });
      assert.equal(r.status, 200);
      // x-access-token wins when both are sent
      const both = await release(sim, ok(), { 'x-access-token': 'bad', authorization: `Bearer ${token}`, 'x-channel-key': DEFAULT_CHANNEL_KEY });
      assert.equal(both.status, 401);
    });

    it('400 when the channel key is missing or unknown (checked before the body)', async function () {
      const expected = { success: false, message: 'Channel ID is missing or it needs to be in correct format' };
      const variants: Record<string, string>[] = [{ 'x-access-token': DEFAULT_STATIC_TOKEN }, { 'x-access-token': DEFAULT_STATIC_TOKEN, 'x-channel-key': 'nope' }];
      for (const headers of variants) {
        const r = await release(sim, 'not json', headers);
        assert.equal(r.status, 400);
        assert.deepEqual(r.body, expected);
      }
    });

    it('400 when the body is not JSON or not an object', async function () {
      for (const body of ['{"product_code": "01234567891231",', '', '[1,2]', 'null', '"text"']) {
        const r = await release(sim, body);
        assert.equal(r.status, 400, `body ${JSON.stringify(body)}`);
        assert.deepEqual(r.body, { success: false, message: 'Request body could not be parsed' });
      }
    });

    it('422 Validation error with details for a body of the wrong shape', async function () {
      const r = await release(sim, releaseBody(['OK1', 'OK2', 'OK3', 'has space'], '123', 'gtin'));
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, {
        success: false,
        message: 'Validation error',
        details: [
          { field: 'product_code', message: 'product_code must be a string of 14 digits (a GTIN-14)' },
          { field: 'product_code_schema', message: 'product_code_schema must be "GTIN"' },
          { field: 'serials[3]', message: 'serial contains a character outside the GS1 AI (21) character set' },
        ],
      });
      const cases: [unknown, string, string][] = [
        [releaseBody([]), 'serials', 'serials must not be empty'],
        [releaseBody('ABC'), 'serials', 'serials must be an array of strings'],
        [releaseBody(['']), 'serials[0]', 'serial must not be empty'],
        [releaseBody(['A', 'X'.repeat(21)]), 'serials[1]', 'serial must be at most 20 characters long'],
        [releaseBody(['A', 'B', 7]), 'serials[2]', 'serial must be a string'],
        [releaseBody(['ÄÖ']), 'serials[0]', 'serial contains a character outside the GS1 AI (21) character set'],
        [releaseBody(['A'], 1234567891231), 'product_code', 'product_code must be a string'],
        [{ product_code_schema: 'GTIN', serials: ['A'] }, 'product_code', 'product_code is required'],
      ];
      for (const [body, field, message] of cases) {
        const c = await release(sim, body);
        assert.equal(c.status, 422, field);
        assert.deepEqual((c.body as { details: unknown }).details, [{ field, message }]);
      }
      // every character of the 82 set is accepted
      const set82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
      assert.equal(set82.length, 82);
      const chunks = set82.match(/.{1,20}/g) ?? [];
      const s = await start({ acceptUnknownSerials: true });
      assert.equal((await release(s, releaseBody(chunks))).status, 200);
    });

    it('404 Product doesn\'t exist for a well-formed code that is not registered (the vendor sample\'s code)', async function () {
      const r = await release(sim, releaseBody([SAMPLE_SERIALS[0]], '01234567891234'));
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { success: false, message: "Product doesn't exist" });
    });

    it('422 naming the serials that are not in the pool, and changes nothing', async function () {
      const r = await release(sim, releaseBody([SAMPLE_SERIALS[0], 'UNKNOWN1', SAMPLE_SERIALS[1], 'UNKNOWN2']));
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, {
        success: false,
        message: 'Validation error',
        details: [
          { field: 'serials[1]', message: `Serial UNKNOWN1 is not in the serial pool of product ${SAMPLE_PRODUCT_CODE}`, value: 'UNKNOWN1' },
          { field: 'serials[3]', message: `Serial UNKNOWN2 is not in the serial pool of product ${SAMPLE_PRODUCT_CODE}`, value: 'UNKNOWN2' },
        ],
      });
      for (const s of SAMPLE_SERIALS) assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, s), 'Assigned');
      assert.equal(sim.state().releasedTotal, 0);
      // a serial of another product is unknown here too
      const [otherProducts] = sim.assign(SECOND, 1);
      assert.equal((await release(sim, releaseBody([otherProducts]))).status, 422);
    });

    it('with acceptUnknownSerials, unknown serials are created as Available', async function () {
      const s = await start({ acceptUnknownSerials: true });
      const r = await release(s, releaseBody(['NEW1', SAMPLE_SERIALS[0]]));
      assert.equal(r.status, 200);
      assert.equal(s.serialStatus(SAMPLE_PRODUCT_CODE, 'NEW1'), 'Available');
      assert.equal(s.serialStatus(SAMPLE_PRODUCT_CODE, SAMPLE_SERIALS[0]!), 'Available');
      assert.equal(s.state().createdTotal, 1);
      assert.equal(s.state().releasedTotal, 1);
    });

    it('413 when a request carries more serials than maxSerialsPerRequest', async function () {
      const s = await start({ maxSerialsPerRequest: 2 });
      const r = await release(s, releaseBody([...SAMPLE_SERIALS, 'X']));
      assert.equal(r.status, 413);
      assert.deepEqual(r.body, { success: false, message: 'Request entity too large' });
      assert.equal((await release(s, releaseBody([...SAMPLE_SERIALS]))).status, 200);
    });

    it('413 when the body is larger than maxBodyBytes', async function () {
      const s = await start({ maxBodyBytes: 100 });
      const r = await release(s, releaseBody(Array.from({ length: 20 }, (_, i) => `SERIAL${i}`)));
      assert.equal(r.status, 413);
      assert.equal(s.requests[0]?.body.length, 100);
    });

    it('404 JSON for other paths, 405 for other methods', async function () {
      const nf = await call(sim, 'POST', '/v1/manufacturer/v2/api/serials/commission', {});
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.body, { success: false, message: 'Not found' });
      const slash = await call(sim, 'POST', `${RELEASE}/`, {});
      assert.equal(slash.status, 404);
      const get = await call(sim, 'GET', RELEASE);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      assert.deepEqual(get.body, { success: false, message: 'Method not allowed' });
      assert.equal((await call(sim, 'PUT', AUTH, {})).status, 405);
    });
  });

  describe('a successful release', function () {
    it('moves Assigned serials to Available and answers the vendor\'s body', async function () {
      const before = sim.state().products[SAMPLE_PRODUCT_CODE];
      const r = await release(sim, releaseBody([...SAMPLE_SERIALS]));
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
      assert.deepEqual(r.body, { success: true, message: 'Serials released' });
      for (const s of SAMPLE_SERIALS) assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, s), 'Available');
      assert.deepEqual(sim.state().products[SAMPLE_PRODUCT_CODE], { assigned: before!.assigned - 2, available: before!.available + 2 });
      assert.equal(sim.state().releasedTotal, 2);
      assert.equal(sim.state().releaseRequests, 1);
    });

    it('is idempotent: releasing the same serials again succeeds and changes nothing more', async function () {
      const serials = sim.assign(SECOND, 3);
      assert.equal((await release(sim, releaseBody(serials, SECOND))).status, 200);
      const after = sim.state();
      const again = await release(sim, releaseBody([...serials, serials[0]], SECOND));
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { success: true, message: 'Serials released' });
      assert.deepEqual(sim.state().products, after.products);
      assert.equal(sim.state().releasedTotal, 3);
      assert.equal(sim.state().alreadyAvailableTotal, 3);
      for (const s of serials) assert.equal(sim.serialStatus(SECOND, s), 'Available');
    });
  });

  describe('assign()', function () {
    it('moves Available serials to Assigned and returns them', function () {
      const got = sim.assign(SECOND, 10);
      assert.equal(got.length, 10);
      assert.equal(new Set(got).size, 10);
      for (const s of got) assert.equal(sim.serialStatus(SECOND, s), 'Assigned');
      assert.deepEqual(sim.state().products[SECOND], { assigned: 60, available: 40 });
      assert.deepEqual(sim.assign(SECOND, 0), []);
    });

    it('creates new 20-character upper-case alphanumeric serials when too few are Available', function () {
      const got = sim.assign(SECOND, 70);
      assert.equal(new Set(got).size, 70);
      for (const s of got) {
        assert.match(s, /^[A-Z0-9]{20}$/);
        assert.equal(sim.serialStatus(SECOND, s), 'Assigned');
      }
      assert.deepEqual(sim.state().products[SECOND], { assigned: 120, available: 0 });
    });

    it('throws for an unknown product or a bad count', function () {
      assert.throws(() => sim.assign('01234567891234', 1), /doesn't exist/);
      assert.throws(() => sim.assign(SECOND, -1), RangeError);
      assert.throws(() => sim.assign(SECOND, 1.5), RangeError);
    });

    it('is offered by POST /_sim/assign', async function () {
      const r = await call(sim, 'POST', '/_sim/assign', { product_code: SECOND, count: 4 });
      assert.equal(r.status, 200);
      const serials = (r.body as { serials: string[] }).serials;
      assert.equal(serials.length, 4);
      for (const s of serials) assert.equal(sim.serialStatus(SECOND, s), 'Assigned');
      assert.equal((await call(sim, 'POST', '/_sim/assign', { product_code: '01234567891234', count: 1 })).status, 404);
      assert.equal((await call(sim, 'POST', '/_sim/assign', { product_code: SECOND, count: 'x' })).status, 422);
    });
  });

  describe('request log', function () {
    it('records method, path, headers, body, time and status of API requests, not of control requests', async function () {
      const t0 = Date.now();
      await call(sim, 'POST', `${RELEASE}?trace=1`, releaseBody(['A']), { 'x-access-token': 'T1', 'x-channel-key': 'K1', 'x-extra': 'E' });
      await call(sim, 'GET', '/_sim/state');
      await authenticate(sim);
      const log = sim.requests;
      assert.equal(log.length, 2);
      const [rel, auth] = log as [(typeof log)[0], (typeof log)[0]];
      assert.equal(rel.method, 'POST');
      assert.equal(rel.path, `${RELEASE}?trace=1`);
      assert.equal(rel.headers['x-access-token'], 'T1');
      assert.equal(rel.headers['x-channel-key'], 'K1');
      assert.equal(rel.headers['x-extra'], 'E');
      assert.equal(rel.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(rel.body), releaseBody(['A']));
      assert.equal(rel.status, 401);
      assert.ok(rel.receivedAt >= t0 && rel.receivedAt <= Date.now());
      assert.ok(auth.id > rel.id);
      assert.equal(auth.status, 200);
      assert.deepEqual(sim.releaseRequests().map((r) => r.id), [rel.id]);
      assert.deepEqual(sim.authRequests().map((r) => r.id), [auth.id]);
      sim.clearLog();
      assert.equal(sim.requests.length, 0);
    });

    it('keeps only the newest logLimit requests', async function () {
      const s = await start({ logLimit: 3 });
      for (let i = 0; i < 5; i++) await call(s, 'POST', `/x${i}`, {});
      assert.deepEqual(s.requests.map((r) => r.path), ['/x2', '/x3', '/x4']);
      assert.equal(s.state().requestsTotal, 5);
    });

    it('is served by GET /_sim/log?limit=N', async function () {
      for (let i = 0; i < 4; i++) await call(sim, 'POST', `/p${i}`, {});
      const r = await call(sim, 'GET', '/_sim/log?limit=2');
      assert.equal(r.status, 200);
      const body = r.body as { size: number; requests: { path: string; status: number }[] };
      assert.equal(body.size, 4);
      assert.deepEqual(body.requests.map((q) => q.path), ['/p2', '/p3']);
      assert.equal(body.requests[0]?.status, 404);
    });

    it('prints one line per request when quiet is false', async function () {
      const lines: string[] = [];
      const s = await start({ quiet: false, logger: (l) => lines.push(l) });
      await authenticate(s);
      await call(s, 'GET', '/_sim/state');
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /^POST \/v1\/api_auth 200 [\d.]+ms$/);
    });
  });

  describe('fault injection', function () {
    const serial = SAMPLE_SERIALS[0]!;
    const body = () => releaseBody([serial]);

    it('status: answers the given status, body, content type and headers without applying the release', async function () {
      const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      sim.faults.add({ target: 'release', action: { type: 'status', status: 502, body: page, contentType: 'text/html', headers: { 'x-proxy': 'nginx' } } });
      const r = await release(sim, body());
      assert.equal(r.status, 502);
      assert.equal(r.text, page);
      assert.equal(r.headers.get('content-type'), 'text/html');
      assert.equal(r.headers.get('x-proxy'), 'nginx');
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Assigned');
      assert.equal(sim.requests[0]?.fault, 'status');
      assert.equal(sim.requests[0]?.status, 502);
      // consumed: the next request is handled normally
      assert.equal((await release(sim, body())).status, 200);
      assert.equal(sim.faults.injected, 1);
    });

    it('status without a body answers a JSON error', async function () {
      sim.faults.add({ action: { type: 'status', status: 500 } });
      const r = await release(sim, body());
      assert.equal(r.status, 500);
      assert.deepEqual(r.body, { success: false, message: 'Simulated fault: HTTP 500' });
    });

    it('retry-after: 429 or 503 with a Retry-After header in seconds or as an HTTP date', async function () {
      const date = new Date(Date.now() + 5000).toUTCString();
      sim.faults.add({ action: { type: 'retry-after', status: 429, retryAfter: 0 } });
      sim.faults.add({ action: { type: 'retry-after', status: 503, retryAfter: date } });
      const a = await release(sim, body());
      assert.equal(a.status, 429);
      assert.equal(a.headers.get('retry-after'), '0');
      const b = await release(sim, body());
      assert.equal(b.status, 503);
      assert.equal(b.headers.get('retry-after'), date);
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Assigned');
    });

    it('delay: answers normally after the delay', async function () {
      sim.faults.add({ action: { type: 'delay', ms: 300 } });
      const t0 = Date.now();
      const r = await release(sim, body());
      assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`);
      assert.equal(r.status, 200);
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Available');
    });

    it('destroy-before: the socket is destroyed and the release is not applied', async function () {
      sim.faults.add({ action: { type: 'destroy-before' } });
      await rejection(release(sim, body()));
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Assigned');
      const entry = sim.releaseRequests()[0];
      assert.equal(entry?.fault, 'destroy-before');
      assert.equal(entry?.status, undefined);
    });

    it('destroy-after: the release is applied, then the socket is destroyed without an answer', async function () {
      sim.faults.add({ action: { type: 'destroy-after' } });
      await rejection(release(sim, body()));
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Available');
      assert.equal(sim.state().releasedTotal, 1);
    });

    it('not-json-200: 200 with an HTML or a text body, release not applied', async function () {
      sim.faults.add({ action: { type: 'not-json-200' } });
      sim.faults.add({ action: { type: 'not-json-200', body: 'OK' } });
      const html = await release(sim, body());
      assert.equal(html.status, 200);
      assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(html.body, undefined);
      const text = await release(sim, body());
      assert.equal(text.status, 200);
      assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(text.text, 'OK');
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Assigned');
    });

    it('hang: never answers; close() releases it promptly', async function () {
      sim.faults.add({ action: { type: 'hang' } });
      const pending = rejection(release(sim, body()));
      await waitFor(() => sim.requests.length === 1);
      let settled = false;
      void pending.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(settled, false, 'a hanging request is not answered');
      const t0 = Date.now();
      await sim.close();
      assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
      await pending;
      assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial), 'Assigned');
    });

    it('matches targets, consumes rules in FIFO order and honours times (Infinity too)', async function () {
      sim.faults.add({ target: 'auth', action: { type: 'status', status: 500 }, times: 2 });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 502 } });
      sim.faults.add({ target: 'any', action: { type: 'status', status: 504 } });
      assert.equal((await release(sim, body())).status, 502);
      assert.equal((await release(sim, body())).status, 504);
      assert.equal((await release(sim, body())).status, 200);
      assert.equal((await authenticate(sim)).status, 500);
      assert.equal((await authenticate(sim)).status, 500);
      assert.equal((await authenticate(sim)).status, 200);
      sim.faults.add({ target: 'release', action: { type: 'status', status: 503 }, times: Infinity });
      for (let i = 0; i < 5; i++) assert.equal((await release(sim, body())).status, 503);
      assert.equal((await authenticate(sim)).status, 200);
      assert.equal(sim.faults.injected, 9);
      sim.faults.clear();
      assert.equal((await release(sim, body())).status, 200);
      assert.throws(() => sim.faults.add({ action: { type: 'status', status: 99 } }), TypeError);
      assert.throws(() => sim.faults.add({ action: { type: 'delay', ms: 1 }, times: 0 }), TypeError);
    });

    it('authDown: the auth endpoint destroys the socket while down', async function () {
      sim.faults.authDown(true);
      await rejection(authenticate(sim));
      assert.equal((await release(sim, body())).status, 200, 'release still works');
      assert.equal(sim.authRequests()[0]?.fault, 'auth-down');
      sim.faults.authDown(false);
      assert.equal((await authenticate(sim)).status, 200);
    });

    it('random faults are reproducible with a seed', async function () {
      async function run(seed: number): Promise<string[]> {
        const s = await start({ acceptUnknownSerials: true });
        s.faults.random({ rate: 0.5, seed, target: 'release' });
        for (let i = 0; i < 40; i++) await release(s, releaseBody([`S${i}`])).catch(() => undefined);
        await authenticate(s); // not a release: never faulted
        assert.equal(s.authRequests()[0]?.fault, undefined);
        return s.requests.slice(0, 40).map((r) => `${r.fault ?? '-'}:${r.status ?? 'x'}`);
      }
      const a = await run(42);
      const b = await run(42);
      const c = await run(7);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      const faulted = a.filter((x) => !x.startsWith('-')).length;
      assert.ok(faulted > 8 && faulted < 32, `${faulted} of 40 faulted at rate 0.5`);
      const kinds = new Set(a.map((x) => x.split(':')[0]));
      for (const k of ['status', 'retry-after', 'destroy-before', 'destroy-after', 'delay']) assert.ok(kinds.has(k), `default mix has ${k}: ${[...kinds].join(',')}`);
    });

    it('random faults use the given actions and rate', async function () {
      const actions: FaultAction[] = [{ type: 'status', status: 418 }];
      sim.faults.random({ rate: 1, seed: 1, actions });
      for (let i = 0; i < 3; i++) assert.equal((await authenticate(sim)).status, 418);
      sim.faults.random({ rate: 0, seed: 1, actions });
      assert.equal((await authenticate(sim)).status, 200);
      assert.equal(sim.state().faults.random?.rate, 0);
      assert.throws(() => sim.faults.random({ rate: 2 }), TypeError);
    });

    it('are configured over POST /_sim/faults and cleared by DELETE /_sim/faults', async function () {
      const a = await call(sim, 'POST', '/_sim/faults', { target: 'release', action: { type: 'status', status: 503 }, times: 'Infinity' });
      assert.equal(a.status, 200);
      assert.equal((await release(sim, body())).status, 503);
      assert.equal((await release(sim, body())).status, 503);
      assert.equal((await call(sim, 'POST', '/_sim/faults', { random: { rate: 1, seed: 3 } })).status, 200);
      assert.equal(sim.state().faults.random?.seed, 3);
      assert.equal((await call(sim, 'POST', '/_sim/faults', { authDown: true })).status, 200);
      assert.equal(sim.state().faults.authDown, true);
      const bad = await call(sim, 'POST', '/_sim/faults', { action: { type: 'explode' } });
      assert.equal(bad.status, 422);
      assert.equal((bad.body as { details: { field: string }[] }).details[0]?.field, 'action.type');
      assert.equal((await call(sim, 'DELETE', '/_sim/faults')).status, 200);
      assert.deepEqual(sim.state().faults, { pendingRules: 0, random: null, authDown: false, injected: 2 });
      assert.equal((await release(sim, body())).status, 200);
    });
  });

  describe('reset() and control endpoints', function () {
    it('reset() restores the same seed, the token TTL, and clears the log and the faults', async function () {
      const before = sim.assign(SECOND, 50); // the 50 seeded Available serials
      await release(sim, releaseBody([...SAMPLE_SERIALS]));
      sim.faults.add({ action: { type: 'hang' }, times: Infinity });
      sim.setTokenTtl(5);
      sim.addProduct('00000000000000');
      sim.reset();
      assert.deepEqual(sim.state().products, {
        [SAMPLE_PRODUCT_CODE]: { assigned: 2, available: 100 },
        [SECOND]: { assigned: 50, available: 50 },
      });
      for (const s of before) assert.equal(sim.serialStatus(SECOND, s), 'Available');
      assert.equal(sim.requests.length, 0);
      assert.equal(sim.state().tokenTtlSeconds, 86400);
      assert.equal(sim.state().faults.pendingRules, 0);
      assert.equal((await release(sim, releaseBody([...SAMPLE_SERIALS]))).status, 200);
    });

    it('GET /_sim/state, POST /_sim/reset, POST /_sim/products, POST /_sim/revoke-tokens, 404 and 405', async function () {
      const st = await call(sim, 'GET', '/_sim/state');
      assert.equal(st.status, 200);
      assert.deepEqual((st.body as { products: unknown }).products, sim.state().products);
      assert.equal((await call(sim, 'POST', '/_sim/products', { product_code: '00000000000017' })).status, 200);
      assert.ok(sim.state().products['00000000000017']);
      assert.equal((await call(sim, 'POST', '/_sim/products', { product_code: '00000000000018' })).status, 422);
      const token = sim.issueToken();
      assert.equal((await call(sim, 'POST', '/_sim/revoke-tokens')).status, 200);
      assert.equal((await release(sim, releaseBody(['A']), { 'x-access-token': token })).status, 401);
      assert.equal((await call(sim, 'GET', '/_sim/nope')).status, 404);
      assert.equal((await call(sim, 'POST', '/_sim/state')).status, 405);
      assert.equal((await call(sim, 'POST', '/_sim/assign', '{bad')).status, 400);
      assert.equal(sim.requests.length, 1, 'only the release request is logged');
      assert.equal((await call(sim, 'POST', '/_sim/reset')).status, 200);
      assert.equal(sim.state().products['00000000000017'], undefined);
      assert.equal(sim.requests.length, 0);
      const text = JSON.stringify((await call(sim, 'GET', '/_sim/state')).body);
      assert.doesNotMatch(text, /secret/i);
    });
  });

  describe('dropConnections()', function () {
    it('drops idle keep-alive connections, and busy ones only with all', async function () {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const closed: string[] = [];
      const get = (path: string) =>
        new Promise<{ status: number; socket: import('node:net').Socket }>((resolve, reject) => {
          const req = http.request(`${sim.url}${path}`, { agent, method: 'GET' }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket! }));
          });
          req.on('error', reject);
          req.end();
        });
      try {
        const first = await get('/a');
        first.socket.on('close', () => closed.push('first'));
        assert.equal(sim.dropConnections(), 1);
        await waitFor(() => closed.length === 1);
        const second = await get('/b');
        assert.equal(second.status, 404);
        assert.notEqual(second.socket, first.socket, 'a new connection after the drop');

        sim.faults.add({ action: { type: 'hang' } });
        const hanging = rejection(release(sim, releaseBody(['A'])));
        await waitFor(() => sim.requests.length === 3);
        assert.equal(sim.dropConnections(), 1, 'only the idle keep-alive socket');
        assert.equal(sim.dropConnections({ all: true }), 1, 'the hanging one too');
        await hanging;
        assert.equal((await release(sim, releaseBody([SAMPLE_SERIALS[0]]))).status, 200, 'still listening');
      } finally {
        agent.destroy();
      }
    });
  });

  describe('close()', function () {
    it('finishes promptly with keep-alive sockets and a hanging request open', async function () {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      try {
        const get = () =>
          new Promise<number>((resolve, reject) => {
            const req = http.request(`${sim.url}/nope`, { agent, method: 'GET' }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end();
          });
        assert.deepEqual(await Promise.all([get(), get(), get()]), [404, 404, 404]);
        const idle = Object.values(agent.freeSockets).flat().length;
        assert.ok(idle >= 1, 'keep-alive sockets are open');
        sim.faults.add({ action: { type: 'hang' } });
        sim.faults.add({ action: { type: 'delay', ms: 60_000 } });
        const hanging = rejection(release(sim, releaseBody(['A'])));
        const delayed = rejection(release(sim, releaseBody(['B'])));
        await waitFor(() => sim.requests.length === 5);
        const t0 = Date.now();
        await sim.close();
        const took = Date.now() - t0;
        assert.ok(took < 1000, `close took ${took} ms`);
        await hanging;
        await delayed;
        await sim.close(); // a second close is fine
        await rejection(fetch(`${sim.url}/nope`));
      } finally {
        agent.destroy();
      }
    });
  });
});
