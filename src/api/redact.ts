/**
 * Keeping credentials out of what the API says. The API (or a gateway) may echo what it was
 * sent, in an error text or even in a 2xx body, and a JSON body spells a secret with escapes
 * (a quote as \", a tab as \t, any character as \uXXXX). Redaction therefore works on the
 * answer as received, before anything (a message that collapses whitespace, a response cut to
 * 2,048 characters) reshapes it, and on parsed values string by string, never on their JSON.
 */

export const REDACTED = '[redacted]';

/** Shorter strings are not redacted: replacing them would mangle ordinary text. */
export const MIN_REDACTED_LENGTH = 4;

/** The forms in which the secrets can appear in text: as they are, and escaped in a JSON string. */
export function redactionForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_REDACTED_LENGTH) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so that a secret containing another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

export function redactString(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * Redacts every string and key of a parsed value in place (it must be the caller's own copy),
 * without recursion (an answer may be nested deeper than the stack). True when anything changed.
 */
export function redactValueInPlace(value: unknown, forms: readonly string[]): boolean {
  if (forms.length === 0) return false;
  let changed = false;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'string') {
          const clean = redactString(item, forms);
          if (clean !== item) {
            current[i] = clean;
            changed = true;
          }
        } else stack.push(item);
      }
      continue;
    }
    const record = current as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      let item = record[key];
      if (typeof item === 'string') {
        const clean = redactString(item, forms);
        if (clean !== item) {
          item = clean;
          record[key] = clean;
          changed = true;
        }
      } else stack.push(item);
      const cleanKey = redactString(key, forms);
      if (cleanKey !== key) {
        delete record[key];
        record[cleanKey] = item;
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * An answer's text with the secrets removed. A JSON text that still holds one once parsed (it
 * was spelled with \u escapes) is given back re-serialised from the redacted parse.
 */
export function redactAnswerText(text: string, forms: readonly string[]): string {
  if (forms.length === 0) return text;
  const out = redactString(text, forms);
  if (!out.includes('\\')) return out; // no escapes: nothing can hide
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    return out;
  }
  if (!redactValueInPlace(parsed, forms)) return out;
  try {
    return JSON.stringify(parsed);
  } catch {
    return REDACTED; // too deep to write back: nothing of it is kept
  }
}
