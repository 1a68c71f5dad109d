import assert from 'node:assert/strict';
import { classifyAnswer, classifyNetworkError, MovilitasError, readCode, readMessage, retryAfterSeconds } from '../src/api';

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  classifyAnswer({ statusCode, headers: { 'content-type': 'application/json', ...headers }, text: JSON.stringify(body) });

function failed(result: ReturnType<typeof classifyAnswer>): MovilitasError {
  assert.equal(result.ok, false, 'expected a failure');
  return (result as { ok: false; error: MovilitasError }).error;
}

describe('response classification', () => {
  it('a 2xx JSON success is a success; an empty 2xx body is a success with null', () => {
    assert.deepEqual(json(200, { success: true, message: 'Serials released' }), { ok: true, body: { success: true, message: 'Serials released' } });
    assert.deepEqual(classifyAnswer({ statusCode: 204, headers: {}, text: '' }), { ok: true, body: null });
    assert.deepEqual(classifyAnswer({ statusCode: 200, headers: {}, text: '  \n' }), { ok: true, body: null });
  });

  it('classifies every error of the vendor table by code or by text', () => {
    const cases: Array<[number, unknown, string]> = [
      [401, { success: false, code: 'ERR0001', message: 'No token provided' }, 'auth'],
      [401, { success: false, code: 'ERR0000', message: 'Failed to authenticate token' }, 'auth'],
      [200, { success: false, message: 'Failed to authenticate token' }, 'auth'],
      [400, { success: false, message: 'Channel ID is missing or it needs to be in correct format' }, 'channel'],
      [400, { success: false, message: 'Request body could not be parsed' }, 'request'],
      [422, { success: false, message: 'Validation error', details: [{ field: 'serials' }] }, 'api-validation'],
      [404, { success: false, message: "Product doesn't exist" }, 'product-not-found'],
      [200, { success: false, message: "Product doesn't exist" }, 'product-not-found'],
    ];
    for (const [status, body, kind] of cases) assert.equal(failed(json(status, body)).kind, kind, JSON.stringify(body));
  });

  it('reads the message and code from every documented place', () => {
    assert.equal(readMessage({ message: 'm' }), 'm');
    assert.equal(readMessage({ error: 'e' }), 'e');
    assert.equal(readMessage({ error: { message: 'em', code: 'ERR0001' } }), 'em');
    assert.equal(readMessage({ msg: 'x' }), 'x');
    assert.equal(readMessage({ errors: [{ message: 'a' }, { message: 'b' }] }), 'a; b');
    assert.equal(readCode({ code: 'ERR0001' }), 'ERR0001');
    assert.equal(readCode({ error_code: 'ERR0000' }), 'ERR0000');
    assert.equal(readCode({ error: { code: 'ERR0001' } }), 'ERR0001');
    assert.equal(readCode({ errors: [{ code: 'X' }, { code: 'ERR0000' }] }), 'ERR0000');
    assert.equal(readCode({ code: 42 }), undefined);
    const err = failed(json(400, { error: { message: 'Failed to authenticate token', code: 'ERR0000' } }));
    assert.equal(err.kind, 'auth');
    assert.equal(err.code, 'ERR0000');
  });

  it('keeps the API validation details', () => {
    const err = failed(json(422, { success: false, message: 'Validation error', details: [{ field: 'serials[0]', message: 'bad' }] }));
    assert.deepEqual(err.details, { details: [{ field: 'serials[0]', message: 'bad' }] });
    const whole = failed(json(422, { success: false, message: 'Validation error' }));
    assert.deepEqual(whole.details, { details: { success: false, message: 'Validation error' } });
  });

  it('falls back to the HTTP status', () => {
    assert.equal(failed(json(401, {})).kind, 'auth');
    assert.equal(failed(json(403, { message: 'Forbidden' })).kind, 'auth');
    assert.equal(failed(json(413, { message: 'too big' })).kind, 'request');
    assert.match(failed(json(413, {})).message, /HTTP 413/);
    assert.equal(failed(json(500, {})).kind, 'server');
    assert.equal(failed(json(503, {})).kind, 'server');
    assert.equal(failed(json(418, {})).kind, 'unexpected-response');
  });

  it('handles an HTML page from a proxy without crashing', () => {
    const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>';
    const err = failed(classifyAnswer({ statusCode: 502, headers: { 'content-type': 'text/html' }, text: html }));
    assert.equal(err.kind, 'server');
    assert.equal(err.statusCode, 502);
    assert.match(err.message, /text\/html.*502 Bad Gateway/);
    assert.equal(err.response, html);
    assert.equal(err.retryable, true);
  });

  it('handles plain-text error bodies, finding the vendor text and code', () => {
    assert.equal(failed(classifyAnswer({ statusCode: 400, headers: {}, text: 'Request body could not be parsed' })).kind, 'request');
    const err = failed(classifyAnswer({ statusCode: 401, headers: {}, text: 'ERR0000 token rejected' }));
    assert.equal(err.code, 'ERR0000');
    assert.equal(err.kind, 'auth');
  });

  it('a non-JSON or non-object 2xx is an unexpected response', () => {
    assert.equal(failed(classifyAnswer({ statusCode: 200, headers: { 'content-type': 'text/html' }, text: '<html>ok</html>' })).kind, 'unexpected-response');
    assert.equal(failed(json(200, [1, 2])).kind, 'unexpected-response');
    assert.equal(failed(json(200, { success: false })).kind, 'unexpected-response');
  });

  it('cuts the raw response to 2,048 characters', () => {
    const err = failed(classifyAnswer({ statusCode: 500, headers: {}, text: 'x'.repeat(5000) }));
    assert.equal(err.response?.length, 2048);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterSeconds({ 'retry-after': '7' }), 7);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterSeconds({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now), 30);
    assert.equal(retryAfterSeconds({ 'retry-after': 'soon' }), undefined);
    assert.equal(retryAfterSeconds({}), undefined);
    const err = failed(json(429, { message: 'slow down' }, { 'retry-after': '12' }));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.details?.retryAfter, 12);
  });

  it('classifies network failures by the innermost code', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const wrapped = Object.assign(new TypeError('fetch failed'), { code: 'UND_ERR_SOCKET', cause: refused });
    const err = classifyNetworkError(wrapped);
    assert.equal(err.kind, 'network');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(classifyNetworkError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' })).kind, 'timeout');
    assert.equal(classifyNetworkError(Object.assign(new Error('dns'), { code: 'ENOTFOUND' })).code, 'ENOTFOUND');
  });
});
