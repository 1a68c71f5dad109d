/**
 * "Test connection": checks a connection's settings against the API without releasing anything,
 * and says what it found in plain words. Used by the config dialog's button (through the admin
 * endpoint of the movilitas-config node) and usable from code.
 *
 * What is sent, to the configured base URL only:
 *  1. dynamic auth: `POST /v1/api_auth` with the key and secret. A token in the answer proves
 *     the base URL, the TLS and proxy settings and the key and secret.
 *  2. one `POST .../serials/release` with the token and the channel key and a body that cannot
 *     release anything: a well-formed product code and an EMPTY serial list.
 *
 * Why step 2 checks the token and the channel key safely: the API checks a release request in
 * the order of the vendor's error table: the token first (401 ERR0001 / ERR0000), then the
 * channel key (400 "Channel ID is missing or it needs to be in correct format"), then the body
 * (400 "Request body could not be parsed", 422 "Validation error", 404 "Product doesn't
 * exist"). The simulator does the same (src/simulator/api.ts, `handleRelease`: `tokenFrom` and
 * `tokens.accepts`, then `channelKeys.has`, then the body schema, whose `serials` needs at least
 * one entry). So an answer about the body ("Validation error" for the empty list, or "Product
 * doesn't exist") can only come after the token and the channel key were accepted, and with no
 * serials in it the request cannot change any serial's state. Were an API to accept the empty
 * list (2xx), the token and channel key were accepted too. Any other answer (an HTML page from a
 * proxy, a 5xx) proves nothing about the channel key, and the result says so.
 *
 * Each request is sent once (no retries: a dialog wants the first answer), within the
 * connection's timeout capped at CHECK_TIMEOUT_CAP_MS. No secret is ever part of the result:
 * errors are redacted by the client, and the texts here name no credential value.
 */
import type { Dispatcher } from 'undici';
import { MovilitasClient } from './client';
import { MovilitasError } from './errors';
import { ConnectionSettings, ENVIRONMENT_URLS, RawConnectionSettings, resolveBaseUrl, resolveSettings } from './settings';

/** A valid GTIN-14 (check digit 0) that no tenant registers: the probe's product code. */
export const CHECK_PRODUCT_CODE = '00000000000000';
/** The longest a check waits for one answer, whatever the connection's timeout. */
export const CHECK_TIMEOUT_CAP_MS = 15_000;
/** What Node-RED's editor sends for a password credential that was not typed again. */
export const UNCHANGED_PASSWORD = '__PWRD__';

export const CREDENTIAL_NAMES = ['apiKey', 'apiSecret', 'token', 'channelKey'] as const;
export type CredentialName = (typeof CREDENTIAL_NAMES)[number];
export type Credentials = Partial<Record<CredentialName, string>>;

/** What a check can find. The editor shows `movilitas-config.test.result.<code>`. */
export type CheckResultCode =
  | 'connected'
  | 'config'
  | 'key-secret-refused'
  | 'token-refused'
  | 'channel-refused'
  | 'channel-unchecked'
  | 'tls'
  | 'proxy'
  | 'unreachable'
  | 'timeout'
  | 'server'
  | 'rate-limited'
  | 'unexpected';

export interface ConnectionCheckResult {
  ok: boolean;
  result: CheckResultCode;
  /** Which request the result is about: none sent (settings), the auth call, or the release call. */
  step: 'settings' | 'auth' | 'release';
  authMode?: 'dynamic' | 'static';
  /** The API address that was called (it never holds a secret: resolveSettings refuses user info). */
  baseUrl?: string;
  /** The outcome in plain English (the editor shows its own translation of `result`). */
  message: string;
  /** The technical reason, when there is one: the client's error message, secrets removed. */
  detail?: string;
  statusCode?: number;
  /** A vendor code (ERRdddd) or a Node.js network code (ECONNREFUSED, a TLS code). */
  code?: string;
  durationMs: number;
}

export interface CheckOptions {
  /** The connection's dispatcher (TLS, proxy); a plain one is built when not given. */
  dispatcher?: Dispatcher;
  now?: () => number;
}

