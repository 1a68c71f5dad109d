/**
 * Turns whatever arrives in `msg.payload` into the body of one release call, or throws a
 * `validation` MovilitasError that says what is wrong. Nothing here does I/O.
 */
import { z } from 'zod';
import { describeError, isMovilitasError, validationError } from './errors';
import { UniqueStrings } from './dedupe';
import { checkGtin, serialProblem } from './gs1';

export interface ReleaseInput {
  /** 14 digits, as sent. */
  productCode: string;
  productCodeSchema: 'GTIN';
  /** Trimmed, de-duplicated, in the order first seen. */
  serials: string[];
  duplicatesRemoved: number;
}

export interface NormaliseOptions {
  /** The node's own product code (its typedInput, already evaluated), used when the payload has none. */
  defaultProductCode?: unknown;
  verifyCheckDigit: boolean;
  validateSerials: boolean;
}

/** How many individual bad serials `details.invalidSerials` lists; the count covers all. */
const MAX_LISTED_PROBLEMS = 20;

/**
 * The most items (serials, or lines of a string) one message may carry. Ten times the largest
 * batch the benchmark sends; a longer list is refused before it is walked (a sparse array of
 * length 2^32-1 from a function node would otherwise block the runtime for minutes).
 */
export const MAX_SERIALS_PER_MESSAGE = 1_000_000;

const payloadObjectSchema = z.object({
  product_code: z
    .union([z.string(), z.number()], {
      error: 'payload.product_code must be a string of digits (or a whole number)',
    })
    .nullish(),
  product_code_schema: z
    .string({ error: 'payload.product_code_schema must be a string ("GTIN")' })
    .nullish(),
  // Only the array's type is checked here: normaliseSerials() looks at every item anyway, and
  // z.array() would first copy a list of 100,000 serials item by item.
  serials: z.union([z.string(), z.custom<unknown[]>((value) => Array.isArray(value))], {
    error: (issue) =>
      issue.input === undefined
        ? 'payload.serials is missing: give an array of serial strings'
        : 'payload.serials must be an array of serial strings (or one string)',
  }),
});

type PayloadObject = z.infer<typeof payloadObjectSchema>;

export function normaliseReleaseInput(payload: unknown, options: NormaliseOptions): ReleaseInput {
  try {
    return normalise(payload, options);
  } catch (err) {
    if (isMovilitasError(err)) throw err;
    // Reading the payload threw: a getter or a Proxy of the flow's own code.
    throw validationError(`msg.payload could not be read: ${describeError(err)}`);
  }
}

function normalise(payload: unknown, options: NormaliseOptions): ReleaseInput {
  const envelope = readEnvelope(payload);
  const productCode = normaliseProductCode(
    isPresent(envelope.product_code) ? envelope.product_code : options.defaultProductCode,
    isPresent(envelope.product_code) ? 'payload.product_code' : 'the node\'s product code',
    options.verifyCheckDigit,
  );
  const schema = envelope.product_code_schema?.trim();
  // ASCII case-insensitive: toUpperCase() would also turn "GTıN" (dotless i) into "GTIN".
  if (schema && !/^gtin$/i.test(schema)) {
    throw validationError(
      `product_code_schema "${clip(schema)}" is not supported: the API accepts only "GTIN"`,
    );
  }
  const { serials, duplicatesRemoved } = normaliseSerials(envelope.serials, options.validateSerials);
  return { productCode, productCodeSchema: 'GTIN', serials, duplicatesRemoved };
}

/** Brings the three payload forms (and a Buffer of any of them) to the object form. */
function readEnvelope(payload: unknown): PayloadObject {
  if (Buffer.isBuffer(payload)) return readEnvelope(decodeBuffer(payload));
  if (typeof payload === 'string') return { serials: payload };
  if (Array.isArray(payload)) return { serials: payload };
  if (ArrayBuffer.isView(payload) || payload instanceof ArrayBuffer) {
    const type = Object.prototype.toString.call(payload).slice(8, -1);
    throw validationError(
      `msg.payload is ${/^[AEIO]/.test(type) ? 'an' : 'a'} ${type}: send a Buffer, an array of serial strings, a string of serials or an object {product_code, serials}`,
    );
  }
  if (payload !== null && typeof payload === 'object') {
    const parsed = payloadObjectSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw validationError(issue ? issue.message : 'msg.payload has an unknown shape');
    }
    return parsed.data;
  }
  throw validationError(
    `msg.payload must be an object {product_code, serials}, an array of serials or a string of serials, not ${describeType(payload)}`,
  );
}

