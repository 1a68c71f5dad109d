/**
 * Secret audit. With distinctive credentials (some with characters JSON escapes, so that an
 * escaped echo is caught too) and the tokens the simulator issues, every path is run: success,
 * every error kind, every injected fault, a simulator that echoes what it was sent, and close.
 * None of the API key, the API secret, the static or dynamic token or the channel key may
 * appear in any output msg, status, log line, done(err) error, or the flow Node-RED would save.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { deploy, DeployOptions, Harness, helper, Msg, stopNodes, unload } from './support/flow';

const P = SAMPLE_PRODUCT_CODE;

/** Each holds a marker (ak7f3c9e1d, ...) found in no other text, so a partial or escaped leak shows too. */
export const AUDIT_SECRETS = {
  apiKey: 'AK-ak7f3c9e1d-key',
  apiSecret: 'SEC-se94b2"\\x\tZ-secret',
  staticToken: 'STAT-st5e8a"\\tok',
  channelKey: 'CHAN-chc0ffee\\"42',
} as const;
const MARKERS = ['ak7f3c9e1d', 'se94b2', 'st5e8a', 'chc0ffee'];

/** Every form in which a secret could show: raw, JSON-escaped, URL-encoded, and its marker. */
function formsOf(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];
}

/** The dynamic tokens the simulator issued, as the client sent them. */
function tokensSeen(sim: Simulator): string[] {
  const out = new Set<string>();
  for (const r of sim.requests) {
    const t = r.headers['x-access-token'] ?? /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1];
    if (t && t.split('.').length === 3) out.add(t);
  }
  return [...out];
}

function text(value: unknown): string {
  const json = (() => {
    try {
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    } catch {
      return '';
    }
  })();
  return `${json}\n${inspect(value, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity })}`;
}

interface Findings {
  places: number;
  checked: string[];
}

/** Fails with the place and a snippet when any secret, marker or token shows anywhere. */
function audit(h: Harness, sim: Simulator, extraTokens: string[] = []): Findings {
  const tokens = [...tokensSeen(sim), ...extraTokens];
  const needles = [
    ...Object.values(AUDIT_SECRETS).flatMap(formsOf),
    ...MARKERS,
    ...tokens.flatMap((t) => [t, t.split('.')[2]!]),
  ].filter((n) => n.length >= 6);
  const places: Record<string, unknown> = {
    'output 1 msgs': h.released,
    'output 2 msgs': h.failed,
    'Complete node msgs': h.completed,
    'Catch node msgs': h.caught,
    'done(err) errors': h.doneErrors.map((e) => (e instanceof Error ? { message: e.message, stack: e.stack } : e)),
    'error messages': h.failed.map((m) => m.error?.message),
    statuses: h.statuses,
    'log lines': helper.log().args,
    'deployed flow': helper._redNodes.getFlows(),
  };
  for (const [place, value] of Object.entries(places)) {
    const haystack = text(value);
    for (const needle of needles) {
      const at = haystack.indexOf(needle);
      if (at >= 0) assert.fail(`${place} shows a secret (${JSON.stringify(needle)}): …${haystack.slice(Math.max(0, at - 120), at + needle.length + 40)}…`);
    }
  }
  return { places: Object.keys(places).length, checked: needles };
}

/** What the audit covered, printed at the end. */
const totals = { scenarios: 0, msgs: 0, tokens: new Set<string>() };