/** Checks already resolved settings (see the module comment for what is sent). */
export async function checkConnection(
  settings: ConnectionSettings,
  opts: CheckOptions = {},
): Promise<ConnectionCheckResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const client = new MovilitasClient({
    settings: { ...settings, retries: 0, concurrency: 1, timeout: Math.min(settings.timeout, CHECK_TIMEOUT_CAP_MS) },
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  try {
    const probe = await client.probe(
      JSON.stringify({ product_code: CHECK_PRODUCT_CODE, product_code_schema: 'GTIN', serials: [] }),
    );
    const base = { authMode: settings.auth.mode, baseUrl: settings.baseUrl, durationMs: now() - started };
    if (probe.step === 'release' && probe.ok) {
      return { ...base, ok: true, result: 'connected', step: 'release', message: connectedText(settings.auth.mode) };
    }
    const error = probe.error;
    const step = probe.step === 'token' ? 'auth' : 'release';
    if (step === 'release' && (error.kind === 'api-validation' || error.kind === 'product-not-found')) {
      // The answer is about the body: the token and the channel key passed (see above).
      return {
        ...base,
        ok: true,
        result: 'connected',
        step,
        message: connectedText(settings.auth.mode),
        ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      };
    }
    const result = failureCode(error, step);
    const proxyStatus = error.details?.proxyStatus;
    return {
      ...base,
      ok: false,
      result,
      step,
      message: failureText(result, settings, error),
      detail: error.message,
      ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      ...(typeof proxyStatus === 'number' ? { statusCode: proxyStatus } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
    };
  } finally {
    await client.close();
  }
}

/** Checks raw settings (as a dialog holds them): a settings problem is a result, not a throw. */
export async function checkRawSettings(
  raw: RawConnectionSettings,
  opts: CheckOptions & { dispatcherFor?: (settings: ConnectionSettings) => Dispatcher } = {},
): Promise<ConnectionCheckResult> {
  const resolved = resolveSettings(raw);
  if (!resolved.ok) return settingsProblem(resolved.error.message);
  const dispatcher = opts.dispatcher ?? opts.dispatcherFor?.(resolved.settings);
  try {
    return await checkConnection(resolved.settings, { ...opts, ...(dispatcher ? { dispatcher } : {}) });
  } finally {
    if (dispatcher && !opts.dispatcher) await dispatcher.destroy().catch(() => undefined);
  }
}

/** A result for settings that could not be used, before any request. */
export function settingsProblem(detail: string): ConnectionCheckResult {
  return {
    ok: false,
    result: 'config',
    step: 'settings',
    message: `Not tested: the settings are incomplete or invalid. ${detail}`,
    detail,
    durationMs: 0,
  };
}

/**
 * The credentials a dialog check uses: what was typed, except that a password field left as
 * Node-RED's placeholder (`__PWRD__`: not typed again) takes the saved value. `${NAME}` in a
 * typed value is read from `env`, as Node-RED does when it starts the node; saved values are
 * given already resolved by the caller.
 */
export function dialogCredentials(
  typed: Record<string, unknown> | undefined,
  saved: Credentials | undefined,
  env: Record<string, string | undefined> = process.env,
): Credentials {
  const out: Credentials = {};
  for (const name of CREDENTIAL_NAMES) {
    const value = typed?.[name];
    if (value === UNCHANGED_PASSWORD) {
      const kept = saved?.[name];
      if (typeof kept === 'string') out[name] = kept;
    } else if (typeof value === 'string') {
      out[name] = resolveEnvReferences(value, env);
    }
  }
  return out;
}

/** What the runtime knows of the config node a dialog edits, once it is deployed. */
export interface SavedConnection {
  credentials?: Credentials;
  /** Its base URL as deployed; unknown when the node is not running. */
  baseUrl?: string;
}

export type CheckCredentials = { ok: true; credentials: Credentials } | { ok: false; problem: string };

/**
 * The credentials for a dialog's check, and whether they may go where the dialog points.
 * Values the user typed go anywhere the dialog says: the user knows them. Values only the
 * runtime holds, the saved credentials (`__PWRD__`) and `${ENV}` values, are sent only to the
 * deployed connection's base URL or to the vendor's own URLs (production, acceptance): else a
 * user who may edit connections, but not see their secrets, could have them sent to a server
 * of their own by typing its URL in the dialog.
 */
export function credentialsForCheck(
  typed: Record<string, unknown> | undefined,
  saved: SavedConnection | undefined,
  dialog: { environment?: unknown; baseUrl?: unknown },
  env: Record<string, string | undefined> = process.env,
): CheckCredentials {
  const serverSide = CREDENTIAL_NAMES.some((name) => {
    const value = typed?.[name];
    return value === UNCHANGED_PASSWORD || (typeof value === 'string' && /\$\{[^}\s]+\}/.test(value));
  });
  if (serverSide) {
    let target: string | undefined;
    try {
      target = resolveBaseUrl(dialog.environment, dialog.baseUrl);
    } catch {
      target = undefined; // resolveSettings reports the bad URL
    }
    const official = (Object.values(ENVIRONMENT_URLS) as string[]).includes(target ?? '');
    if (target !== undefined && !official && target !== saved?.baseUrl) {
      return {
        ok: false,
        problem:
          'Saved credentials and ${ENV_VAR} values are sent only to the base URL of the deployed connection: deploy the new base URL first, or type the credentials again to test it',
      };
    }
  }
  return { ok: true, credentials: dialogCredentials(typed, saved?.credentials, env) };
}

/** Replaces each `${NAME}` with the environment variable's value ("" when it is not set). */
export function resolveEnvReferences(value: string, env: Record<string, string | undefined> = process.env): string {
  return value.replace(/\$\{([^}\s]+)\}/g, (_, name: string) => env[name] ?? '');
}

