/**
 * GS1 rules checked locally before any request: the GTIN check digit (GS1 General
 * Specifications, section 7.9) and the serial number of AI (21): 1 to 20 characters of the
 * "AI encodable character set 82". GTINs are strings throughout: leading zeros matter.
 */

/** The check digit of a string of data digits (a GTIN without its last digit). */
export function gs1CheckDigit(dataDigits: string): number {
  let sum = 0;
  // From the right: the rightmost data digit is weighted 3, then 1, 3, 1 ...
  for (let i = dataDigits.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += (dataDigits.charCodeAt(i) - 48) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

export const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];

export type GtinProblem =
  | { reason: 'not-digits' }
  | { reason: 'length'; length: number }
  | { reason: 'check-digit'; expected: number; found: number };

export interface GtinCheck {
  /** The GTIN as sent: 14 digits, left-padded with zeros. */
  gtin14: string;
  problem?: GtinProblem;
}

/**
 * Normalises a GTIN given as digits to its 14-digit form and reports what is wrong with it.
 * `verifyCheckDigit` false skips only the check-digit test.
 */
export function checkGtin(digits: string, verifyCheckDigit: boolean): GtinCheck {
  if (!/^[0-9]+$/.test(digits)) return { gtin14: digits, problem: { reason: 'not-digits' } };
  if (!GTIN_LENGTHS.includes(digits.length)) {
    return { gtin14: digits, problem: { reason: 'length', length: digits.length } };
  }
  const gtin14 = digits.padStart(14, '0');
  if (verifyCheckDigit) {
    const expected = gs1CheckDigit(gtin14.slice(0, 13));
    const found = gtin14.charCodeAt(13) - 48;
    if (expected !== found) return { gtin14, problem: { reason: 'check-digit', expected, found } };
  }
  return { gtin14 };
}

/** GS1 AI encodable character set 82, as one regular expression character class. */
const CSET82 = `!"%&'()*+,\\-./0-9:;<=>?A-Z_a-z`;
const SERIAL_RE = new RegExp(`^[${CSET82}]{1,20}$`);
const OUTSIDE_CSET82_RE = new RegExp(`[^${CSET82}]`, 'u');

export const SERIAL_MAX_LENGTH = 20;

/** Why a serial breaks the AI (21) rules, or undefined when it is valid. */
export function serialProblem(serial: string): string | undefined {
  if (SERIAL_RE.test(serial)) return undefined;
  if (serial.length === 0) return 'is empty';
  const bad = OUTSIDE_CSET82_RE.exec(serial);
  if (bad) {
    const ch = bad[0];
    const shown = /^[\x21-\x7e]$/.test(ch)
      ? `"${ch}"`
      : `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `contains ${shown} at position ${bad.index + 1}, outside the GS1 character set 82`;
  }
  return `has ${[...serial].length} characters, more than the ${SERIAL_MAX_LENGTH} GS1 AI (21) allows`;
}
