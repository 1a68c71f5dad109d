// The few GS1 rules the simulator needs (kept local so the simulator stands alone).

/** GS1 check digit of a string of data digits (everything but the check digit). */
export function gs1CheckDigit(dataDigits: string): number {
  let sum = 0;
  for (let i = dataDigits.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += (dataDigits.charCodeAt(i) - 48) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** A 14-digit GTIN whose last digit is the right check digit. */
export function isValidGtin14(code: string): boolean {
  return /^\d{14}$/.test(code) && gs1CheckDigit(code.slice(0, 13)) === code.charCodeAt(13) - 48;
}

/** One character of GS1 "AI encodable character set 82". */
export const AI82_CHAR = /[0-9A-Za-z!"%&'()*+,\-./:;<=>?_]/;
/** A whole serial number, GS1 AI (21): 1 to 20 characters of the set. */
export const AI21_SERIAL = /^[0-9A-Za-z!"%&'()*+,\-./:;<=>?_]{1,20}$/;
/** Only characters of the set (any length). */
export const AI82_ONLY = /^[0-9A-Za-z!"%&'()*+,\-./:;<=>?_]*$/;
