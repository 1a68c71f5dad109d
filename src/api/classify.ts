/**
 * The one place that decides what an HTTP answer or a network failure means. The API's error
 * body is not fully documented, so reading it is tolerant: message and vendor code are looked
 * for in several places, and an HTML or text body from a proxy is handled like any other.
 * Order of evidence: the vendor code, then the vendor's message texts, then the HTTP status.
 */
import { describeError, ErrorKind, MovilitasError } from './errors';

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export type Classified = { ok: true; body: unknown } | { ok: false; error: MovilitasError };

/** The vendor's documented messages, and what each one means. */
const MESSAGE_KINDS: ReadonlyArray<[RegExp, ErrorKind]> = [
  [/no token provided/i, 'auth'],
  [/failed to authenticate token/i, 'auth'],
  [/channel id is missing|channel key/i, 'channel'],
  [/request body could not be parsed/i, 'request'],
  [/validation error/i, 'api-validation'],
  [/product (doesn'?t|does not) exist/i, 'product-not-found'],
];

const CODE_KINDS: Readonly<Record<string, ErrorKind>> = {
  ERR0000: 'auth',
  ERR0001: 'auth',
};

/** Statuses worth another attempt. Other 4xx never are; 500 is a server bug, not a blip. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

export function classifyAnswer(answer: HttpAnswer): Classified {
  const { statusCode, text } = answer;
  const parsed = parseBody(text);
  if (statusCode >= 200 && statusCode < 300) {
    if (parsed.kind === 'empty') return { ok: true, body: null };
    if (parsed.kind === 'text') {
      return {
        ok: false,
        error: new MovilitasError({
          kind: 'unexpected-response',
          message: `The API answered HTTP ${statusCode} with a body that is not JSON${describeText(text, answer.headers)}`,
          statusCode,
          response: text,
        }),
      };
    }
    const body = parsed.value;
    if (isRecord(body) && body.success === false) {
      return { ok: false, error: failure(answer, parsed) };
    }
    if (!isRecord(body)) {
      return {
        ok: false,
        error: new MovilitasError({
          kind: 'unexpected-response',
          message: `The API answered HTTP ${statusCode} with JSON that is not an object`,
          statusCode,
          response: text,
        }),
      };
    }
    return { ok: true, body };
  }
  return { ok: false, error: failure(answer, parsed) };
}

type ParsedBody = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'text' };

function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'text' };
  }
}

function failure(answer: HttpAnswer, parsed: ParsedBody): MovilitasError {
  const { statusCode, text } = answer;
  const body = parsed.kind === 'json' ? parsed.value : undefined;
  const vendorMessage = body !== undefined ? readMessage(body) : undefined;
  const code = body !== undefined ? readCode(body) : findCode(text);
  const kind = kindOf(code, vendorMessage ?? (parsed.kind === 'text' ? text : undefined), statusCode);
  const retryAfter = kind === 'rate-limited' ? retryAfterSeconds(answer.headers) : undefined;

  let details: Record<string, unknown> | undefined;
  if (isRecord(body)) {
    if (kind === 'api-validation') {
      details = { details: body.details ?? body.errors ?? body };
    } else if (body.details !== undefined) {
      details = { details: body.details };
    }
  }
  if (retryAfter !== undefined) details = { ...details, retryAfter };

  const said = vendorMessage
    ? `"${oneLine(vendorMessage)}"`
    : parsed.kind === 'text'
      ? `a body that is not JSON${describeText(text, answer.headers)}`
      : 'no message';
  return new MovilitasError({
    kind,
    message: `${KIND_SUMMARY[kind]}: the API answered HTTP ${statusCode}${code ? ` ${code}` : ''} with ${said}${KIND_HINT[kind] ?? ''}`,
    code,
    statusCode,
    details,
    response: parsed.kind === 'empty' ? undefined : text,
  });
}

function kindOf(code: string | undefined, message: string | undefined, status: number): ErrorKind {
  if (code && CODE_KINDS[code]) return CODE_KINDS[code];
  if (message) {
    for (const [re, kind] of MESSAGE_KINDS) if (re.test(message)) return kind;
  }
  if (status === 401 || status === 403) return 'auth';
  if (status === 413 || status === 400) return 'request';
  if (status === 422) return 'api-validation';
  if (status === 404 && message !== undefined && /product/i.test(message)) return 'product-not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  return 'unexpected-response';
}

const KIND_SUMMARY: Readonly<Record<ErrorKind, string>> = {
  validation: 'Invalid input',
  config: 'Configuration error',
  auth: 'Authentication failed',
  channel: 'The channel key was refused',
  request: 'The request was refused',
  'api-validation': 'The API rejected the data',
  'product-not-found': 'Unknown product',
  'rate-limited': 'Rate limited',
  server: 'Server error',
  network: 'Network error',
  timeout: 'Timed out',
  'unexpected-response': 'Unexpected response',
  cancelled: 'Cancelled',
};

const KIND_HINT: Partial<Record<ErrorKind, string>> = {
  auth: ' (check the API key and secret or the token)',
  channel: ' (check the channel key of the Manufacturer V2 API channel)',
  'product-not-found': ' (register the product in the Serialized Manufacturing application)',
};

/** Reads the error message from the places the API (or a gateway) may put it. */
export function readMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (!isRecord(body)) return undefined;
  if (typeof body.message === 'string' && body.message) return body.message;
  if (typeof body.error === 'string' && body.error) return body.error;
  if (isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.msg === 'string' && body.msg) return body.msg;
  if (Array.isArray(body.errors)) {
    const texts = body.errors
      .map((e) => (isRecord(e) && typeof e.message === 'string' ? e.message : undefined))
      .filter((m): m is string => !!m);
    if (texts.length > 0) return texts.join('; ');
  }
  return undefined;
}

const CODE_RE = /\bERR\d{4}\b/;

/** Reads a vendor code ERRdddd from `code`, `error_code`, `error.code` or `errors[].code`. */
export function readCode(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const candidates: unknown[] = [body.code, body.error_code];
  if (isRecord(body.error)) candidates.push(body.error.code);
  if (Array.isArray(body.errors)) {
    for (const e of body.errors) if (isRecord(e)) candidates.push(e.code);
  }
  for (const c of candidates) {
    if (typeof c === 'string') {
      const m = CODE_RE.exec(c);
      if (m) return m[0];
    }
  }
  return undefined;
}

function findCode(text: string): string | undefined {
  return CODE_RE.exec(text)?.[0];
}

/** `Retry-After` as seconds from now (it may be a number of seconds or an HTTP date). */
export function retryAfterSeconds(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): number | undefined {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** A short description of a text or HTML body: its <title>, else its first words. */
function describeText(text: string, headers: HttpAnswer['headers']): string {
  const type = headers['content-type'];
  const contentType = Array.isArray(type) ? type[0] : type;
  const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(text)?.[1];
  const snippet = oneLine(title ?? text.replace(/<[^>]*>/g, ' ')).slice(0, 120);
  const typePart = contentType ? ` (${contentType.split(';')[0]})` : '';
  return snippet ? `${typePart}: "${snippet}"` : typePart;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** What a failed attempt at the network level means (no HTTP answer at all). */
export function classifyNetworkError(err: unknown): MovilitasError {
  const code = networkCode(err);
  const message = describeError(err);
  const proxyStatus = proxyTunnelStatus(err);
  if (proxyStatus !== undefined) {
    // The proxy refused the CONNECT tunnel: the request never reached the API.
    const why =
      proxyStatus === 407
        ? 'the proxy wants credentials (HTTP 407): set the user name and password in the proxy configuration'
        : `the proxy refused the connection to the API (HTTP ${proxyStatus})`;
    return new MovilitasError({ kind: 'network', message: `Network error: ${why}`, code, details: { proxyStatus }, cause: err });
  }
  const timeout =
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT';
  if (code === 'UND_ERR_INVALID_ARG') {
    // undici refused to send: a header value or URL that cannot go on the wire. Retrying cannot help.
    return new MovilitasError({ kind: 'config', message: `Configuration error: the request could not be built (${oneLine(message)})`, code, cause: err });
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new MovilitasError({ kind: 'unexpected-response', message: 'Unexpected response: the answer is larger than the 16 MiB this client reads', code, cause: err });
  }
  return new MovilitasError({
    kind: timeout ? 'timeout' : 'network',
    message: timeout
      ? `Timed out: no answer from the API (${code})`
      : `Network error: ${code ? `${code}: ` : ''}${oneLine(message)}`,
    code,
    cause: err,
  });
}

/**
 * The status a proxy answered to a CONNECT, when that is why `err` happened. undici's proxy
 * agents report it only in the message: "Proxy response (407) !== 200 when HTTP Tunneling".
 */
export function proxyTunnelStatus(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof Error) {
      const m = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(current.message);
      if (m) return Number(m[1]);
    }
    current = isRecord(current) ? current.cause : undefined;
  }
  return undefined;
}

/** The most specific error code in an error and its causes (undici wraps the socket's). */
export function networkCode(err: unknown): string | undefined {
  let found: string | undefined;
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (isRecord(current) && typeof current.code === 'string') {
      // Prefer a socket-level code (ECONNREFUSED) over undici's wrapper code.
      if (!found || found.startsWith('UND_ERR')) found = current.code;
    }
    current = isRecord(current) ? current.cause : undefined;
  }
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
