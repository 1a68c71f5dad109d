/**
 * A plain client for the Movilitas Manufacturer V2 API: authentication, the release call,
 * retries and a shared concurrency limit. No Node-RED in here: the nodes are thin adapters.
 */
import { setMaxListeners } from 'node:events';
import { Dispatcher, request } from 'undici';
import { AbortLike, Cancel, onAbort } from './cancel';
import { classifyAnswer, classifyNetworkError, isTransientStatus, networkCode, retryAfterSeconds } from './classify';
import { MovilitasError } from './errors';
import { Limiter } from './limiter';
import { BackoffOptions, DEFAULT_BACKOFF, retryDelayMs, sleep } from './retry';
import { redactAnswerText, redactionForms } from './redact';
import { ConnectionSettings, isHeaderSafe } from './settings';
import { extractToken, TokenCache } from './token';
import { createDispatcher } from './transport';

export const AUTH_PATH = '/v1/api_auth';
export const RELEASE_PATH = '/v1/manufacturer/v2/api/serials/release';

export interface ReleaseRequest {
  productCode: string;
  productCodeSchema: 'GTIN';
  serials: readonly string[];
}

export interface RetryEvent {
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  delayMs: number;
  error: MovilitasError;
}

export interface CallOptions {
  /** Aborting it gives up the call; the error is kind `cancelled`. */
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
}

export interface CallResult {
  body: unknown;
  statusCode: number;
  /** Every HTTP attempt of the call, retries and the resend after a token renewal included. */
  attempts: number;
}

/** What `probe()` found: the step that failed and why, or that the release call was accepted. */
export type ProbeResult =
  | { step: 'token'; ok: false; error: MovilitasError }
  | { step: 'release'; ok: true; statusCode: number }
  | { step: 'release'; ok: false; error: MovilitasError };

export interface ClientOptions {
  settings: ConnectionSettings;
  /** Built from the settings (keep-alive, environment proxy) when not given. */
  dispatcher?: Dispatcher;
  backoff?: Partial<BackoffOptions>;
  /** A `Retry-After` longer than this is not waited for: the call fails `rate-limited`. */
  maxRetryWaitMs?: number;
  now?: () => number;
  /**
   * More strings to keep out of every answer and error, besides the credentials the auth mode
   * uses: the config node passes the ones it holds but does not use (a static-token connection
   * may still hold an API key and secret, which the API knows and may name).
   */
  redact?: readonly string[];
}

/** The reason a call was aborted by its caller or by `close()`. */
class Cancelled {}
/** The reason an attempt was aborted by its own timer. */
class TimedOut {}

/** Codes that mean the request never left this machine. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** TLS failures are about configuration; trying again cannot fix them. */
const PERMANENT_NETWORK = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH/;

/** What one turn in a limiter slot produced: an HTTP attempt, or no token to make one with. */
type Step = { ok: true; token: string; attempt: Attempt } | { ok: false; tokenError: unknown };

interface Attempt {
  outcome: { ok: true; body: unknown; statusCode: number } | { ok: false; error: MovilitasError };
  /** The request may have reached the server (and been applied) even though it failed. */
  mayHaveReached: boolean;
  retryAfter?: number | undefined;
}

export class MovilitasClient {
  readonly settings: ConnectionSettings;
  readonly limiter: Limiter;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly backoff: BackoffOptions;
  private readonly maxRetryWaitMs: number;
  private readonly tokens: TokenCache | undefined;
  private readonly closing = new AbortController();
  private readonly secrets: string[];
  /** The last few tokens fetched: redacted from errors like the configured secrets. */
  private recentTokens: string[] = [];
  /** How the secrets and recent tokens can appear in an answer's text (see redact.ts). */
  private redactionForms: string[];
  private calls = 0;
  /** No request is sent before this time (ms): the server asked for a pause (Retry-After). */
  private pausedUntil = 0;
  private readonly now: () => number;
  private idleWaiters: Array<() => void> = [];

