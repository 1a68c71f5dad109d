import assert from 'node:assert/strict';
import { MovilitasError, normaliseReleaseInput, NormaliseOptions } from '../src/api';

const strict: NormaliseOptions = { verifyCheckDigit: true, validateSerials: true };
const GTIN = '01234567891231';

function rejects(payload: unknown, pattern: RegExp, opts: NormaliseOptions = strict): MovilitasError {
  try {
    normaliseReleaseInput(payload, opts);
  } catch (err) {
    assert.ok(err instanceof MovilitasError, String(err));
    assert.equal(err.kind, 'validation');
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a validation error matching ${pattern}`);
}

describe('payload normalisation', () => {
  it('reads the object form', () => {
    const out = normaliseReleaseInput({ product_code: GTIN, product_code_schema: 'gtin', serials: [' A1 ', 'B2'] }, strict);
    assert.deepEqual(out, { productCode: GTIN, productCodeSchema: 'GTIN', serials: ['A1', 'B2'], duplicatesRemoved: 0 });
  });

  it('reads an array of serials with the node product code', () => {
    const out = normaliseReleaseInput(['A1', 'A1', 'B2', 'A1'], { ...strict, defaultProductCode: ` ${GTIN} ` });
    assert.deepEqual(out.serials, ['A1', 'B2']);
    assert.equal(out.duplicatesRemoved, 2);
    assert.equal(out.productCode, GTIN);
  });

  it('reads a line-separated string, ignoring blank lines', () => {
    const out = normaliseReleaseInput('A1\r\n\n  B2  \rC3\n\n', { ...strict, defaultProductCode: GTIN });
    assert.deepEqual(out.serials, ['A1', 'B2', 'C3']);
  });

  it('decodes a Buffer: JSON object, JSON array, or text', () => {
    const opts = { ...strict, defaultProductCode: GTIN };
    assert.deepEqual(normaliseReleaseInput(Buffer.from(JSON.stringify({ serials: ['X'] })), opts).serials, ['X']);
    assert.deepEqual(normaliseReleaseInput(Buffer.from('["Y","Z"]'), opts).serials, ['Y', 'Z']);
    assert.deepEqual(normaliseReleaseInput(Buffer.from('S1\nS2'), opts).serials, ['S1', 'S2']);
    assert.deepEqual(normaliseReleaseInput(Buffer.from('[not json'), { ...opts, validateSerials: false }).serials, ['[not json']);
  });

  it('prefers the payload product code over the node one, and falls back when it is blank', () => {
    assert.equal(normaliseReleaseInput({ product_code: GTIN, serials: ['A'] }, { ...strict, defaultProductCode: '09506000134352' }).productCode, GTIN);
    assert.equal(normaliseReleaseInput({ product_code: '  ', serials: ['A'] }, { ...strict, defaultProductCode: '09506000134352' }).productCode, '09506000134352');
  });

  it('pads GTIN-13 and numbers that lost their leading zeros', () => {
    assert.equal(normaliseReleaseInput({ product_code: '1234567891231', serials: ['A'] }, strict).productCode, GTIN);
    assert.equal(normaliseReleaseInput({ product_code: 1234567891231, serials: ['A'] }, strict).productCode, GTIN);
  });

  it('names the expected check digit', () => {
    const err = rejects({ product_code: '01234567891234', serials: ['A'] }, /check digit: expected 1, found 4/);
    assert.deepEqual(err.details, { expectedCheckDigit: 1, foundCheckDigit: 4 });
  });

  it('sends a wrong check digit when verification is off', () => {
    assert.equal(normaliseReleaseInput({ product_code: '01234567891234', serials: ['A'] }, { ...strict, verifyCheckDigit: false }).productCode, '01234567891234');
  });

  it('refuses bad product codes', () => {
    rejects({ serials: ['A'] }, /No product code/);
    rejects({ product_code: '123', serials: ['A'] }, /3 digits, not 8, 12, 13 or 14/);
    rejects({ product_code: 'ABCDEFGHIJKLMN', serials: ['A'] }, /digits only/);
    rejects({ product_code: 1.5, serials: ['A'] }, /whole number/);
    rejects({ product_code: -1, serials: ['A'] }, /whole number/);
    rejects({ product_code: 2 ** 60, serials: ['A'] }, /at most 14 digits/);
    rejects({ product_code: true, serials: ['A'] }, /product_code must be a string/);
    rejects(['A'], /node's product code must be a string of digits, not an object/, { ...strict, defaultProductCode: {} });
  });

  it('refuses a schema other than GTIN', () => {
    rejects({ product_code: GTIN, product_code_schema: 'SSCC', serials: ['A'] }, /"SSCC" is not supported/);
  });

  it('refuses non-string, empty and invalid serials, saying which', () => {
    rejects([123456], /serials\[0\] is a number, not a string/, { ...strict, defaultProductCode: GTIN });
    rejects(['A', '  '], /serials\[1\] " {2}" is empty/, { ...strict, defaultProductCode: GTIN });
    rejects({ product_code: GTIN, serials: ['OK', 'BAD#', 'ALSO BAD'] }, /2 serials are invalid; the first: serials\[1\] "BAD#" contains "#"/);
    rejects('OK\nBAD#', /line 2 "BAD#"/, { ...strict, defaultProductCode: GTIN });
    const err = rejects({ product_code: GTIN, serials: Array.from({ length: 50 }, (_, i) => `#${i}`) }, /50 serials are invalid/);
    assert.equal(err.details?.invalidCount, 50);
    assert.equal((err.details?.invalidSerials as unknown[]).length, 20);
  });

  it('lets serials outside GS1 through when serial validation is off, but not non-strings', () => {
    const opts = { verifyCheckDigit: true, validateSerials: false, defaultProductCode: GTIN };
    assert.deepEqual(normaliseReleaseInput(['A#1'], opts).serials, ['A#1']);
    rejects([null], /serials\[0\] is null/, opts);
  });

  it('refuses an empty list and payloads of the wrong type', () => {
    const opts = { ...strict, defaultProductCode: GTIN };
    rejects([], /list is empty/, opts);
    rejects('\n \n', /list is empty/, opts);
    rejects({ product_code: GTIN }, /serials is missing/);
    rejects({ product_code: GTIN, serials: 5 }, /must be an array of serial strings/);
    rejects(null, /not null/, opts);
    rejects(undefined, /not undefined/, opts);
    rejects(42, /not a number/, opts);
  });
});

