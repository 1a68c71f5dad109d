/**
 * Token handling: reading the token out of the auth answer (its field name is not published),
 * reading a JWT's `exp` (the signature cannot be checked here, and need not be), and a cache
 * that fetches lazily, shares one fetch among all callers, and renews before expiry.
 */

/** Where the auth answer may carry the token, in the order they are tried. */
const TOKEN_PATHS: ReadonlyArray<readonly string[]> = [
  ['token'],
  ['access_token'],
  ['accessToken'],
  ['data', 'token'],
  ['data', 'access_token'],
];

export function extractToken(body: unknown): string | undefined {
  for (const path of TOKEN_PATHS) {
    let value: unknown = body;
    for (const key of path) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The `exp` claim of a JWT in ms since the epoch, or undefined when the token is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (claims !== null && typeof claims === 'object') {
      const exp = (claims as Record<string, unknown>).exp;
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
    }
  } catch {
    // not a JWT
  }
  return undefined;
}

/** Lifetime assumed for a token that is not a JWT: the vendor says a day; keep an hour spare. */
export const DEFAULT_TOKEN_LIFETIME_MS = 23 * 60 * 60 * 1000;
const RENEW_MARGIN_MS = 5 * 60 * 1000;
const SHORT_LIFETIME_MS = 10 * 60 * 1000;

export interface CachedToken {
  value: string;
  fetchedAt: number;
  expiresAt: number;
  /** Renew once the clock passes this. */
  renewAt: number;
}

export function describeToken(value: string, fetchedAt: number): CachedToken {
  const expiresAt = jwtExpiry(value) ?? fetchedAt + DEFAULT_TOKEN_LIFETIME_MS;
  const lifetime = expiresAt - fetchedAt;
  // A token that had less than 10 minutes to live is renewed at half-life; others 5 min early.
  const renewAt = lifetime < SHORT_LIFETIME_MS ? fetchedAt + lifetime / 2 : expiresAt - RENEW_MARGIN_MS;
  return { value, fetchedAt, expiresAt, renewAt };
}

/**
 * Holds one token for a connection. `get()` returns the cached token while it is fresh; when
 * it is missing or due for renewal, the first caller starts one fetch and every other caller
 * waits for that same fetch. A failed fetch is not remembered: the next `get()` tries again.
 */
export class TokenCache {
  private current: CachedToken | undefined;
  private pending: Promise<string> | undefined;
  private lastFailure: { at: number; error: unknown } | undefined;

  constructor(
    private readonly fetchToken: () => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `since`: when the caller's own work started. A fetch that failed after that is the
   * caller's answer too (it was part of the same burst); an older failure is not remembered.
   */
  get(since?: number): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.renewAt) return Promise.resolve(current.value);
    if (this.pending) return this.pending;
    const failure = this.lastFailure;
    if (failure && since !== undefined && failure.at >= since) return Promise.reject(failure.error);
    const started = this.now();
    const pending = this.fetchToken().then(
      (value) => {
        this.current = describeToken(value, started);
        this.lastFailure = undefined;
        this.pending = undefined;
        return value;
      },
      (err: unknown) => {
        this.lastFailure = { at: this.now(), error: err };
        this.pending = undefined;
        throw err;
      },
    );
    // A fetch whose every waiter gave up (cancelled) must not become an unhandled rejection.
    pending.catch(() => undefined);
    this.pending = pending;
    return pending;
  }

  /** Drops the token after the API rejected it, unless a newer one has replaced it already. */
  invalidate(rejected: string): void {
    if (this.current?.value === rejected) this.current = undefined;
  }

  peek(): CachedToken | undefined {
    return this.current;
  }
}