  constructor(options: ClientOptions) {
    this.settings = options.settings;
    this.now = options.now ?? Date.now;
    this.limiter = new Limiter(this.settings.concurrency);
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? createDispatcher({ baseUrl: this.settings.baseUrl });
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    // Every call listens on this signal while it runs; thousands may wait at once.
    setMaxListeners(0, this.closing.signal);
    const auth = this.settings.auth;
    this.secrets = [this.settings.channelKey, ...(options.redact ?? []).map((s) => s.trim()).filter((s) => s !== '')];
    if (auth.mode === 'dynamic') {
      this.secrets.push(auth.apiKey, auth.apiSecret);
      this.tokens = new TokenCache(() => this.authenticate(), this.now);
    } else {
      this.secrets.push(auth.token);
    }
    this.redactionForms = redactionForms(this.secrets);
  }

  /** Releases serials (Assigned -> Available) with one release call, retried as the settings say. */
  async release(req: ReleaseRequest, opts: CallOptions = {}): Promise<CallResult> {
    const body = JSON.stringify({
      product_code: req.productCode,
      product_code_schema: req.productCodeSchema,
      serials: req.serials,
    });
    this.calls++;
    const startedAt = this.now();
    const signal = new Cancel();
    const unlink = this.linkCall(signal, opts.signal);
    let attempts = 0;
    let retries = 0;
    let renewed = false;
    let mayHaveReached = false;
    try {
      for (;;) {
        // The token is read inside the slot, so a request that waited in the queue while the
        // token was renewed goes out with the new one, not with the one known to be stale.
        const step = await this.limiter.run(async (): Promise<Step> => {
          await this.waitOutRetryAfter(signal);
          let token: string;
          try {
            token = await this.currentToken(signal, startedAt);
          } catch (err) {
            return { ok: false, tokenError: err };
          }
          attempts++;
          const attempt = await this.send(RELEASE_PATH, body, this.authHeaders(token), signal).catch((err: unknown) =>
            this.failedAttempt(err, signal),
          );
          return { ok: true, token, attempt };
        }, signal);
        if (!step.ok) {
          // A failed token fetch is shared by every waiting call: each gets its own copy.
          const err = step.tokenError;
          throw this.finish(err instanceof MovilitasError ? err.copy() : err, attempts, false);
        }
        const { token, attempt } = step;
        if (attempt.outcome.ok) {
          return { body: attempt.outcome.body, statusCode: attempt.outcome.statusCode, attempts };
        }
        const error = attempt.outcome.error;
        if (error.kind === 'auth' && this.tokens && !renewed) {
          // The token was rejected (expired early, revoked): fetch a new one once, send once more.
          this.tokens.invalidate(token);
          renewed = true;
          continue;
        }
        const delayMs = this.retryDelay(error, attempt, retries);
        // Ambiguous: an earlier attempt may have been applied before this one failed.
        if (delayMs === undefined) throw this.finish(error, attempts, mayHaveReached);
        mayHaveReached ||= attempt.mayHaveReached;
        retries++;
        opts.onRetry?.({ attempt: attempts, delayMs, error });
        await sleep(delayMs, signal);
      }
    } catch (err) {
      // MovilitasErrors thrown above are final already; anything else is a cancellation.
      throw err instanceof MovilitasError ? err : this.finish(err, attempts, false);
    } finally {
      unlink();
      this.calls--;
      if (this.calls === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
    }
  }

  /**
   * The two requests of a connection check, each sent once whatever `retries` says (check.ts
   * explains why they are safe and what each answer proves): the token, fetched with the key
   * and secret in dynamic mode, then one release call with the given body. Errors come back
   * as data, secrets removed.
   */
  async probe(releaseBody: string): Promise<ProbeResult> {
    const signal = this.closing.signal;
    let token: string;
    try {
      token = await this.currentToken(signal, this.now());
    } catch (err) {
      return { step: 'token', ok: false, error: err instanceof MovilitasError ? err.copy() : this.finish(err, 0, false) };
    }
    const attempt = await this.send(RELEASE_PATH, releaseBody, this.authHeaders(token), signal).catch(
      (err: unknown): Attempt => {
        try {
          return this.failedAttempt(err, signal);
        } catch (reason) {
          return { outcome: { ok: false, error: this.finish(reason, 1, false) }, mayHaveReached: false };
        }
      },
    );
    if (attempt.outcome.ok) return { step: 'release', ok: true, statusCode: attempt.outcome.statusCode };
    return { step: 'release', ok: false, error: this.finish(attempt.outcome.error, 1, false) };
  }

  /** Resolves once no call is running, or after `maxWaitMs`, whichever comes first. */
  whenIdle(maxWaitMs: number): Promise<void> {
    if (this.calls === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, maxWaitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }

  /** Stops every call (they end `cancelled`) and releases the sockets. */
  async close(): Promise<void> {
    this.closing.abort(new Cancelled());
    if (this.ownsDispatcher) await this.dispatcher.destroy().catch(() => undefined);
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  private authHeaders(token: string): Record<string, string> {
    const headers: Record<string, string> = { 'x-channel-key': this.settings.channelKey };
    if (this.settings.tokenHeader === 'bearer') headers.authorization = `Bearer ${token}`;
    else headers['x-access-token'] = token;
    return headers;
  }

  /**
   * The token to send. A call that started before the last failed token fetch shares that
   * failure instead of starting another fetch: a burst whose renewal failed costs one auth
   * call, not one per message. Calls that start later try again (nothing latches).
   */
  private currentToken(signal: AbortLike, callStartedAt: number): Promise<string> {
    const auth = this.settings.auth;
    if (auth.mode === 'static') return Promise.resolve(auth.token);
    // Checked first: a cancelled call must not start an auth call it would not wait for.
    if (signal.aborted) return Promise.reject(signal.reason);
    return untilAborted(this.tokens!.get(callStartedAt), signal);
  }

  /** Honours a Retry-After for the whole connection: nothing is sent inside that window. */
  private async waitOutRetryAfter(signal: AbortLike): Promise<void> {
    const wait = this.pausedUntil - this.now();
    if (wait > 0) await sleep(wait, signal);
  }

  /** POST /v1/api_auth with the key and secret; the same timeout and retry rules as a release. */
  private async authenticate(): Promise<string> {
    const auth = this.settings.auth;
    if (auth.mode !== 'dynamic') throw new Error('authenticate() needs dynamic auth');
    const body = JSON.stringify({ api_key: auth.apiKey, api_secret: auth.apiSecret });
    let retries = 0;
    for (let attempts = 1; ; attempts++) {
      const attempt = await this.send(AUTH_PATH, body, {}, this.closing.signal).catch((err: unknown) =>
        this.failedAttempt(err, this.closing.signal),
      );
      if (attempt.outcome.ok) {
        const token = extractToken(attempt.outcome.body);
        if (token && !isHeaderSafe(token)) {
          // Sending it would fail in undici before any byte leaves (not a network fault), every time.
          throw this.finish(
            new MovilitasError({
              kind: 'unexpected-response',
              message: `The auth call answered HTTP ${attempt.outcome.statusCode} with a token that cannot be sent in an HTTP header (a line break, a control character or a non-Latin-1 character)`,
              statusCode: attempt.outcome.statusCode,
            }),
            0,
            false,
          );
        }
        if (token) {
          this.recentTokens = [token, ...this.recentTokens.slice(0, 3)];
          this.redactionForms = redactionForms([...this.secrets, ...this.recentTokens]);
          return token;
        }
        const fields = attempt.outcome.body && typeof attempt.outcome.body === 'object'
          ? Object.keys(attempt.outcome.body).join(', ')
          : 'none';
        // The body is not kept: it may hold the token under a name we do not know.
        throw this.finish(
          new MovilitasError({
            kind: 'unexpected-response',
            message: `The auth call answered HTTP ${attempt.outcome.statusCode} without a token (fields: ${fields})`,
            statusCode: attempt.outcome.statusCode,
          }),
          0,
          false,
        );
      }
      const error = attempt.outcome.error;
      const delayMs = this.retryDelay(error, attempt, retries);
      if (delayMs === undefined) {
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && error.kind !== 'rate-limited') {
          throw this.finish(
            new MovilitasError({
              kind: 'auth',
              message: `Authentication failed: the API refused the API key and secret (HTTP ${error.statusCode}${error.code ? ` ${error.code}` : ''})`,
              code: error.code,
              statusCode: error.statusCode,
              response: error.response,
            }),
            0,
            false,
          );
        }
        throw this.finish(error, 0, false);
      }
      retries++;
      await sleep(delayMs, this.closing.signal).catch((err: unknown) => {
        throw this.finish(err, 0, false);
      });
    }
  }

  /** How long to wait before the next retry, or undefined when this error is final. */
  private retryDelay(error: MovilitasError, attempt: Attempt, retriesSoFar: number): number | undefined {
    if (retriesSoFar >= this.settings.retries || !isTransient(error)) return undefined;
    const delay = retryDelayMs(retriesSoFar + 1, attempt.retryAfter, this.backoff);
    return delay > this.maxRetryWaitMs ? undefined : delay;
  }

  /** One HTTP attempt, bounded by the timeout, the caller's signal and close(). */
  private async send(
    path: string,
    body: string,
    headers: Record<string, string>,
    signal: AbortLike,
  ): Promise<Attempt> {
    const attempt = new Cancel();
    const timer = setTimeout(() => attempt.abort(new TimedOut()), this.settings.timeout);
    const unlink = attempt.follow(signal);
    try {
      const res = await request(`${this.settings.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        dispatcher: this.dispatcher,
        // undici takes any EventTarget-like signal; this one costs far less than an AbortSignal.
        signal: attempt,
      });
      // Redacted as received: what the API echoes must not reach a message, a body or a log.
      const text = redactAnswerText(await res.body.text(), this.redactionForms);
      const classified = classifyAnswer({ statusCode: res.statusCode, headers: res.headers, text });
      if (classified.ok) {
        return { outcome: { ok: true, body: classified.body, statusCode: res.statusCode }, mayHaveReached: true };
      }
      const retryAfter = retryAfterSeconds(res.headers);
      if (retryAfter !== undefined && isTransientStatus(res.statusCode) && retryAfter * 1000 <= this.maxRetryWaitMs) {
        this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfter * 1000);
      }
      return {
        outcome: classified,
        // 429 and 503 say "not now": the request was not applied. Anything else may have been.
        mayHaveReached: res.statusCode !== 429 && res.statusCode !== 503,
        retryAfter,
      };
    } catch (err) {
      throw attempt.aborted ? attempt.reason : err;
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }

  /** A failed attempt as data; a cancellation is rethrown, since it ends the call. */
  private failedAttempt(err: unknown, signal: AbortLike): Attempt {
    if (err instanceof TimedOut) {
      return {
        outcome: {
          ok: false,
          error: new MovilitasError({
            kind: 'timeout',
            message: `Timed out: no complete answer from the API within ${this.settings.timeout} ms`,
          }),
        },
        mayHaveReached: true,
      };
    }
    if (signal.aborted) throw signal.reason;
    const error = classifyNetworkError(err);
    const code = networkCode(err);
    const refusedByProxy = error.details?.proxyStatus !== undefined;
    return { outcome: { ok: false, error }, mayHaveReached: !refusedByProxy && (!code || !NOT_SENT_CODES.has(code)) };
  }

  /**
   * Aborts a call's signal when its caller's signal or close() aborts. Both are shared by every
   * call, so each carries one listener for all of them (onAbort), not one per call: thousands of
   * listeners on one EventTarget make each add and remove walk the whole list.
   */
  private linkCall(call: Cancel, signal: AbortSignal | undefined): () => void {
    const abort = (reason: unknown) => call.abort(reason);
    const unlinkCaller = signal ? onAbort(signal, abort) : undefined;
    const unlinkClose = onAbort(this.closing.signal, abort);
    return () => {
      unlinkCaller?.();
      unlinkClose();
    };
  }

  /** Turns whatever ended a call into the MovilitasError the caller sees, secrets removed. */
  private finish(err: unknown, attempts: number, mayHaveReached: boolean): MovilitasError {
    let error: MovilitasError;
    if (err instanceof MovilitasError) error = err;
    else if (err instanceof Cancelled || err instanceof DOMException || isAbortReason(err)) {
      error = new MovilitasError({
        kind: 'cancelled',
        message: 'Cancelled: the node was stopped (redeploy or shutdown) before the outcome was known',
      });
    } else error = classifyNetworkError(err);
    if (mayHaveReached && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      error.ambiguous = true;
    }
    error.attempts = attempts;
    return error.redact([...this.secrets, ...this.recentTokens]);
  }
}

function isTransient(error: MovilitasError): boolean {
  if (error.statusCode !== undefined) return isTransientStatus(error.statusCode);
  if (error.kind === 'timeout') return true;
  // A proxy that refused the tunnel: only its gateway errors may pass (407, 403: configuration).
  const proxyStatus = error.details?.proxyStatus;
  if (typeof proxyStatus === 'number') return isTransientStatus(proxyStatus);
  return error.kind === 'network' && !(error.code && PERMANENT_NETWORK.test(error.code));
}

function isAbortReason(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortLike): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