describe('payload normalisation: regressions found by fuzzing', () => {
  const opts = { ...strict, defaultProductCode: GTIN };

  it('regression: a huge blank serial in an array is not copied whole into the error', () => {
    const blank = ' '.repeat(200_000);
    const err = rejects([blank, 'A1'], /serials\[0\] .* is empty/, opts);
    assert.ok(err.message.length < 200, `message of ${err.message.length} characters`);
    assert.ok(JSON.stringify(err.toJSON()).length < 2_000, 'msg.error stays small');
  });

  it('regression: a non-string serial is not quoted as if its type were its text', () => {
    const err = rejects([{ a: 1 }], /serials\[0\] is an object, not a string/, opts);
    assert.doesNotMatch(err.message, /"an object"/);
    // Found by an adversarial tester: it read "is a undefined".
    rejects([, 'A1'], /serials\[0\] is undefined, not a string/, opts); // eslint-disable-line no-sparse-arrays
    rejects([undefined], /serials\[0\] is undefined, not a string/, opts);
  });

  it('regression: a typed array or ArrayBuffer payload is named as such, not "payload.serials is missing"', () => {
    rejects(new Uint8Array([65, 49]), /msg\.payload is a Uint8Array: send a Buffer, an array of serial strings/, opts);
    rejects(new ArrayBuffer(2), /msg\.payload is an ArrayBuffer: send a Buffer/, opts);
    rejects({ serials: new Uint16Array(2) }, /payload\.serials must be an array of serial strings/, opts);
  });

  it('regression: a list longer than 1,000,000 items is refused at once (a sparse array of length 1e8 blocked for 6 s)', () => {
    const serials: unknown[] = [];
    serials.length = 100_000_000;
    const started = Date.now();
    rejects({ serials }, /100,000,000 serials, more than the 1,000,000 one message may carry/, opts);
    // Refused before the list is walked: a walk of 1e8 holes took seconds; this takes microseconds.
    assert.ok(Date.now() - started < 200, `took ${Date.now() - started} ms`);
    rejects('A\n'.repeat(1_000_001), /1,000,002 lines, more than the 1,000,000 one message may carry/, opts);
    assert.equal(normaliseReleaseInput(Array.from({ length: 1_000_000 }, (_, i) => `S${i}`), opts).serials.length, 1_000_000);
  });

  it('regression: product_code_schema "GTıN" (dotless i) is not taken for GTIN', () => {
    // toUpperCase() maps U+0131 to "I"; the schema keyword matches ASCII case-insensitively only.
    rejects({ product_code: GTIN, product_code_schema: 'GTıN', serials: ['A1'] }, /"GTıN" is not supported/);
    assert.equal(normaliseReleaseInput({ product_code: GTIN, product_code_schema: ' gTiN ', serials: ['A1'] }, strict).productCodeSchema, 'GTIN');
  });
});