/** A Buffer holding a JSON object or array is used as that, any other text as serials. */
function decodeBuffer(buffer: Buffer): unknown {
  const text = buffer.toString('utf8');
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') return parsed;
    } catch {
      // not JSON: the text is a list of serials
    }
  }
  return text;
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return typeof value !== 'string' || value.trim() !== '';
}

const MAX_GTIN_NUMBER = 99_999_999_999_999;

function normaliseProductCode(raw: unknown, where: string, verifyCheckDigit: boolean): string {
  let digits: string;
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    throw validationError(
      'No product code: put it in payload.product_code or set the node\'s Product code',
    );
  } else if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 0 || raw > MAX_GTIN_NUMBER) {
      throw validationError(
        `${where} ${String(raw)} is not a GTIN: a number must be a whole number of at most 14 digits (send GTINs as strings)`,
      );
    }
    // A number can only have lost leading zeros; padding to 14 digits restores them.
    digits = String(raw).padStart(14, '0');
  } else if (typeof raw === 'string') {
    digits = raw.trim();
  } else {
    throw validationError(`${where} must be a string of digits, not ${describeType(raw)}`);
  }
  const check = checkGtin(digits, verifyCheckDigit);
  const problem = check.problem;
  if (!problem) return check.gtin14;
  switch (problem.reason) {
    case 'not-digits':
      throw validationError(`${where} "${clip(digits)}" is not a GTIN: it must hold digits only`);
    case 'length':
      throw validationError(
        `${where} "${clip(digits)}" is not a GTIN: it has ${problem.length} digits, not 8, 12, 13 or 14`,
      );
    case 'check-digit':
      throw validationError(
        `${where} "${digits}" has a wrong GS1 check digit: expected ${problem.expected}, found ${problem.found}`,
        { expectedCheckDigit: problem.expected, foundCheckDigit: problem.found },
      );
  }
}

interface SerialIssue {
  index: number;
  serial: unknown;
  problem: string;
}

function normaliseSerials(
  raw: string | unknown[],
  validate: boolean,
): { serials: string[]; duplicatesRemoved: number } {
  const fromText = typeof raw === 'string';
  // In a line-separated string blank lines are ignored; in an array a blank entry is an error.
  const items: unknown[] = fromText ? raw.split(/\r\n|\r|\n/) : raw;
  if (items.length > MAX_SERIALS_PER_MESSAGE) {
    throw validationError(
      `The list has ${items.length.toLocaleString('en-US')} ${fromText ? 'lines' : 'serials'}, more than the ${MAX_SERIALS_PER_MESSAGE.toLocaleString('en-US')} one message may carry: send it in several messages`,
    );
  }
  const unique = new UniqueStrings(items.length);
  const issues: SerialIssue[] = [];
  let issueCount = 0;
  let kept = 0;
  const note = (index: number, serial: unknown, problem: string) => {
    issueCount++;
    if (issues.length < MAX_LISTED_PROBLEMS) issues.push({ index, serial, problem });
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== 'string') {
      note(i, describeValue(item), `is ${describeType(item)}, not a string (serials are text: a number loses its leading zeros)`);
      continue;
    }
    const serial = item.trim();
    if (serial === '') {
      // Clipped: a blank entry may be megabytes of spaces.
      if (!fromText) note(i, clip(item), 'is empty');
      continue;
    }
    kept++;
    if (validate) {
      const problem = serialProblem(serial);
      if (problem !== undefined) {
        note(i, clip(serial), problem);
        continue;
      }
    }
    unique.add(serial);
  }
  if (issueCount > 0) {
    const first = issues[0]!;
    const label = fromText ? `line ${first.index + 1}` : `serials[${first.index}]`;
    // Only text is quoted; for a non-string, `serial` describes its type.
    const shown = typeof items[first.index] === 'string' ? ` "${first.serial as string}"` : '';
    const summary =
      issueCount === 1 ? 'A serial is invalid' : `${issueCount} serials are invalid; the first`;
    throw validationError(`${summary}: ${label}${shown} ${first.problem}`, {
      invalidCount: issueCount,
      invalidSerials: issues,
    });
  }
  const serials = unique.values;
  if (serials.length === 0) throw validationError('No serials to release: the list is empty');
  return { serials, duplicatesRemoved: kept - serials.length };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

function describeValue(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return describeType(value);
}

/** Keeps error messages short when the input is long. */
function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
