/**
 * The config dialog's "Test connection" button, over HTTP: POST /movilitas/test-connection on
 * Node-RED's admin app (node-red-node-test-helper's supertest agent), against the simulator.
 * The permission check needs a runtime with adminAuth: test/package.e2e.test.ts covers it.
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, helper, httpProxyModule, tlsConfigModule, unload } from './support/flow';
import { testPki } from './support/pki';
import { startProxy } from './support/proxy';

const PATH = '/movilitas/test-connection';

describe('Test connection (admin endpoint)', () => {
  let sim: Simulator;
  /** Every value that must never come back in a response. */
  let secrets: string[];

  beforeEach(async () => {
    sim = await startSimulator();
    const c = sim.credentials;
    secrets = [c.apiKey, c.apiSecret, c.staticToken!, c.channelKey!, 'wrong-secret-value', 'wrong-channel-key-value'];
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  /** The dialog's values for the simulator; `over` replaces fields, `credentials` the typed credentials. */
  function dialog(over: Record<string, unknown> = {}, credentials: Record<string, string> = {}): Record<string, unknown> {
    const c = sim.credentials;
    return {
      id: 'not-deployed',
      environment: 'custom',
      baseUrl: sim.url,
      authMode: 'dynamic',
      tokenHeader: 'x-access-token',
      timeout: '5000',
      tls: '',
      proxy: '',
      ...over,
      credentials: { apiKey: c.apiKey, apiSecret: c.apiSecret, token: c.staticToken!, channelKey: c.channelKey!, ...credentials },
    };
  }

  async function post(body: unknown): Promise<Record<string, any>> {
    const res = await helper.request().post(PATH).send(body);
    assert.equal(res.status, 200, res.text);
    for (const s of secrets) assert.ok(!res.text.includes(s), `the response must not contain the secret "${s}"`);
    // The typed or saved token from the auth call must not come back either.
    assert.ok(!/ey[\w-]+\.[\w-]+\.[\w-]+/.test(res.text), 'no JWT in the response');
    return res.body;
  }

  it('dynamic: gets a token, has the channel key accepted, and releases nothing', async () => {
    await deploy({ sim });
    const before = sim.state();
    const out = await post(dialog());
    assert.equal(out.ok, true);
    assert.equal(out.result, 'connected');
    assert.equal(out.message, 'Connected: token received, channel key accepted');
    assert.equal(out.authMode, 'dynamic');
    assert.equal(out.baseUrl, sim.url);
    assert.equal(sim.authRequests().length, 1);
    const [release] = sim.releaseRequests();
    assert.equal(sim.releaseRequests().length, 1);
    assert.deepEqual(JSON.parse(release!.body).serials, [], 'the probe carries no serial');
    assert.equal(release!.status, 422, 'the simulator answered "Validation error": token and channel passed');
    assert.equal(release!.headers['x-channel-key'], sim.credentials.channelKey);
    const after = sim.state();
    assert.equal(after.releasedTotal, before.releasedTotal);
    assert.deepEqual(after.products[SAMPLE_PRODUCT_CODE], before.products[SAMPLE_PRODUCT_CODE]);
  });

  it('static: checks the token and the channel key with one release call, no auth call', async () => {
    await deploy({ sim });
    const out = await post(dialog({ authMode: 'static', tokenHeader: 'bearer' }));
    assert.equal(out.ok, true);
    assert.equal(out.result, 'connected');
    assert.equal(out.message, 'Connected: token and channel key accepted');
    assert.equal(sim.authRequests().length, 0);
    const [release] = sim.releaseRequests();
    assert.equal(release!.headers.authorization, `Bearer ${sim.credentials.staticToken}`);
    assert.equal(release!.headers['x-access-token'], undefined);
  });

  it('a wrong API secret: "The API refused the API key and secret", no release call', async () => {
    await deploy({ sim });
    const out = await post(dialog({}, { apiSecret: 'wrong-secret-value' }));
    assert.equal(out.ok, false);
    assert.equal(out.result, 'key-secret-refused');
    assert.equal(out.step, 'auth');
    assert.equal(out.message, 'The API refused the API key and secret (HTTP 401 ERR0000)');
    assert.equal(out.statusCode, 401);
    assert.equal(out.code, 'ERR0000');
    assert.equal(sim.releaseRequests().length, 0);
  });

  it('a wrong channel key: the token is accepted, the channel key refused', async () => {
    await deploy({ sim });
    const out = await post(dialog({}, { channelKey: 'wrong-channel-key-value' }));
    assert.equal(out.ok, false);
    assert.equal(out.result, 'channel-refused');
    assert.equal(out.step, 'release');
    assert.equal(out.message, 'The token was accepted, but the API refused the channel key (HTTP 400)');
  });

  it('a wrong static token: "The API refused the token"', async () => {
    await deploy({ sim });
    const out = await post(dialog({ authMode: 'static' }, { token: 'wrong-secret-value' }));
    assert.equal(out.result, 'token-refused');
    assert.equal(out.message, 'The API refused the token (HTTP 401 ERR0000)');
  });

  it('an unreachable URL: one attempt, "Could not reach the API", retries not applied', async () => {
    await deploy({ sim });
    const closed = await startSimulator();
    const url = closed.url;
    await closed.close();
    const started = Date.now();
    const out = await post(dialog({ baseUrl: url, retries: '5' }));
    assert.equal(out.ok, false);
    assert.equal(out.result, 'unreachable');
    assert.equal(out.code, 'ECONNREFUSED');
    assert.equal(out.message, `Could not reach the API at ${url} (ECONNREFUSED)`);
    assert.ok(Date.now() - started < 3000, 'no backoff');
  });

  describe('faults say what they are, each request sent once', () => {
    it('a 500 from the auth call: a server error', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'auth', action: { type: 'status', status: 500 } });
      const out = await post(dialog({ retries: '3' }));
      assert.equal(out.result, 'server');
      assert.equal(out.message, 'The API answered with a server error (HTTP 500)');
      assert.equal(sim.authRequests().length, 1);
    });

    it('a 429 with Retry-After on the release call: rate-limited, not waited for', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'retry-after', status: 429, retryAfter: 30 } });
      const out = await post(dialog());
      assert.equal(out.result, 'rate-limited');
      assert.equal(sim.releaseRequests().length, 1);
    });

    it('no answer within the timeout: timed out, naming the URL', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'hang' } });
      const out = await post(dialog({ timeout: '300' }));
      assert.equal(out.result, 'timeout');
      assert.equal(out.message, `The API at ${sim.url} did not answer within 300 ms`);
    });

    it('an HTML page instead of the auth answer (a proxy login page): unexpected, nothing more claimed', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'auth', action: { type: 'not-json-200' } });
      const out = await post(dialog());
      assert.equal(out.result, 'unexpected');
      assert.equal(out.step, 'auth');
    });

    it('a release answer that says nothing about the channel key: not claimed as accepted', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'not-json-200' } });
      const out = await post(dialog());
      assert.equal(out.ok, false);
      assert.equal(out.result, 'channel-unchecked');
      assert.match(out.message, /says nothing about the channel key/);
    });

    it('a token that the release endpoint refuses (dynamic): says so, and points at the token header', async () => {
      await deploy({ sim });
      sim.faults.add({ target: 'release', action: { type: 'status', status: 401, body: '{"success":false,"code":"ERR0000","message":"Failed to authenticate token"}' } });
      const out = await post(dialog());
      assert.equal(out.result, 'token-refused');
      assert.match(out.message, /A token was received, but the API refused it .*check the token header/);
    });
  });

  it('settings that cannot be used are reported before any request', async () => {
    await deploy({ sim });
    const out = await post(dialog({ baseUrl: '' }));
    assert.equal(out.ok, false);
    assert.equal(out.result, 'config');
    assert.equal(out.step, 'settings');
    assert.match(out.message, /no base URL is set/);
    const noChannel = await post(dialog({}, { channelKey: '' }));
    assert.equal(noChannel.result, 'config');
    assert.match(noChannel.message, /channel key is missing/);
    assert.equal(sim.requests.length, 0);
  });

  describe('credentials not typed again (__PWRD__)', () => {
    const PWRD = { apiKey: '__PWRD__', apiSecret: '__PWRD__', token: '__PWRD__', channelKey: '__PWRD__' };

    it('come from the saved config node, by id', async () => {
      await deploy({ sim });
      const out = await post(dialog({ id: 'cfg' }, PWRD));
      assert.equal(out.result, 'connected', out.message);
      assert.deepEqual(JSON.parse(sim.authRequests()[0]!.body), { api_key: sim.credentials.apiKey, api_secret: sim.credentials.apiSecret });
      assert.equal(sim.releaseRequests()[0]!.headers['x-channel-key'], sim.credentials.channelKey);
    });

    it('a typed value wins over the saved one', async () => {
      await deploy({ sim });
      const out = await post(dialog({ id: 'cfg' }, { ...PWRD, apiSecret: 'wrong-secret-value' }));
      assert.equal(out.result, 'key-secret-refused');
    });

    it('with no deployed config node of that id, there is nothing to use: not tested', async () => {
      await deploy({ sim });
      const out = await post(dialog({ id: 'no-such-node' }, PWRD));
      assert.equal(out.result, 'config');
      assert.match(out.message, /sent only to the base URL of the deployed connection/);
      assert.equal(sim.requests.length, 0);
    });

    it("are never taken from a node of another type with the same id", async () => {
      await deploy({
        sim,
        extraNodes: [{ id: 'px', type: 'http proxy', name: '', url: 'http://127.0.0.1:9', noproxy: [] }],
        extraModules: [httpProxyModule],
        extraCredentials: { px: { username: 'u', password: 'proxy-secret' } },
      });
      secrets.push('proxy-secret');
      const out = await post(dialog({ id: 'px' }, PWRD));
      assert.equal(out.result, 'config');
      assert.equal(sim.requests.length, 0);
    });

    it('saved ${ENV} credentials are used resolved; a typed ${ENV} is resolved too', async () => {
      process.env.MOVILITAS_TEST_SECRET = sim.credentials.apiSecret;
      try {
        await deploy({ sim, credentials: { apiSecret: '${MOVILITAS_TEST_SECRET}' } });
        assert.equal((await post(dialog({ id: 'cfg' }, PWRD))).result, 'connected');
        assert.equal((await post(dialog({ id: 'cfg' }, { apiSecret: '${MOVILITAS_TEST_SECRET}' }))).result, 'connected');
      } finally {
        delete process.env.MOVILITAS_TEST_SECRET;
      }
    });
  });

  describe('secrets only the runtime holds go only to the deployed base URL', () => {
    let other: Simulator;
    beforeEach(async () => {
      other = await startSimulator();
    });
    afterEach(() => other.close());

    it('saved credentials (__PWRD__) are not sent to a URL typed in the dialog', async () => {
      await deploy({ sim });
      const out = await post(dialog({ id: 'cfg', baseUrl: other.url }, { apiKey: '__PWRD__', apiSecret: '__PWRD__', channelKey: '__PWRD__' }));
      assert.equal(out.ok, false);
      assert.equal(out.result, 'config');
      assert.match(out.message, /sent only to the base URL of the deployed connection/);
      assert.equal(other.requests.length, 0);
      assert.equal(sim.requests.length, 0);
    });

    it('${ENV} values are not resolved for a URL that is not deployed', async () => {
      process.env.MOVILITAS_TEST_SECRET = 'from-the-environment';
      secrets.push('from-the-environment');
      try {
        await deploy({ sim });
        const out = await post(dialog({ baseUrl: other.url }, { apiSecret: '${MOVILITAS_TEST_SECRET}' }));
        assert.equal(out.result, 'config');
        assert.equal(other.requests.length, 0);
      } finally {
        delete process.env.MOVILITAS_TEST_SECRET;
      }
    });

    it('typed credentials go to any URL the dialog names', async () => {
      await deploy({ sim });
      const out = await post(dialog({ id: 'cfg', baseUrl: other.url }));
      assert.equal(out.result, 'connected');
      assert.equal(other.authRequests().length, 1);
    });
  });

  it('never echoes a secret, even when the API does', async () => {
    await deploy({ sim });
    const c = sim.credentials;
    sim.faults.add({
      target: 'auth',
      action: { type: 'status', status: 401, body: JSON.stringify({ message: `bad key ${c.apiKey} or secret ${c.apiSecret}` }) },
    });
    const out = await post(dialog());
    assert.equal(out.result, 'key-secret-refused');
    sim.faults.add({
      target: 'release',
      action: { type: 'status', status: 400, body: JSON.stringify({ message: `Channel key ${c.channelKey} is missing` }) },
    });
    const out2 = await post(dialog());
    assert.equal(out2.result, 'channel-refused');
    assert.match(out2.detail, /\[redacted\]/);
  });

  describe('through TLS', () => {
    let tlsSim: Simulator;
    beforeEach(async () => {
      const pki = testPki();
      tlsSim = await startSimulator({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    });
    afterEach(() => tlsSim.close());

    function tlsNode() {
      return {
        extraNodes: [{ id: 'tls1', type: 'tls-config', name: 'test CA', cert: '', key: '', ca: testPki().caCertPath, verifyservercert: true }],
        extraModules: [tlsConfigModule],
      };
    }

    it('uses the deployed tls-config node chosen in the dialog', async () => {
      await deploy({ sim, ...tlsNode() });
      const out = await post(dialog({ baseUrl: tlsSim.url, tls: 'tls1' }));
      assert.equal(out.result, 'connected', out.message);
      assert.equal(tlsSim.releaseRequests().length, 1);
    });

    it('without the CA: a TLS failure in plain words', async () => {
      await deploy({ sim });
      const out = await post(dialog({ baseUrl: tlsSim.url }));
      assert.equal(out.ok, false);
      assert.equal(out.result, 'tls');
      assert.match(out.code, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
      assert.match(out.message, /certificate is not trusted/);
    });

    it('a TLS node that is not deployed yet is reported, not ignored', async () => {
      await deploy({ sim });
      const out = await post(dialog({ baseUrl: tlsSim.url, tls: 'not-deployed-tls' }));
      assert.equal(out.result, 'config');
      assert.match(out.message, /TLS configuration is not deployed yet/);
      assert.equal(tlsSim.requests.length, 0);
    });
  });

  it('through the chosen http proxy node; a proxy refusing for want of credentials is said plainly', async () => {
    const proxy = await startProxy({ username: 'line7', password: 'proxy-pass' });
    secrets.push('proxy-pass');
    try {
      await deploy({
        sim,
        extraNodes: [
          { id: 'px-ok', type: 'http proxy', name: '', url: proxy.url, noproxy: [] },
          { id: 'px-nocred', type: 'http proxy', name: '', url: proxy.url, noproxy: [] },
        ],
        extraModules: [httpProxyModule],
        extraCredentials: { 'px-ok': { username: 'line7', password: 'proxy-pass' } },
      });
      const ok = await post(dialog({ proxy: 'px-ok' }));
      assert.equal(ok.result, 'connected', ok.message);
      assert.ok(proxy.seen.length >= 1);
      const refused = await post(dialog({ proxy: 'px-nocred' }));
      assert.equal(refused.result, 'proxy');
      assert.equal(refused.statusCode, 407);
      assert.match(refused.message, /The proxy wants credentials \(HTTP 407\)/);
    } finally {
      await proxy.close();
    }
  });
});
