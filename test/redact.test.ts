/**
 * Secrets the API (or a gateway) echoes back must not reach a msg. These are the leaks the
 * secret audit (secrets.e2e.test.ts) found, kept at the client level where they were fixed.
 */
import assert from 'node:assert/strict';
import { MovilitasClient, MovilitasError, resolveSettings } from '../src/api';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';

const KEY = 'AK-rd1a2b3c-key';
const SECRET = 'SEC-rd"4d\\5e\t6f-secret'; // a quote, a backslash and a tab: JSON escapes all three
const STATIC = 'STAT-rd7a8b9c';
const CHANNEL = 'CHAN-rd"0d1e2f';

function client(sim: Simulator, authMode: 'dynamic' | 'static', extra: { redact?: string[] } = {}): MovilitasClient {
  const resolved = resolveSettings({
    environment: 'custom',
    baseUrl: sim.url,
    authMode,
    apiKey: KEY,
    apiSecret: SECRET,
    token: STATIC,
    channelKey: CHANNEL,
    retries: 0,
  });
  assert.ok(resolved.ok);
  return new MovilitasClient({ settings: resolved.settings, ...extra });
}

async function failure(c: MovilitasClient): Promise<MovilitasError> {
  try {
    await c.release({ productCode: SAMPLE_PRODUCT_CODE, productCodeSchema: 'GTIN', serials: ['DDGHG6NTP162PDWXEEAF'] });
  } catch (err) {
    assert.ok(err instanceof MovilitasError);
    return err;
  }
  assert.fail('expected a failure');
}

/** Every string in `value` (keys too), and in any string of it that is JSON itself. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object') strings(parsed, out);
    } catch {
      // text
    }
  } else if (Array.isArray(value)) {
    for (const v of value) strings(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

function assertClean(value: unknown, secrets: string[]): void {
  for (const text of strings(value)) {
    for (const s of secrets) {
      for (const form of [s, JSON.stringify(s).slice(1, -1), s.replace(/\s+/g, ' ')]) {
        assert.ok(!text.includes(form), `shows ${JSON.stringify(form)} in ${JSON.stringify(text.slice(0, 300))}`);
      }
    }
  }
}

describe('redaction of echoed secrets', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator({ apiKey: KEY, apiSecret: SECRET, staticTokens: [STATIC], channelKeys: [CHANNEL] });
  });

  afterEach(async () => {
    await sim.close();
  });

  it('regression: a secret with a quote, a backslash or a tab echoed in a JSON body is redacted from details and response', async () => {
    const c = client(sim, 'dynamic');
    sim.faults.add({
      target: 'release',
      action: { type: 'status', status: 422, body: JSON.stringify({ success: false, message: 'Validation error', details: [{ value: SECRET, nested: { [SECRET]: CHANNEL } }] }) },
    });
    const err = await failure(c);
    assert.equal(err.kind, 'api-validation');
    assertClean(err.toJSON(), [SECRET, CHANNEL]);
    await c.close();
  });

  it('regression: a secret in a text body is redacted before the message collapses its whitespace or the response is cut', async () => {
    const c = client(sim, 'dynamic');
    // The tab in the secret became a space in the message ("SEC-rd\"4d\\5e 6f-secret"), which no longer matched.
    const body = `<html><title>Denied ${SECRET}</title></html>${'x'.repeat(2030)}${SECRET}`;
    sim.faults.add({ target: 'release', action: { type: 'status', status: 500, contentType: 'text/html', body } });
    const err = await failure(c);
    assertClean(err.toJSON(), [SECRET]);
    assert.ok(!(err.response ?? '').includes('SEC-rd'), 'not even a prefix cut at 2,048 characters');
    await c.close();
  });

  it('regression: a 2xx answer echoing the token and channel key is redacted from the body put on msg.payload', async () => {
    const c = client(sim, 'dynamic');
    await c.release({ productCode: SAMPLE_PRODUCT_CODE, productCodeSchema: 'GTIN', serials: ['DDGHG6NTP162PDWXEEAF'] });
    const token = sim.releaseRequests()[0]!.headers['x-access-token']!;
    sim.faults.add({ target: 'release', action: { type: 'status', status: 200, body: JSON.stringify({ success: true, message: 'ok', headers: { 'x-access-token': token, 'x-channel-key': CHANNEL } }) } });
    const result = await c.release({ productCode: SAMPLE_PRODUCT_CODE, productCodeSchema: 'GTIN', serials: ['V3HBM4FNP3CHK006WBPT'] });
    assertClean(result.body, [token, CHANNEL]);
    assert.deepEqual(result.body, { success: true, message: 'ok', headers: { 'x-access-token': '[redacted]', 'x-channel-key': '[redacted]' } });
    await c.close();
  });

  it('regression: a secret a JSON body spells with \\u escapes is redacted too', async () => {
    const c = client(sim, 'static');
    const escaped = JSON.stringify({ success: false, message: 'Validation error', details: { token: STATIC } }).replace('STAT', '\\u0053TAT');
    sim.faults.add({ target: 'release', action: { type: 'status', status: 422, body: escaped } });
    const err = await failure(c);
    assertClean(err.toJSON(), [STATIC]);
    await c.close();
  });

  it('regression: credentials the auth mode does not use are redacted as well', async () => {
    // A static-token connection still holds the API key and secret; the API may name the key.
    const c = client(sim, 'static', { redact: [KEY, SECRET] });
    sim.faults.add({ target: 'release', action: { type: 'status', status: 400, body: JSON.stringify({ success: false, message: `Request body could not be parsed for key ${KEY} / ${SECRET}` }) } });
    const err = await failure(c);
    assertClean(err.toJSON(), [KEY, SECRET]);
    await c.close();
  });

  it('MovilitasError.redact() walks details instead of matching their JSON text', () => {
    const err = new MovilitasError({ kind: 'api-validation', message: `bad ${SECRET}`, details: { a: [{ b: SECRET, [SECRET]: 1 }] }, response: JSON.stringify({ s: SECRET }) });
    err.redact([SECRET]);
    assertClean(err.toJSON(), [SECRET]);
    assert.deepEqual(err.details, { a: [{ b: '[redacted]', '[redacted]': 1 }] });
  });
});
