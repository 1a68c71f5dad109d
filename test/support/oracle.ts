/**
 * An independent model of what the public contract (shared/spec/node-contract.md, "Input:
 * msg.payload") says the release node must make of a payload. Written from the contract's
 * words, not from src/api/payload.ts: the fuzz tests compare the two.
 *
 * For a valid input it gives the exact release body; for an invalid one, every problem it can
 * see (the contract does not say which of several problems is reported first, so the real
 * error must describe one of them).
 */

export interface OracleOptions {
  defaultProductCode?: unknown;
  verifyCheckDigit: boolean;
  validateSerials: boolean;
}

export type Problem =
  /** msg.payload, or one of the object form's fields, has a type the contract does not accept */
  | { kind: 'shape'; field: 'payload' | 'product_code' | 'product_code_schema' | 'serials' }
  | { kind: 'no-product-code' }
  /** not 8, 12, 13 or 14 ASCII digits, or a number that is not a whole number of <= 14 digits */
  | { kind: 'product-code-format' }
  | { kind: 'check-digit'; expected: number; found: number }
  | { kind: 'schema' }
  /** `index` in the array, or the 0-based line of a line-separated string */
  | { kind: 'serial'; index: number; line: boolean }
  | { kind: 'empty' };

export type Expected =
  | {
      ok: true;
      body: { product_code: string; product_code_schema: 'GTIN'; serials: string[] };
      duplicatesRemoved: number;
    }
  | { ok: false; problems: Problem[] };

/** GS1 "AI encodable character set 82", spelled out as the facts sheet lists it. */
export const CSET82 =
  '0123456789' +
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ' +
  'abcdefghijklmnopqrstuvwxyz' +
  '!"%&\'()*+,-./:;<=>?_';

const CSET82_SET = new Set(CSET82.split(''));

/**
 * The GS1 check digit of the data digits, from the facts sheet: number the digits from the
 * right; the rightmost and every second one leftwards are weighted 3, the others 1;
 * check = (10 - sum mod 10) mod 10.
 */
export function checkDigitOf(dataDigits: string): number {
  let sum = 0;
  const n = dataDigits.length;
  for (let fromRight = 0; fromRight < n; fromRight++) {
    const digit = Number(dataDigits[n - 1 - fromRight]);
    sum += fromRight % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

function isAsciiDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (ch < '0' || ch > '9') return false;
  return true;
}

function isObjectForm(v: unknown): v is Record<string, unknown> {
  // A typed array or ArrayBuffer is binary data, not the object form (and not a Buffer).
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);
}

function isBlankString(v: unknown): boolean {
  return typeof v === 'string' && v.trim() === '';
}