describe('secret audit', function () {
  this.timeout(30_000);
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({
      apiKey: AUDIT_SECRETS.apiKey,
      apiSecret: AUDIT_SECRETS.apiSecret,
      staticTokens: [AUDIT_SECRETS.staticToken],
      channelKeys: [AUDIT_SECRETS.channelKey],
    });
  });

  afterEach(async () => {
    await unload();
    await sim.close();
  });

  after(() => {
    console.log(`      secret audit: ${totals.scenarios} scenarios, ${totals.msgs} msgs, 4 configured secrets + ${totals.tokens.size} issued tokens, none shown`);
  });

  async function go(opts: DeployOptions, run: (h: Harness) => Promise<void>): Promise<void> {
    const h = await deploy({ sim, ...opts, release: { reportToCatch: true, ...opts.release } });
    await run(h);
    await new Promise((r) => setTimeout(r, 220)); // the last status update (throttled to one per 200 ms)
    const found = audit(h, sim);
    assert.ok(found.checked.length >= 4);
    totals.scenarios++;
    totals.msgs += h.released.length + h.failed.length;
    for (const t of tokensSeen(sim)) totals.tokens.add(t);
  }

  async function send(h: Harness, ...msgs: Msg[]): Promise<void> {
    const target = h.released.length + h.failed.length + msgs.length;
    for (const m of msgs) h.send(m);
    await h.settle(target);
  }

  const one = (serial = 'DDGHG6NTP162PDWXEEAF'): Msg => ({ payload: { product_code: P, serials: [serial] } });

  /** A body that echoes every secret and the current token, in every place an error is read from. */
  function echoBody(token: string): Record<string, unknown> {
    const all = `${AUDIT_SECRETS.apiKey} ${AUDIT_SECRETS.apiSecret} ${AUDIT_SECRETS.staticToken} ${AUDIT_SECRETS.channelKey} ${token}`;
    return {
      success: false,
      message: `Validation error: you sent ${all}`,
      code: 'ERR0099',
      details: [{ field: 'x-channel-key', value: AUDIT_SECRETS.channelKey, token, nested: { secret: AUDIT_SECRETS.apiSecret, [AUDIT_SECRETS.apiKey]: true } }],
      errors: [{ message: `bad ${AUDIT_SECRETS.staticToken}`, code: 'ERR0099' }],
      headers: { 'x-access-token': token, 'x-channel-key': AUDIT_SECRETS.channelKey },
    };
  }

  /** Sends one msg so that the client holds a token, and returns it. */
  async function warmUp(h: Harness): Promise<string> {
    const [s] = sim.assign(P, 1);
    await send(h, one(s));
    return tokensSeen(sim)[0] ?? AUDIT_SECRETS.staticToken;
  }

  describe('success paths', () => {
    for (const [name, config] of [
      ['dynamic token, x-access-token', { authMode: 'dynamic' }],
      ['dynamic token, Authorization: Bearer', { authMode: 'dynamic', tokenHeader: 'bearer' }],
      ['static token', { authMode: 'static' }],
    ] as Array<[string, Record<string, unknown>]>) {
      it(`released: ${name}`, async () => {
        await go({ config }, async (h) => {
          const serials = sim.assign(P, 3);
          await send(h, one(serials[0]), { payload: serials.slice(1) } as Msg);
          assert.equal(h.released.length, 1);
        });
      });
    }

    it('a split list with one failing chunk, and coalescing', async () => {
      await go({ release: { maxSerialsPerRequest: 1, productCode: P } }, async (h) => {
        const [a] = sim.assign(P, 1);
        await send(h, { payload: [a!, 'NOTINPOOL'] });
        assert.equal(h.failed[0]!.error.kind, 'api-validation');
      });
      await unload();
      await go({ release: { coalesceMs: 30, productCode: P } }, async (h) => {
        const serials = sim.assign(P, 5);
        await send(h, ...serials.map((s) => ({ payload: s })), { payload: 'NOTINPOOL' });
        assert.equal(h.released.length, 5);
      });
    });
  });

  describe('every error kind', () => {
    const cases: Array<[string, DeployOptions, (h: Harness) => Promise<void>, string]> = [
      ['validation', {}, async (h) => send(h, { payload: { product_code: '01234567891234', serials: ['A1'] } }), 'validation'],
      ['config: bad base URL', { config: { baseUrl: 'ftp://127.0.0.1/' } }, async (h) => send(h, one()), 'config'],
      ['config: no channel key', { credentials: { channelKey: '' } }, async (h) => send(h, one()), 'config'],
      ['auth: key and secret refused', { credentials: { apiSecret: 'SEC-se94b2-but-wrong' } }, async (h) => send(h, one()), 'auth'],
      ['auth: static token refused', { config: { authMode: 'static' }, credentials: { token: 'STAT-st5e8a-revoked' } }, async (h) => send(h, one()), 'auth'],
      ['channel', { credentials: { channelKey: 'CHAN-chc0ffee-wrong' } }, async (h) => send(h, one()), 'channel'],
      ['request', {}, async (h) => {
        sim.faults.add({ target: 'release', action: { type: 'status', status: 400, body: '{"success":false,"message":"Request body could not be parsed"}' } });
        await send(h, one());
      }, 'request'],
      ['api-validation', {}, async (h) => send(h, one('NOTINPOOL')), 'api-validation'],
      ['product-not-found', {}, async (h) => send(h, { payload: { product_code: '09506000134369', serials: ['A1'] } }), 'product-not-found'],
      ['rate-limited', { config: { retries: 1 } }, async (h) => {
        sim.faults.add({ target: 'release', times: 2, action: { type: 'retry-after', status: 429, retryAfter: 0 } });
        await send(h, one());
      }, 'rate-limited'],
      ['server', { config: { retries: 1 } }, async (h) => {
        sim.faults.add({ target: 'release', times: 2, action: { type: 'status', status: 503 } });
        await send(h, one());
      }, 'server'],
      ['network: auth endpoint down', { config: { retries: 1 } }, async (h) => {
        sim.faults.authDown(true);
        await send(h, one());
      }, 'network'],
      ['timeout', { config: { timeout: 200, retries: 1 } }, async (h) => {
        sim.faults.add({ target: 'release', times: 2, action: { type: 'hang' } });
        await send(h, one());
      }, 'timeout'],
      ['unexpected-response', {}, async (h) => {
        sim.faults.add({ target: 'release', action: { type: 'not-json-200' } });
        await send(h, one());
      }, 'unexpected-response'],
    ];
    for (const [name, opts, run, kind] of cases) {
      it(`${name}`, async () => {
        await go(opts, async (h) => {
          await run(h);
          assert.equal(h.failed.at(-1)!.error.kind, kind, h.failed.at(-1)!.error.message);
          assert.equal(h.caught.length, h.failed.length, 'done(err) for Catch nodes too');
        });
      });
    }

    it('network: nothing listens (a refused connection)', async () => {
      const closed = await startSimulator();
      const url = closed.url;
      await closed.close();
      await go({ config: { baseUrl: url, retries: 1 } }, async (h) => {
        await send(h, one());
        assert.equal(h.failed[0]!.error.kind, 'network');
      });
    });

    it('cancelled: the node is closed (redeploy) while a request hangs', async () => {
      await go({ config: { timeout: 60_000 } }, async (h) => {
        await warmUp(h);
        sim.faults.add({ target: 'release', times: Infinity, action: { type: 'hang' } });
        h.send(one());
        await new Promise((r) => setTimeout(r, 100));
        const closing = stopNodes(['rel', 'cfg']);
        await closing;
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(h.failed.at(-1)!.error.kind, 'cancelled');
      });
    });
  });

  describe('every fault the simulator can inject', () => {
    const actions: Array<[string, Record<string, unknown>]> = [
      ['status 503', { type: 'status', status: 503 }],
      ['retry-after', { type: 'retry-after', status: 429, retryAfter: 0 }],
      ['delay', { type: 'delay', ms: 30 }],
      ['destroy-before', { type: 'destroy-before' }],
      ['destroy-after', { type: 'destroy-after' }],
      ['not-json-200', { type: 'not-json-200' }],
      ['hang', { type: 'hang' }],
    ];
    for (const target of ['release', 'auth'] as const) {
      for (const [name, action] of actions) {
        it(`${name} on ${target}`, async () => {
          await go({ config: { retries: 1, timeout: 300 } }, async (h) => {
            sim.faults.add({ target, times: 2, action: action as never });
            await send(h, one());
          });
        });
      }
    }

    it('a random mix on every endpoint, with short-lived tokens', async () => {
      await go({ config: { retries: 2, timeout: 300 } }, async (h) => {
        sim.setTokenTtl(1);
        sim.faults.random({ rate: 0.3, seed: 7 });
        const serials = sim.assign(P, 60);
        for (let i = 0; i < serials.length; i += 15) {
          await send(h, ...serials.slice(i, i + 15).map((s) => one(s)));
          await new Promise((r) => setTimeout(r, 600)); // past half of the 1 s token life: renewals
        }
      });
    });
  });

  describe('a simulator that echoes secrets', () => {
    const echoes: Array<[string, (token: string) => Record<string, unknown>, string]> = [
      ['a JSON validation error with details', (t) => ({ type: 'status', status: 422, body: JSON.stringify(echoBody(t)) }), 'api-validation'],
      ['a JSON 400 whose message names the channel key', (t) => ({ type: 'status', status: 400, body: JSON.stringify({ ...echoBody(t), message: `Channel ID is missing or it needs to be in correct format: ${AUDIT_SECRETS.channelKey}` }) }), 'channel'],
      ['an HTML 500 page', (t) => ({ type: 'status', status: 500, contentType: 'text/html', body: `<html><title>Error ${AUDIT_SECRETS.apiSecret}</title><body>key ${AUDIT_SECRETS.apiKey} token ${t} channel ${AUDIT_SECRETS.channelKey} static ${AUDIT_SECRETS.staticToken}</body></html>` }), 'server'],
      ['a text 200', (t) => ({ type: 'not-json-200', body: `token=${t}; channel=${AUDIT_SECRETS.channelKey}; secret=${AUDIT_SECRETS.apiSecret}` }), 'unexpected-response'],
      ['a 200 with success false', (t) => ({ type: 'status', status: 200, body: JSON.stringify(echoBody(t)) }), 'api-validation'],
      ['a 200 success that echoes the request headers', (t) => ({ type: 'status', status: 200, body: JSON.stringify({ success: true, message: 'Serials released', echo: echoBody(t) }) }), 'released'],
    ];
    for (const [name, action, kind] of echoes) {
      for (const config of [{ authMode: 'dynamic' }, { authMode: 'static' }]) {
        it(`${name} (${config.authMode} token)`, async () => {
          await go({ config }, async (h) => {
            const token = await warmUp(h);
            sim.faults.add({ target: 'release', action: action(token) as never });
            await send(h, one());
            const last = h.released.length === 2 ? h.released[1]! : h.failed.at(-1)!;
            assert.equal(kind === 'released' ? 'released' : last.error?.kind, kind, JSON.stringify(last.error));
          });
        });
      }
    }

    it('the auth endpoint echoing the key and secret when it refuses them', async () => {
      await go({}, async (h) => {
        sim.faults.add({ target: 'auth', action: { type: 'status', status: 401, body: JSON.stringify({ success: false, message: `Invalid API key ${AUDIT_SECRETS.apiKey} or secret ${AUDIT_SECRETS.apiSecret}`, received: { api_key: AUDIT_SECRETS.apiKey, api_secret: AUDIT_SECRETS.apiSecret } }) } });
        await send(h, one());
        assert.equal(h.failed[0]!.error.kind, 'auth');
      });
    });

    it('the auth endpoint echoing the request body instead of a token', async () => {
      await go({}, async (h) => {
        sim.faults.add({ target: 'auth', action: { type: 'status', status: 200, body: JSON.stringify({ api_key: AUDIT_SECRETS.apiKey, api_secret: AUDIT_SECRETS.apiSecret }) } });
        await send(h, one());
        assert.equal(h.failed[0]!.error.kind, 'unexpected-response');
      });
    });
  });

  it('a flow deployed with credentials inline (as the editor does) keeps them out of the flow', async () => {
    await go({}, async (h) => {
      const flows = helper._redNodes.getFlows().flows.map((n) =>
        n.id === 'cfg' ? { ...n, credentials: { apiKey: AUDIT_SECRETS.apiKey, apiSecret: AUDIT_SECRETS.apiSecret, token: AUDIT_SECRETS.staticToken, channelKey: AUDIT_SECRETS.channelKey } } : n,
      );
      await helper.setFlows(flows, 'full');
      const saved = helper._redNodes.getFlows();
      assert.ok(!text(saved).includes('credentials'), 'no credentials property in the saved flow');
      // The redeployed nodes still work with the credentials Node-RED kept aside.
      const node = helper.getNode('rel');
      const [s] = sim.assign(P, 1);
      const out = await new Promise<Msg>((resolve) => {
        helper.getNode('out1').on('input', (m: Msg) => resolve(m));
        helper.getNode('out2').on('input', (m: Msg) => resolve(m));
        node.receive(one(s));
      });
      assert.equal(out.error, undefined, JSON.stringify(out.error));
      h.released.push(out);
    });
  });
});
