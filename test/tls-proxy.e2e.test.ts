/**
 * The connection's TLS and proxy settings, end to end: the core `tls-config` node (a private
 * CA made at test time), the core `http proxy` node (credentials, its no-proxy list) and the
 * http_proxy / no_proxy environment variables, each against the simulator over real sockets
 * on 127.0.0.1, through a local forwarding proxy that counts what it carries.
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, Harness, httpProxyModule, Msg, tlsConfigModule, unload } from './support/flow';
import { testPki } from './support/pki';
import { startProxy, TestProxy } from './support/proxy';

const PROXY_ENV = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

describe('TLS and proxy', () => {
  let sim: Simulator;
  let proxy: TestProxy | undefined;
  let savedEnv: Record<string, string | undefined>;

  beforeEach(() => {
    savedEnv = Object.fromEntries(PROXY_ENV.map((k) => [k, process.env[k]]));
    for (const k of PROXY_ENV) delete process.env[k];
  });

  afterEach(async () => {
    await unload();
    await sim?.close();
    await proxy?.close();
    proxy = undefined;
    for (const k of PROXY_ENV) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  /** Releases two freshly assigned serials; resolves with the one output message. */
  async function releaseTwo(h: Harness): Promise<{ out: Msg; released: boolean; serials: string[] }> {
    const serials = sim.assign(SAMPLE_PRODUCT_CODE, 2);
    h.send({ payload: { product_code: SAMPLE_PRODUCT_CODE, serials } });
    await h.settle(1);
    const released = h.released.length === 1;
    return { out: released ? h.released[0]! : h.failed[0]!, released, serials };
  }

  const tlsNode = (extra: Record<string, unknown> = {}) => ({
    id: 'tls1',
    type: 'tls-config',
    name: 'private CA',
    cert: '',
    key: '',
    ca: testPki().caCertPath,
    verifyservercert: true,
    ...extra,
  });

  const proxyNode = (url: string, noproxy: string[] = []) => ({ id: 'proxy1', type: 'http proxy', name: 'test proxy', url, noproxy });

  describe('TLS, a server certificate from a private CA', () => {
    beforeEach(async () => {
      const pki = testPki();
      sim = await startSimulator({ tls: { key: pki.serverKey, cert: pki.serverCert } });
      assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it('with a tls-config node holding the CA: released', async () => {
      const h = await deploy({ sim, config: { tls: 'tls1', retries: 3 }, extraNodes: [tlsNode()], extraModules: [tlsConfigModule] });
      const { out, released, serials } = await releaseTwo(h);
      assert.ok(released, JSON.stringify(out.error));
      assert.equal(out.movilitas.statusCode, 200);
      assert.deepEqual(serials.map((s) => sim.serialStatus(SAMPLE_PRODUCT_CODE, s)), ['Available', 'Available']);
    });

    it('without it: kind network with the TLS code, not retried, nothing reached the API', async () => {
      const h = await deploy({ sim, config: { retries: 3 } });
      const started = Date.now();
      const { out, released } = await releaseTwo(h);
      assert.ok(!released);
      assert.equal(out.error.kind, 'network');
      assert.match(out.error.code, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
      assert.equal(out.error.retryable, true, 'the contract says network is retryable by a flow');
      assert.equal(out.movilitas.attempts, 0, 'the auth call failed: no release attempt');
      assert.equal(sim.requests.length, 0, 'no HTTP request got through the handshake');
      assert.ok(Date.now() - started < 1500, 'no backoff: a TLS failure is not retried');
    });

    it('without it, with a static token: the release attempt fails once, not retried', async () => {
      const h = await deploy({ sim, config: { retries: 3, authMode: 'static' } });
      const { out } = await releaseTwo(h);
      assert.equal(out.error.kind, 'network');
      assert.match(out.error.code, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
      assert.equal(out.movilitas.attempts, 1);
    });

    it('a tls-config node that does not verify the server certificate: released without the CA', async () => {
      const h = await deploy({
        sim,
        config: { tls: 'tls1' },
        extraNodes: [tlsNode({ ca: '', verifyservercert: false })],
        extraModules: [tlsConfigModule],
      });
      const { released } = await releaseTwo(h);
      assert.ok(released);
    });

    it('through an http proxy node: a CONNECT tunnel, then TLS with the CA', async () => {
      proxy = await startProxy();
      const h = await deploy({
        sim,
        config: { tls: 'tls1', proxy: 'proxy1' },
        extraNodes: [tlsNode(), proxyNode(proxy.url)],
        extraModules: [tlsConfigModule, httpProxyModule],
      });
      const { out, released } = await releaseTwo(h);
      assert.ok(released, JSON.stringify(out.error));
      assert.ok(proxy.seen.length >= 1);
      assert.ok(proxy.seen.every((s) => s === `CONNECT 127.0.0.1:${sim.port}`), proxy.seen.join(', '));
    });
  });

  describe('proxy', () => {
    beforeEach(async () => {
      sim = await startSimulator();
    });

    it('an http proxy node with credentials: every request goes through it, with Proxy-Authorization', async () => {
      proxy = await startProxy({ username: 'line7', password: 'proxy-pass' });
      const h = await deploy({
        sim,
        config: { proxy: 'proxy1' },
        extraNodes: [proxyNode(proxy.url)],
        extraModules: [httpProxyModule],
        extraCredentials: { proxy1: { username: 'line7', password: 'proxy-pass' } },
      });
      const { out, released } = await releaseTwo(h);
      assert.ok(released, JSON.stringify(out.error));
      assert.ok(proxy.seen.length >= 1, 'the proxy carried the requests');
      assert.ok(proxy.seen.every((s) => s === `CONNECT 127.0.0.1:${sim.port}`), proxy.seen.join(', '));
      assert.equal(proxy.refused, 0);
      const expected = `Basic ${Buffer.from('line7:proxy-pass').toString('base64')}`;
      assert.ok(proxy.authorizations.length >= 1 && proxy.authorizations.every((a) => a === expected));
      assert.equal(sim.authRequests().length, 1);
      assert.equal(sim.releaseRequests().length, 1);
      for (const r of sim.requests) assert.equal(r.headers['proxy-authorization'], undefined, 'proxy credentials stay with the proxy');
      assert.ok(!JSON.stringify(out).includes('proxy-pass'));
    });

    it('a proxy that wants credentials the node lacks (407): kind network saying so, not retried', async () => {
      proxy = await startProxy({ username: 'line7', password: 'proxy-pass' });
      const h = await deploy({
        sim,
        config: { proxy: 'proxy1', retries: 3 },
        extraNodes: [proxyNode(proxy.url)],
        extraModules: [httpProxyModule],
      });
      const { out, released } = await releaseTwo(h);
      assert.ok(!released);
      assert.equal(out.error.kind, 'network');
      assert.match(out.error.message, /the proxy wants credentials \(HTTP 407\)/);
      assert.equal(out.error.details.proxyStatus, 407);
      assert.equal(out.error.ambiguous, undefined);
      assert.equal(proxy.refused, 1, 'one CONNECT: retrying cannot fix missing proxy credentials');
      assert.equal(sim.requests.length, 0);
    });

    it('a proxy gateway error (502 to the CONNECT) is retried like any transient fault', async () => {
      proxy = await startProxy();
      const h = await deploy({
        sim,
        config: { proxy: 'proxy1', retries: 1 },
        extraNodes: [proxyNode(proxy.url)],
        extraModules: [httpProxyModule],
      });
      proxy.failConnects = 1;
      const { out, released } = await releaseTwo(h);
      assert.ok(released, JSON.stringify(out.error));
      assert.equal(out.movilitas.attempts, 1, 'the auth call was the one retried');
      assert.ok(proxy.seen.filter((s) => s.startsWith('CONNECT')).length >= 2, 'refused, then tunnelled again');
    });

    it("the proxy node's no-proxy list names the target host: reached directly", async () => {
      proxy = await startProxy();
      const h = await deploy({
        sim,
        config: { proxy: 'proxy1' },
        extraNodes: [proxyNode(proxy.url, ['example.com', '127.0.0.1'])],
        extraModules: [httpProxyModule],
      });
      const { released } = await releaseTwo(h);
      assert.ok(released);
      assert.deepEqual(proxy.seen, [], 'bypassed');
      assert.equal(sim.releaseRequests().length, 1);
    });

    it('no proxy node: http_proxy from the environment is used', async () => {
      proxy = await startProxy();
      process.env.http_proxy = proxy.url;
      const h = await deploy({ sim });
      const { out, released } = await releaseTwo(h);
      assert.ok(released, JSON.stringify(out.error));
      assert.ok(proxy.seen.length >= 1);
      assert.ok(proxy.seen.every((s) => s === `CONNECT 127.0.0.1:${sim.port}`), proxy.seen.join(', '));
    });

    it('no proxy node: no_proxy from the environment bypasses http_proxy', async () => {
      proxy = await startProxy();
      process.env.http_proxy = proxy.url;
      process.env.no_proxy = 'localhost,127.0.0.1';
      const h = await deploy({ sim });
      const { released } = await releaseTwo(h);
      assert.ok(released);
      assert.deepEqual(proxy.seen, []);
    });

    it('a proxy node replaces the environment: http_proxy is not used with it', async () => {
      proxy = await startProxy();
      const envProxy = await startProxy();
      try {
        process.env.http_proxy = envProxy.url;
        const h = await deploy({ sim, config: { proxy: 'proxy1' }, extraNodes: [proxyNode(proxy.url)], extraModules: [httpProxyModule] });
        const { released } = await releaseTwo(h);
        assert.ok(released);
        assert.ok(proxy.seen.length >= 1);
        assert.deepEqual(envProxy.seen, []);
      } finally {
        await envProxy.close();
      }
    });
  });
});
