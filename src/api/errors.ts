/**
 * The one error type of the package. Every failure, whether found locally (validation,
 * configuration) or reported by the API or the network, becomes a MovilitasError with a
 * `kind` from the public contract, so flows can route on `msg.error.kind`.
 */
import { redactAnswerText, redactionForms, redactString, redactValueInPlace } from './redact';

export const ERROR_KINDS = [
  'validation',
  'config',
  'auth',
  'channel',
  'request',
  'api-validation',
  'product-not-found',
  'rate-limited',
  'server',
  'network',
  'timeout',
  'unexpected-response',
  'cancelled',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Kinds that a later attempt may fix by itself (the contract's "retryable" column). */
const RETRYABLE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'rate-limited',
  'server',
  'network',
  'timeout',
  'cancelled',
]);

export interface MovilitasErrorInit {
  kind: ErrorKind;
  message: string;
  code?: string | undefined;
  statusCode?: number | undefined;
  details?: Record<string, unknown> | undefined;
  /** The raw response body as text; cut to RESPONSE_TEXT_LIMIT characters. */
  response?: string | undefined;
  ambiguous?: boolean | undefined;
  cause?: unknown;
}

export const RESPONSE_TEXT_LIMIT = 2048;

export class MovilitasError extends Error {
  readonly kind: ErrorKind;
  readonly code: string | undefined;
  readonly statusCode: number | undefined;
  details: Record<string, unknown> | undefined;
  response: string | undefined;
  ambiguous: boolean | undefined;
  /** HTTP attempts made for the call that failed (set by the client). */
  attempts: number | undefined;

  constructor(init: MovilitasErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'MovilitasError';
    this.kind = init.kind;
    this.code = init.code;
    this.statusCode = init.statusCode;
    this.details = init.details;
    this.response =
      init.response === undefined ? undefined : init.response.slice(0, RESPONSE_TEXT_LIMIT);
    this.ambiguous = init.ambiguous;
    this.attempts = undefined;
  }

  /** A fresh copy, for an error that several callers received (a failed token fetch). */
  copy(): MovilitasError {
    const copy = new MovilitasError({
      kind: this.kind,
      message: this.message,
      code: this.code,
      statusCode: this.statusCode,
      details: this.details,
      response: this.response,
      ambiguous: this.ambiguous,
      cause: this.cause,
    });
    copy.attempts = this.attempts;
    return copy;
  }

  /**
   * Replaces every occurrence of the given secrets in the texts this error carries. The API
   * may echo what it was sent; nothing it echoes may carry a credential into a flow or a log.
   */
  redact(secrets: readonly string[]): this {
    const forms = redactionForms(secrets);
    if (forms.length === 0) return this;
    this.message = redactString(this.message, forms);
    if (this.response !== undefined) this.response = redactAnswerText(this.response, forms);
    // String by string: in the details' JSON text a secret holding a quote or a tab is escaped.
    if (this.details !== undefined) redactValueInPlace(this.details, forms);
    return this;
  }

  get retryable(): boolean {
    return RETRYABLE_KINDS.has(this.kind);
  }

  /** The plain object the contract puts on `msg.error` (without `source`, which the node adds). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      message: this.message,
      kind: this.kind,
      retryable: this.retryable,
    };
    if (this.code !== undefined) out.code = this.code;
    if (this.statusCode !== undefined) out.statusCode = this.statusCode;
    if (this.ambiguous !== undefined) out.ambiguous = this.ambiguous;
    if (this.details !== undefined) out.details = this.details;
    if (this.response !== undefined) out.response = this.response;
    return out;
  }
}

export function isMovilitasError(value: unknown): value is MovilitasError {
  return value instanceof MovilitasError;
}

/**
 * The text of anything thrown, for a message. Never throws itself: a value thrown by a flow's
 * own code (a payload getter, a Proxy) may have no prototype or a toString() that throws, and
 * describing it must not turn one failure into a lost message or an unhandled rejection.
 */
export function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message);
    return String(err);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

export function validationError(message: string, details?: Record<string, unknown>): MovilitasError {
  return new MovilitasError({ kind: 'validation', message, details });
}

export function configError(message: string): MovilitasError {
  return new MovilitasError({ kind: 'config', message });
}
