/**
 * fast-check generators for what reaches a release node: payloads of every shape the contract
 * names and of shapes it does not, product codes right and wrong, and node settings.
 */
import fc from 'fast-check';
import { checkDigitOf, CSET82 } from './oracle';

/** Seed and scale of every fuzz run: fixed by default (reproducible), FUZZ_SEED / FUZZ_SCALE to explore. */
export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261203;
const SCALE = process.env.FUZZ_SCALE !== undefined ? Number(process.env.FUZZ_SCALE) : 1;

export function runs(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

/** Runs a property with the suite's seed; on failure the error says how to reproduce it. */
export async function check<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns: number,
  counter?: { cases: number },
  /** Shrinking re-runs the property many times: costly when each run deploys a flow. */
  shrink = true,
): Promise<void> {
  const endOnFailure = !shrink && process.env.FUZZ_SHRINK === undefined;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, { seed: FUZZ_SEED, numRuns, endOnFailure });
  if (counter) counter.cases += details.numRuns;
  if (details.failed) {
    const text = fc.defaultReportMessage(details) ?? 'property failed';
    // Printed as well as thrown, so the seed is visible even when mocha shortens the error.
    console.error(`\n      fuzz failure: re-run with FUZZ_SEED=${details.seed} (path ${details.counterexamplePath})\n`);
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${text}\nFUZZ_SEED=${details.seed}\nFailure: ${cause.slice(0, 2000)}`);
  }
}

const cset82Char = fc.constantFrom(...CSET82.split(''));
const digit = fc.constantFrom(...'0123456789'.split(''));

/** A serial GS1 accepts: 1 to 20 characters of set 82. */
export const goodSerial = fc.string({ unit: cset82Char, minLength: 1, maxLength: 20 });

/** Whitespace the contract trims (and some it does not). */
const padding = fc.constantFrom('', ' ', '  ', '\t', '\u00a0', '\ufeff', '\u2028', '\u3000', '\v', '\x85');

/** Characters that break AI (21): space, #, $, @, brackets, non-ASCII, controls, lone surrogates. */
const badChar = fc.constantFrom(' ', '#', '$', '@', '[', ']', '{', '}', '\\', '^', '`', '|', '~', 'é', 'ß', 'Ä', '€', '😀', '\u0000', '\u0007', '\u001b', '\ud800', '\udfff', '\u200b', '٣', '１');

export const badSerial = fc.oneof(
  // a bad character somewhere inside
  fc.tuple(fc.string({ unit: cset82Char, maxLength: 10 }), badChar, fc.string({ unit: cset82Char, maxLength: 10 })).map(([a, b, c]) => a + b + c),
  // too long
  fc.string({ unit: cset82Char, minLength: 21, maxLength: 40 }),
  // very long
  fc.tuple(goodSerial, fc.integer({ min: 500, max: 20_000 })).map(([s, n]) => s.repeat(n)),
  fc.string({ unit: 'grapheme', maxLength: 25 }),
  fc.string({ unit: 'binary', maxLength: 25 }),
);

/** Entries of a serial array, mostly strings, sometimes anything else. */
const pool = ['A1', 'B2', 'DDGHG6NTP162PDWXEEAF', '0012', '12', 'x'];
export const serialItem: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: goodSerial },
  { weight: 4, arbitrary: fc.constantFrom(...pool) },
  { weight: 3, arbitrary: fc.tuple(padding, goodSerial, padding).map(([a, s, b]) => a + s + b) },
  { weight: 2, arbitrary: badSerial },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t\t', '\r\n', '   \n ') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(' ', '\t', ''), fc.integer({ min: 1000, max: 200_000 })).map(([s, n]) => s.repeat(n) || ' '.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.bigInt(),
      fc.constant(2 ** 53 + 2),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.object({ maxDepth: 1 }),
      fc.array(goodSerial, { maxLength: 2 }),
      fc.constant(Buffer.from('A1')),
    ),
  },
);

/** GTIN digits of the given length with a right (or deliberately wrong) check digit. */
function gtinOfLength(length: number, right: boolean): fc.Arbitrary<string> {
  return fc
    .tuple(fc.string({ unit: digit, minLength: length - 1, maxLength: length - 1 }), fc.integer({ min: 1, max: 9 }))
    .map(([data, shift]) => {
      const cd = checkDigitOf(data);
      return data + String(right ? cd : (cd + shift) % 10);
    });
}

export const validGtin = fc.constantFrom(8, 12, 13, 14).chain((n) => gtinOfLength(n, true));

export const productCodeValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validGtin },
  { weight: 2, arbitrary: fc.tuple(padding, validGtin, padding).map(([a, g, b]) => a + g + b) },
  { weight: 3, arbitrary: fc.constantFrom(8, 12, 13, 14).chain((n) => gtinOfLength(n, false)) },
  // numbers that lost their leading zeros (or never were GTINs)
  { weight: 2, arbitrary: validGtin.map((g) => Number(g)) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(2 ** 53 + 2), fc.constant(1e21), fc.constant(-0), fc.constant(99_999_999_999_999), fc.constant(100_000_000_000_000)) },
  // wrong lengths, non-ASCII digits, letters
  { weight: 2, arbitrary: fc.string({ unit: digit, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('０１２３４５６７', '٠١٢٣٤٥٦٧', '0123456789123A', '12345678901234567890123456789', '0x1234567', '1e13', '+12345678', '-1234567') },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, '', '   ', true, false, [], {}, Buffer.from('01234567891231')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 16 }) },
);

const schemaValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('GTIN', 'gtin', 'Gtin', ' GTIN ', 'gTiN\n') },
  { weight: 2, arbitrary: fc.constantFrom('', '  ', null, 'SSCC', 'EAN', 'GTIN-14', 'GTI N', 'GTıN', 'ǴTIN', 'ＧＴＩＮ', 'gtin\u0000', 5, true, ['GTIN'], { GTIN: 1 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** A line-separated string with the line breaks the contract names, blank lines among them. */
const serialText = fc
  .tuple(
    fc.array(fc.oneof(goodSerial, fc.constantFrom('', ' ', 'A1', 'B2'), badSerial), { maxLength: 12 }),
    fc.array(fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\r\r\n'), { minLength: 12, maxLength: 12 }),
    fc.boolean(),
  )
  .map(([lines, breaks, trailing]) => lines.map((l, i) => l + (i < lines.length - 1 || trailing ? breaks[i] : '')).join(''));

const serialArray = fc.array(serialItem, { maxLength: 15 });

const objectForm: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      product_code: productCodeValue,
      product_code_schema: schemaValue,
      serials: fc.oneof({ weight: 6, arbitrary: serialArray }, { weight: 2, arbitrary: serialText }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
      extra: fc.anything({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );

/** Nested deeper than any recursive code could follow. */
const deeplyNested = fc.integer({ min: 1000, max: 20_000 }).map((depth) => {
  let v: unknown = 'A1';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { serials: v };
  return v;
});

/** Payloads of the three forms, Buffers of them, and anything else a flow may send. */
export const payload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 10, arbitrary: objectForm },
  { weight: 5, arbitrary: serialArray },
  { weight: 4, arbitrary: serialText },
  { weight: 1, arbitrary: goodSerial },
  { weight: 2, arbitrary: fc.oneof(objectForm, serialArray).map((v) => Buffer.from(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? 'null')) },
  { weight: 1, arbitrary: serialText.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
  { weight: 2, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, 0, -0, NaN, Infinity, 2 ** 53 + 2, 12345678901234567890n, true, '', '\n\n') },
  { weight: 1, arbitrary: deeplyNested },
);

/** Payloads that are mostly valid: the flow tests need many requests, not only refusals. */
const goodishSerial = fc.oneof(
  { weight: 6, arbitrary: goodSerial },
  { weight: 3, arbitrary: fc.constantFrom(...pool) },
  { weight: 2, arbitrary: fc.tuple(padding, goodSerial, padding).map(([a, s, b]) => a + s + b) },
  { weight: 1, arbitrary: badSerial },
);
export const likelyValidPayload: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      product_code: fc.oneof({ weight: 5, arbitrary: validGtin }, { weight: 1, arbitrary: productCodeValue }),
      product_code_schema: fc.constantFrom(undefined, 'GTIN', 'gtin'),
      serials: fc.array(goodishSerial, { minLength: 1, maxLength: 9 }),
    },
    { requiredKeys: ['serials'] },
  ),
  fc.array(goodishSerial, { minLength: 1, maxLength: 9 }),
  fc.array(goodishSerial, { minLength: 1, maxLength: 6 }).map((l) => l.join('\n')),
  fc.record({ product_code: validGtin, serials: fc.array(goodishSerial, { minLength: 1, maxLength: 6 }) }).map((o) => Buffer.from(JSON.stringify(o))),
);

export interface NodeSettings {
  verifyCheckDigit: unknown;
  validateSerials: unknown;
  maxSerialsPerRequest: unknown;
  productCode: unknown;
  productCodeType: unknown;
}

/** Release node settings, the contract's values and some a hand-edited flow file may hold. */
export const nodeSettings: fc.Arbitrary<NodeSettings> = fc.record({
  verifyCheckDigit: fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'false', 0, null) }),
  validateSerials: fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'false', 0, null) }),
  maxSerialsPerRequest: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
    { weight: 2, arbitrary: fc.constantFrom(1000, undefined, '') },
    { weight: 2, arbitrary: fc.constantFrom(0, -1, 2.5, '3', ' 2 ', 'abc', 1e9, Infinity, NaN, null, true, 2 ** 53 + 2) },
  ),
  productCodeType: fc.constantFrom('str', 'str', 'msg', 'env', 'flow', 'global'),
  productCode: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('', '01234567891231', '1234567891231', '09506000134352', '01234567891234') },
    { weight: 3, arbitrary: fc.constantFrom('product', 'gtin.code', 'MOVILITAS_FUZZ_GTIN', 'MOVILITAS_FUZZ_UNSET', 'payload.product_code') },
    { weight: 1, arbitrary: fc.constantFrom('a[', '[msg.x]', 'a[msg.nope]', 'x[msg.product]', '#:(nostore)::k', '${MOVILITAS_FUZZ_GTIN}', ']]') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  ),
});