/** The contract's line breaks: CR LF, CR, LF. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\r' || ch === '\n') {
      lines.push(current);
      current = '';
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else {
      current += ch;
    }
  }
  lines.push(current);
  return lines;
}

function productCode(raw: unknown, verify: boolean): { ok: true; gtin14: string } | { ok: false; problem: Problem } {
  if (raw === undefined || raw === null || isBlankString(raw)) return { ok: false, problem: { kind: 'no-product-code' } };
  let digits: string;
  if (typeof raw === 'number') {
    // "a non-negative integer of at most 14 digits"
    if (!Number.isSafeInteger(raw) || raw < 0 || raw > 99_999_999_999_999) {
      return { ok: false, problem: { kind: 'product-code-format' } };
    }
    digits = String(raw).padStart(14, '0');
  } else if (typeof raw === 'string') {
    digits = raw.trim();
    if (!isAsciiDigits(digits) || ![8, 12, 13, 14].includes(digits.length)) {
      return { ok: false, problem: { kind: 'product-code-format' } };
    }
  } else {
    return { ok: false, problem: { kind: 'product-code-format' } };
  }
  const gtin14 = '0'.repeat(14 - digits.length) + digits;
  if (verify) {
    const expected = checkDigitOf(gtin14.slice(0, 13));
    const found = Number(gtin14[13]);
    if (expected !== found) return { ok: false, problem: { kind: 'check-digit', expected, found } };
  }
  return { ok: true, gtin14 };
}

function serialAcceptable(serial: string): boolean {
  if (serial.length < 1 || serial.length > 20) return false;
  for (const ch of serial) if (!CSET82_SET.has(ch)) return false;
  return true;
}

export function expectedRelease(payload: unknown, opts: OracleOptions): Expected {
  const problems: Problem[] = [];

  // The three forms, and a Buffer of any of them.
  let value = payload;
  if (Buffer.isBuffer(value)) {
    const text = value.toString('utf8');
    let parsed: unknown;
    let isJson = false;
    try {
      parsed = JSON.parse(text);
      isJson = true;
    } catch {
      isJson = false;
    }
    value = isJson && typeof parsed === 'object' && parsed !== null ? parsed : text;
  }

  let payloadCode: unknown;
  let schema: unknown;
  let serials: unknown;
  if (typeof value === 'string' || Array.isArray(value)) {
    serials = value;
  } else if (isObjectForm(value)) {
    payloadCode = value.product_code;
    schema = value.product_code_schema;
    serials = value.serials;
    if (payloadCode !== undefined && payloadCode !== null && typeof payloadCode !== 'string' && !(typeof payloadCode === 'number' && Number.isFinite(payloadCode))) {
      problems.push({ kind: 'shape', field: 'product_code' });
      payloadCode = undefined;
    }
    if (schema !== undefined && schema !== null && typeof schema !== 'string') {
      problems.push({ kind: 'shape', field: 'product_code_schema' });
      schema = undefined;
    }
    if (typeof serials !== 'string' && !Array.isArray(serials)) {
      problems.push({ kind: 'shape', field: 'serials' });
      serials = undefined;
    }
  } else {
    return { ok: false, problems: [{ kind: 'shape', field: 'payload' }] };
  }

  // Product code: the payload's when present and not empty, else the node's.
  const fromPayload = payloadCode !== undefined && payloadCode !== null && !isBlankString(payloadCode);
  const code = productCode(fromPayload ? payloadCode : opts.defaultProductCode, opts.verifyCheckDigit);
  if (!code.ok) problems.push(code.problem);

  // Schema: defaults to GTIN, matched case-insensitively (ASCII letters: this is a keyword).
  if (typeof schema === 'string' && schema.trim() !== '') {
    const s = schema.trim();
    const ascii = s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
    if (ascii !== 'GTIN') problems.push({ kind: 'schema' });
  }

  // Serials.
  const kept: string[] = [];
  let serialProblems = 0;
  if (serials !== undefined) {
    const fromText = typeof serials === 'string';
    const items: unknown[] = fromText ? splitLines(serials as string) : (serials as unknown[]);
    // By index: a hole in a sparse array is an entry too (undefined, not a string).
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      if (typeof item !== 'string') {
        problems.push({ kind: 'serial', index, line: fromText });
        serialProblems++;
        continue;
      }
      const serial = item.trim();
      if (serial === '') {
        if (!fromText) {
          problems.push({ kind: 'serial', index, line: false });
          serialProblems++;
        }
        continue;
      }
      if (opts.validateSerials && !serialAcceptable(serial)) {
        problems.push({ kind: 'serial', index, line: fromText });
        serialProblems++;
        continue;
      }
      kept.push(serial);
    }
    if (serialProblems === 0 && kept.length === 0) problems.push({ kind: 'empty' });
  }

  if (problems.length > 0 || !code.ok) return { ok: false, problems };
  const unique: string[] = [];
  const seen = new Set<string>();
  for (const s of kept) {
    if (!seen.has(s)) {
      seen.add(s);
      unique.push(s);
    }
  }
  return {
    ok: true,
    body: { product_code: code.gtin14, product_code_schema: 'GTIN', serials: unique },
    duplicatesRemoved: kept.length - unique.length,
  };
}

/**
 * True when `message` plausibly says what is wrong about `problem` (the contract asks for "a
 * message that says what is wrong"; these are the words a user would look for).
 */
export function messageDescribes(message: string, problem: Problem): boolean {
  switch (problem.kind) {
    case 'shape':
      return problem.field === 'payload'
        ? /msg\.payload (must be|is an? \w+: send)/.test(message)
        : new RegExp(`payload\\.${problem.field}\\b`).test(message);
    case 'no-product-code':
      return /no product code/i.test(message);
    case 'product-code-format':
      return /product[ _]code/.test(message) && /not a GTIN|must be/.test(message);
    case 'check-digit':
      return message.includes(`check digit: expected ${problem.expected}, found ${problem.found}`);
    case 'schema':
      return /product_code_schema/.test(message) && /GTIN/.test(message);
    case 'serial':
      return problem.line ? message.includes(`line ${problem.index + 1}`) : message.includes(`serials[${problem.index}]`);
    case 'empty':
      return /no serials/i.test(message);
  }
}
