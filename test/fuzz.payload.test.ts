/**
 * Input fuzzing at the pure level: `normaliseReleaseInput` against an independent model of the
 * contract (support/oracle.ts), for many thousands of generated payloads and settings. Seeded
 * (FUZZ_SEED, printed on failure); FUZZ_SCALE multiplies the number of cases.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { MovilitasError, normaliseReleaseInput, NormaliseOptions } from '../src/api';
import { check, FUZZ_SEED, payload, productCodeValue, runs, serialItem } from './support/arbitraries';
import { expectedRelease, messageDescribes } from './support/oracle';

/** Whatever the input, an error stays small enough for a msg, a log line and the editor. */
const MAX_MESSAGE_LENGTH = 400;
const MAX_ERROR_JSON = 16 * 1024;

const options = fc.record({
  defaultProductCode: productCodeValue,
  verifyCheckDigit: fc.boolean(),
  validateSerials: fc.boolean(),
});

/** A copy to compare with afterwards, when the value can be copied at all. */
function snapshot(value: unknown): { ok: true; copy: unknown } | { ok: false } {
  try {
    const copy = deserialize(serialize(value));
    // Some values do not survive the copy (a null prototype); those are not compared.
    return isDeepStrictEqual(copy, value) ? { ok: true, copy } : { ok: false };
  } catch {
    return { ok: false }; // not serialisable, or nested deeper than the comparison can follow
  }
}

/** The property every case must satisfy; returns a description of what went wrong, or nothing. */
function checkCase(input: unknown, opts: NormaliseOptions): void {
  const expected = expectedRelease(input, opts);
  const before = snapshot(input);
  let result: ReturnType<typeof normaliseReleaseInput> | undefined;
  let thrown: unknown;
  try {
    result = normaliseReleaseInput(input, opts);
  } catch (err) {
    thrown = err;
  }
  if (before.ok) assert.ok(isDeepStrictEqual(before.copy, input), 'the payload was changed');

  if (expected.ok) {
    if (thrown !== undefined) {
      assert.fail(`valid input refused: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
    assert.deepEqual(result, {
      productCode: expected.body.product_code,
      productCodeSchema: 'GTIN',
      serials: expected.body.serials,
      duplicatesRemoved: expected.duplicatesRemoved,
    });
    return;
  }
  assert.equal(result, undefined, `invalid input accepted; the model expected: ${JSON.stringify(expected.problems)}`);
  assert.ok(thrown instanceof MovilitasError, `not a MovilitasError: ${String(thrown)}`);
  assert.equal(thrown.kind, 'validation');
  assert.equal(thrown.retryable, false);
  assert.ok(thrown.message.length > 0 && thrown.message.length <= MAX_MESSAGE_LENGTH, `message of ${thrown.message.length} characters`);
  assert.ok(
    expected.problems.some((p) => messageDescribes(thrown.message, p)),
    `the message "${thrown.message}" names none of ${JSON.stringify(expected.problems)}`,
  );
  const json = JSON.stringify(thrown.toJSON());
  assert.ok(json.length <= MAX_ERROR_JSON, `msg.error would hold ${json.length} characters`);
}

describe('fuzz: payload normalisation against a model of the contract', function () {
  this.timeout(120_000);
  const counter = { cases: 0 };

  after(() => {
    console.log(`      fuzz (pure): ${counter.cases} generated cases, seed ${FUZZ_SEED}`);
  });

  it('every payload shape and setting: the exact body for valid input, a validation error naming the problem otherwise', async () => {
    await check(fc.property(payload, options, (p, o) => checkCase(p, o)), runs(7000), counter);
  });

  it('serial arrays: trimmed, de-duplicated in first-seen order, or the bad entry named', async () => {
    const arr = fc.array(serialItem, { minLength: 1, maxLength: 60 });
    await check(
      fc.property(arr, options, fc.boolean(), (serials, o, wrap) => checkCase(wrap ? { serials } : serials, o)),
      runs(2500),
      counter,
    );
  });

  it('product codes: padded to 14 digits, check digit verified when asked', async () => {
    await check(
      fc.property(productCodeValue, productCodeValue, fc.boolean(), (pc, dflt, verify) =>
        checkCase({ product_code: pc, serials: ['A1'] }, { defaultProductCode: dflt, verifyCheckDigit: verify, validateSerials: true }),
      ),
      runs(1500),
      counter,
    );
  });

  it('the same input as a Buffer gives the same result as its decoded JSON', async () => {
    const jsonPayload = fc.oneof(fc.array(serialItem.filter((v) => typeof v === 'string'), { maxLength: 8 }), fc.record({ product_code: productCodeValue.filter((v) => typeof v === 'string'), serials: fc.array(fc.string(), { maxLength: 5 }) }));
    await check(
      fc.property(jsonPayload, options, (p, o) => {
        checkCase(Buffer.from(JSON.stringify(p)), o);
        checkCase(Buffer.from(`  \n${JSON.stringify(p)}\n`), o);
      }),
      runs(500),
      counter,
    );
  });
});
