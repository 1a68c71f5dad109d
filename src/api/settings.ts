/**
 * Checks and normalises a connection's settings (what the config node holds) before any
 * request. Every problem is a `config` error whose message names the setting, never its value
 * when that value is a secret.
 */
import { configError, MovilitasError } from './errors';

export const ENVIRONMENT_URLS = {
  production: 'https://api.movilitas.cloud',
  acceptance: 'https://api-acc.movilitas.cloud',
} as const;

export type Environment = keyof typeof ENVIRONMENT_URLS | 'custom';
export type AuthMode = 'dynamic' | 'static';
export type TokenHeader = 'x-access-token' | 'bearer';

export type AuthSettings =
  | { mode: 'dynamic'; apiKey: string; apiSecret: string }
  | { mode: 'static'; token: string };

export interface ConnectionSettings {
  baseUrl: string;
  auth: AuthSettings;
  tokenHeader: TokenHeader;
  channelKey: string;
  /** One HTTP attempt, headers and body, in ms. */
  timeout: number;
  /** Extra attempts for transient faults. */
  retries: number;
  /** Most requests in flight at once. */
  concurrency: number;
}

export const DEFAULTS = { timeout: 30_000, retries: 3, concurrency: 4 } as const;

/** Upper bounds that keep a typo from turning into a hung line or a flood of sockets. */
const LIMITS = { timeout: 10 * 60_000, retries: 20, concurrency: 64 } as const;

export interface RawConnectionSettings {
  environment?: unknown;
  baseUrl?: unknown;
  authMode?: unknown;
  tokenHeader?: unknown;
  timeout?: unknown;
  retries?: unknown;
  concurrency?: unknown;
  apiKey?: unknown;
  apiSecret?: unknown;
  token?: unknown;
  channelKey?: unknown;
}

export type SettingsResult =
  | { ok: true; settings: ConnectionSettings; warnings: string[] }
  | { ok: false; error: MovilitasError; warnings: string[] };

export function resolveSettings(raw: RawConnectionSettings): SettingsResult {
  const warnings: string[] = [];
  try {
    const settings: ConnectionSettings = {
      baseUrl: resolveBaseUrl(raw.environment, raw.baseUrl),
      auth: resolveAuth(raw),
      tokenHeader: resolveTokenHeader(raw.tokenHeader, warnings),
      channelKey: requireCredential(raw.channelKey, 'channel key'),
      timeout: integerSetting(raw.timeout, 'timeout', DEFAULTS.timeout, 1, LIMITS.timeout, warnings),
      retries: integerSetting(raw.retries, 'retries', DEFAULTS.retries, 0, LIMITS.retries, warnings),
      concurrency: integerSetting(raw.concurrency, 'concurrency', DEFAULTS.concurrency, 1, LIMITS.concurrency, warnings),
    };
    return { ok: true, settings, warnings };
  } catch (err) {
    if (err instanceof MovilitasError) return { ok: false, error: err, warnings };
    throw err;
  }
}

export function resolveBaseUrl(environment: unknown, baseUrl: unknown): string {
  const env = environment === undefined || environment === '' ? 'production' : environment;
  if (env === 'production' || env === 'acceptance') return ENVIRONMENT_URLS[env];
  if (env !== 'custom') {
    throw configError(`Unknown environment "${String(env)}": use production, acceptance or custom`);
  }
  const text = typeof baseUrl === 'string' ? baseUrl.trim() : '';
  if (!text) throw configError('The environment is "custom" but no base URL is set');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError('The base URL is not an absolute URL (it should look like https://host:port)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`The base URL must use http or https, not ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) {
    // Said without echoing the URL: it holds a password.
    throw configError('The base URL must not contain a user name or password; use the credentials fields');
  }
  if (url.search || url.hash) throw configError('The base URL must not contain a query or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function resolveTokenHeader(value: unknown, warnings: string[]): TokenHeader {
  if (value === 'bearer') return 'bearer';
  if (value !== undefined && value !== null && value !== '' && value !== 'x-access-token') {
    warnings.push(`The token header "${String(value)}" is not known: x-access-token is used (or choose bearer)`);
  }
  return 'x-access-token';
}

function resolveAuth(raw: RawConnectionSettings): AuthSettings {
  if (raw.authMode === 'static') return { mode: 'static', token: requireCredential(raw.token, 'token') };
  if (raw.authMode !== undefined && raw.authMode !== '' && raw.authMode !== 'dynamic') {
    throw configError(`Unknown auth mode "${String(raw.authMode)}": use dynamic or static`);
  }
  return {
    mode: 'dynamic',
    apiKey: requireCredential(raw.apiKey, 'API key'),
    apiSecret: requireCredential(raw.apiSecret, 'API secret'),
  };
}

/** Visible ASCII, space, tab and Latin-1 text: what an HTTP header value may carry. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** True when `text` can be sent as an HTTP header value as it is. */
export function isHeaderSafe(text: string): boolean {
  return HEADER_SAFE.test(text);
}

/** Trims a credential (a pasted newline) and refuses one that could not go into a header. */
export function requireCredential(value: unknown, label: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw configError(`The ${label} is missing: set it in the movilitas-config node`);
  if (!HEADER_SAFE.test(text)) {
    throw configError(
      `The ${label} contains a character that cannot be sent in an HTTP header (a line break, a control character or a non-Latin-1 character): paste it again`,
    );
  }
  return text;
}

function integerSetting(
  value: unknown,
  label: string,
  fallback: number,
  min: number,
  max: number,
  warnings: string[],
): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min) {
    throw configError(`The ${label} setting must be a whole number of at least ${min}, not "${String(value)}"`);
  }
  if (n > max) {
    warnings.push(`The ${label} setting ${n} is more than ${max}; ${max} is used`);
    return max;
  }
  return n;
}