function connectedText(mode: 'dynamic' | 'static'): string {
  return mode === 'dynamic'
    ? 'Connected: token received, channel key accepted'
    : 'Connected: token and channel key accepted';
}

/** TLS failures: trying again cannot fix them, a CA or a certificate can. */
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH|EPROTO/;

function failureCode(error: MovilitasError, step: 'auth' | 'release'): CheckResultCode {
  switch (error.kind) {
    case 'auth':
      return step === 'auth' ? 'key-secret-refused' : 'token-refused';
    case 'channel':
      return 'channel-refused';
    case 'network':
      if (error.details?.proxyStatus !== undefined) return 'proxy';
      return error.code && TLS_CODES.test(error.code) ? 'tls' : 'unreachable';
    case 'timeout':
      return 'timeout';
    case 'server':
      return 'server';
    case 'rate-limited':
      return 'rate-limited';
    case 'config':
      return 'config';
    default:
      // The release call answered something that says nothing about the channel key.
      return step === 'release' ? 'channel-unchecked' : 'unexpected';
  }
}

function failureText(result: CheckResultCode, settings: ConnectionSettings, error: MovilitasError): string {
  const where = settings.baseUrl;
  const status = error.statusCode !== undefined ? ` (HTTP ${error.statusCode}${error.code ? ` ${error.code}` : ''})` : '';
  switch (result) {
    case 'key-secret-refused':
      return `The API refused the API key and secret${status}`;
    case 'token-refused':
      return settings.auth.mode === 'dynamic'
        ? `A token was received, but the API refused it on the release endpoint${status}: check the token header`
        : `The API refused the token${status}`;
    case 'channel-refused':
      return `The token was accepted, but the API refused the channel key${status}`;
    case 'channel-unchecked':
      return `The token was accepted, but the answer of the release endpoint says nothing about the channel key${status}`;
    case 'tls':
      return `The TLS connection to ${where} failed (${error.code}): the server's certificate is not trusted; a TLS configuration with its CA certificate may help`;
    case 'proxy':
      return error.details?.proxyStatus === 407
        ? 'The proxy wants credentials (HTTP 407): check the user name and password of the proxy configuration'
        : `The proxy refused the connection to the API (HTTP ${String(error.details?.proxyStatus)})`;
    case 'unreachable':
      return `Could not reach the API at ${where}${error.code ? ` (${error.code})` : ''}`;
    case 'timeout':
      return `The API at ${where} did not answer within ${Math.min(settings.timeout, CHECK_TIMEOUT_CAP_MS)} ms`;
    case 'server':
      return `The API answered with a server error${status}`;
    case 'rate-limited':
      return `The API is limiting requests just now${status}: try again later`;
    case 'config':
      return `Not tested: ${error.message}`;
    default:
      return `The API answered in an unexpected way${status}`;
  }
}
