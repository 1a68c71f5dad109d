/**
 * Hostile configuration: settings a typo, a paste or a hand-edited flow file can produce. Each
 * must give a clear `config` error (logged at deploy, on output 2 for every msg, red status) or a
 * warning at deploy, never a crash, and never a request with a bad header: for an error, the
 * simulator must have received nothing at all.
 */
import assert from 'node:assert/strict';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, DeployOptions, Harness, helper, Msg } from './support/flow';
import { unload } from './support/flow';

const P = SAMPLE_PRODUCT_CODE;
const ERROR = 20;
const WARN = 30;

interface LogEntry {
  level: number;
  msg: unknown;
  type?: string;
}

function logged(level: number, type?: string): string[] {
  return helper
    .log()
    .args.map((a) => a[0] as LogEntry)
    .filter((e) => e.level === level && (type === undefined || e.type === type))
    .map((e) => String(e.msg));
}

describe('hostile configuration', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  async function one(h: Harness, msg: Msg = { payload: { product_code: P, serials: ['DDGHG6NTP162PDWXEEAF'] } }): Promise<Msg> {
    h.send(msg);
    await h.settle(1);
    assert.equal(h.released.length + h.failed.length, 1);
    assert.equal(h.doneCalls, 1);
    return (h.failed[0] ?? h.released[0])!;
  }

  /** Deploys the setting, sends one msg: a config error everywhere it should show, and no request. */
  async function refused(opts: DeployOptions, pattern: RegExp, mustNotShow: string[] = []): Promise<void> {
    const h = await deploy({ sim, ...opts });
    const atDeploy = logged(ERROR, 'movilitas-config');
    assert.equal(atDeploy.length, 1, `one error logged at deploy: ${JSON.stringify(atDeploy)}`);
    assert.match(atDeploy[0]!, pattern);
    const out = await one(h);
    assert.equal(h.released.length, 0);
    assert.equal(out.error.kind, 'config', out.error.message);
    assert.equal(out.error.retryable, false);
    assert.match(out.error.message, pattern);
    assert.ok(h.statuses.some((s) => s.fill === 'red' && s.shape === 'ring' && /config-error/.test(s.text ?? '')), JSON.stringify(h.statuses));
    assert.equal(sim.state().requestsTotal, 0, 'the simulator received nothing');
    const everything = JSON.stringify([out, h.statuses, helper.log().args]);
    for (const secret of mustNotShow) assert.ok(!everything.includes(secret), `"${secret}" shown`);
  }

  /** Deploys the setting: a warning at deploy, and the node still works with valid headers. */
  async function warned(opts: DeployOptions, pattern: RegExp, type = 'movilitas-config'): Promise<Harness> {
    const h = await deploy({ sim, ...opts });
    assert.deepEqual(logged(ERROR), [], 'no error at deploy');
    const warnings = logged(WARN, type);
    assert.ok(warnings.some((w) => pattern.test(w)), `a warning matching ${pattern}: ${JSON.stringify(warnings)}`);
    const [s] = sim.assign(P, 1);
    const out = await one(h, { payload: { product_code: P, serials: [s!] } });
    assert.equal(h.released.length, 1, JSON.stringify(out.error));
    for (const r of sim.releaseRequests()) {
      assert.equal(r.headers['x-channel-key'], sim.credentials.channelKey);
      assert.ok(r.headers['x-access-token']);
    }
    return h;
  }

  describe('base URL', () => {
    for (const url of ['ftp://127.0.0.1/', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://127.0.0.1:1/', 'data:text/plain,x']) {
      it(`refuses ${url}: not http(s)`, async () => {
        await refused({ config: { baseUrl: url } }, /must use http or https/);
      });
    }

    for (const url of ['127.0.0.1:8484/v1', '//127.0.0.1', '/v1/api', 'http://', 'http://127.0.0.1:99999', 'http://[::1']) {
      it(`refuses ${JSON.stringify(url)}: not an absolute URL`, async () => {
        await refused({ config: { baseUrl: url } }, /not an absolute URL|must use http or https/);
      });
    }

    it('refuses an empty base URL with the custom environment', async () => {
      await refused({ config: { baseUrl: '   ' } }, /no base URL is set/);
    });

    it('refuses a URL with a user name and password, without echoing them', async () => {
      const port = sim.port;
      await refused({ config: { baseUrl: `http://gw-user:gw-Pa55word@127.0.0.1:${port}` } }, /must not contain a user name or password/, ['gw-Pa55word', 'gw-user']);
    });

    it('refuses a URL with only a user name', async () => {
      await refused({ config: { baseUrl: `http://token-in-url@127.0.0.1:${sim.port}` } }, /must not contain a user name or password/, ['token-in-url']);
    });

    it('refuses a query or a fragment', async () => {
      await refused({ config: { baseUrl: `${sim.url}?api_key=x` } }, /query or a fragment/);
      await unload();
      await refused({ config: { baseUrl: `${sim.url}#x` } }, /query or a fragment/);
    });

    it('refuses an unknown environment and an unknown auth mode', async () => {
      await refused({ config: { environment: 'staging' } }, /Unknown environment "staging"/);
      await unload();
      await refused({ config: { authMode: 'oauth' } }, /Unknown auth mode "oauth"/);
    });
  });

  describe('credentials', () => {
    it('refuses an empty, blank or missing channel key', async () => {
      await refused({ credentials: { channelKey: '' } }, /channel key is missing/);
      await unload();
      await refused({ credentials: { channelKey: ' \r\n\t ' } }, /channel key is missing/);
    });

    const bad: Array<[string, string]> = [
      ['a newline', 'sim-static-token\nX-Injected: 1'],
      ['a CR LF', 'sim-static\r\ntoken'],
      ['a NUL', 'sim-static\u0000token'],
      ['a non-Latin-1 character', 'sim-static-tök€n'],
      ['an emoji', 'sim-static-token-🔑'],
      ['a DEL', 'sim-static\u007ftoken'],
    ];
    for (const [what, token] of bad) {
      it(`refuses a static token with ${what}, naming the setting, not its value`, async () => {
        await refused({ config: { authMode: 'static' }, credentials: { token } }, /The token contains a character that cannot be sent in an HTTP header/, [token]);
      });
    }

    it('refuses a channel key with a line break, and an API key or secret with one', async () => {
      await refused({ credentials: { channelKey: 'Ky1Spf\nEXmjj' } }, /channel key contains a character/, ['Ky1Spf\nEXmjj']);
      await unload();
      await refused({ credentials: { apiKey: 'sim-api\nkey' } }, /API key contains a character/);
      await unload();
      await refused({ credentials: { apiSecret: 'sim-api-secret\u2028' + 'x' } }, /API secret contains a character/);
    });

    it('refuses a missing token in static mode and a missing secret in dynamic mode', async () => {
      await refused({ config: { authMode: 'static' }, credentials: { token: '' } }, /token is missing/);
      await unload();
      await refused({ credentials: { apiSecret: '' } }, /API secret is missing/);
    });
  });

  describe('a hostile auth endpoint', () => {
    for (const [what, token] of [
      ['a newline', 'eyJhbGciOiJIUzI1NiJ9.e30.sig\nX-Injected: 1'],
      ['a non-Latin-1 character', 'tok€n-from-the-server'],
    ]) {
      it(`regression: a token with ${what} from the auth call was sent, and retried as a network fault`, async () => {
        // undici refuses the header (UND_ERR_INVALID_ARG); that was classified network, so the
        // release was "retried" with the same unusable token and could even be marked ambiguous.
        const h = await deploy({ sim, config: { retries: 3 } });
        sim.faults.add({ target: 'auth', action: { type: 'status', status: 200, body: JSON.stringify({ success: true, token }) } });
        const started = Date.now();
        const out = await one(h);
        assert.equal(out.error.kind, 'unexpected-response', out.error.message);
        assert.match(out.error.message, /token that cannot be sent in an HTTP header/);
        assert.equal(out.error.ambiguous, undefined);
        assert.ok(Date.now() - started < 1000, 'not retried');
        assert.equal(sim.releaseRequests().length, 0, 'no release request');
        assert.equal(sim.authRequests().length, 1);
        for (const part of token.split(/[\n€]/).filter((p) => p.length >= 8)) {
          assert.ok(!JSON.stringify(out).includes(part), `the token is not shown: ${part}`);
        }
      });
    }
  });

  describe('numbers', () => {
    for (const [name, value] of [
      ['timeout', 0],
      ['timeout', -1],
      ['timeout', 'abc'],
      ['timeout', 2.5],
      ['timeout', Infinity],
      ['timeout', NaN],
      ['concurrency', 0],
      ['concurrency', -3],
      ['concurrency', 'many'],
      ['retries', -1],
    ] as Array<[string, unknown]>) {
      it(`refuses ${name} ${String(value)}`, async () => {
        await refused({ config: { [name]: value } }, new RegExp(`The ${name} setting must be a whole number`));
      });
    }

    it('caps an absurd timeout, concurrency and retries with a warning', async () => {
      await warned({ config: { timeout: 1e12 } }, /timeout setting 1000000000000 is more than 600000/);
      await unload();
      await warned({ config: { concurrency: 1e9 } }, /concurrency setting 1000000000 is more than 64/);
      await unload();
      await warned({ config: { retries: '1e6' } }, /retries setting 1000000 is more than 20/);
    });

    it('a timeout of 1 ms is allowed, and every msg ends timeout, not a crash', async () => {
      const h = await deploy({ sim, config: { timeout: 1, retries: 1, authMode: 'static' } });
      sim.faults.add({ target: 'release', times: Infinity, action: { type: 'delay', ms: 50 } });
      const out = await one(h);
      assert.equal(out.error.kind, 'timeout');
    });
  });

  describe('token header and release node settings', () => {
    it('regression: an unknown token header was used silently; it is now a warning, and x-access-token is sent', async () => {
      const h = await warned({ config: { tokenHeader: 'cookie' } }, /token header "cookie" is not known/);
      assert.equal(sim.releaseRequests()[0]!.headers.authorization, undefined);
      assert.equal(h.released.length, 1);
    });

    it('regression: a serials-per-request setting that is not a whole number >= 1 fell back to 1000 silently; now with a warning', async () => {
      for (const value of [0, -5, 'abc', 2.5]) {
        // The test runtime's RED._ gives the catalogue key: "The maxSerialsPerRequest setting ... 1000 is used".
        await warned({ release: { maxSerialsPerRequest: value } }, /warnings\.invalid/, 'movilitas-release-serials');
        await unload();
      }
    });

    it('regression: a coalescing window beyond 2^31-1 ms fired after 1 ms; it is capped, with a warning', async () => {
      // setTimeout() cannot wait more than 2^31-1 ms: Node.js warns and fires after 1 ms instead.
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        const h = await deploy({ sim, release: { productCode: P, coalesceMs: 1e10 } });
        assert.ok(logged(WARN, 'movilitas-release-serials').some((w) => /warnings\.capped/.test(w)), JSON.stringify(logged(WARN)));
        const serials = sim.assign(P, 2);
        h.send({ payload: serials[0]! });
        h.send({ payload: serials[1]! });
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(sim.releaseRequests().length, 0, 'still inside the window');
        assert.equal(h.released.length + h.failed.length, 0);
        assert.deepEqual(warnings.map((w) => w.name), []);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });
});
