// Public types of the Movilitas API simulator.

/** Where POST /v1/api_auth puts the token in its answer. */
export type TokenField = 'token' | 'access_token' | 'accessToken' | 'data.token' | 'data.access_token';

export const TOKEN_FIELDS: readonly TokenField[] = ['token', 'access_token', 'accessToken', 'data.token', 'data.access_token'];

export type SerialStatus = 'Available' | 'Assigned';

export interface ProductSeed {
  assigned?: string[];
  available?: string[];
}

export interface SimulatorOptions {
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Port to listen on. Default 0 (a free port, for tests). */
  port?: number;
  /** Length of the queue of connections not yet accepted (the kernel caps it at net.core.somaxconn).
   *  Default 511, as Node's. A benchmark that opens thousands of connections at once raises it. */
  backlog?: number;
  /** Default 'sim-api-key'. */
  apiKey?: string;
  /** Default 'sim-api-secret'. */
  apiSecret?: string;
  /** Accepted as tokens, never expire. Default ['sim-static-token']. */
  staticTokens?: string[];
  /** Accepted x-channel-key values. Default [the vendor sample's key]. */
  channelKeys?: string[];
  /** Lifetime of issued dynamic tokens in seconds (an integer). Default 86400. */
  tokenTtlSeconds?: number;
  /** Where /v1/api_auth puts the token. Default 'token'. */
  tokenField?: TokenField;
  /** Products and their serial pools. Default: see DEFAULT_SEED in state.ts. */
  products?: Record<string, ProductSeed>;
  /** false (default): a release naming a serial that is not in the product's pool is a
   *  "Validation error". true: unknown serials are created as Available (benchmarks). */
  acceptUnknownSerials?: boolean;
  /** How many requests the log keeps (oldest dropped). Default 10000. */
  logLimit?: number;
  /** When false, one line per request (method, path, status, ms) goes to `logger`.
   *  Default true: a library does not print unasked (the CLI passes false). */
  quiet?: boolean;
  /** Where request lines go when `quiet` is false. Default console.log. */
  logger?: (line: string) => void;
  /** Largest request body read, in bytes; larger bodies get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Most serials one release request may carry; more get 413. Default: no limit. */
  maxSerialsPerRequest?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP (TLS tests). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RecordedRequest {
  id: number;
  method: string;
  /** The request target as sent (path and query string). */
  path: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The raw body, UTF-8 decoded. */
  body: string;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** The status sent; undefined while pending, or when no answer was sent (socket destroyed, hang). */
  status?: number;
  /** ms from arrival to the answer (or to the socket being destroyed). */
  durationMs?: number;
  /** The injected fault applied to this request, if any (its action type, or 'auth-down'). */
  fault?: string;
}

export type FaultTarget = 'release' | 'auth' | 'any';

export type FaultAction =
  | { type: 'status'; status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  | { type: 'retry-after'; status: 429 | 503; retryAfter: string | number }
  | { type: 'delay'; ms: number }
  | { type: 'destroy-before' }
  | { type: 'destroy-after' }
  | { type: 'not-json-200'; body?: string }
  | { type: 'hang' };

export interface FaultRule {
  /** Which requests the rule matches. Default 'any' (every non-control request). */
  target?: FaultTarget;
  action: FaultAction;
  /** How many matching requests the rule applies to. Default 1; Infinity allowed. */
  times?: number;
}

export interface RandomFaultOptions {
  /** Probability in [0, 1] that a matching request gets a fault. */
  rate: number;
  /** PRNG seed (an integer); the same seed gives the same faults for the same request sequence. */
  seed?: number;
  /** Default 'any'. */
  target?: FaultTarget;
  /** The mix to choose from (uniformly). Default: see DEFAULT_RANDOM_ACTIONS. */
  actions?: FaultAction[];
}

export interface FaultInjector {
  /** Rules are consumed in FIFO order by matching requests. */
  add(rule: FaultRule): void;
  /** A seeded random mix of transient faults at the given rate (replaces an earlier random setting). */
  random(opts: RandomFaultOptions): void;
  /** While down, the auth endpoint destroys the socket without answering. */
  authDown(down: boolean): void;
  /** Removes every rule, the random setting and authDown. */
  clear(): void;
  /** How many faults were applied. */
  readonly injected: number;
}

export interface FaultsState {
  pendingRules: number;
  random: { rate: number; seed: number; target: FaultTarget; actions: number } | null;
  authDown: boolean;
  injected: number;
}

export interface SimulatorState {
  products: Record<string, { available: number; assigned: number }>;
  /** Serials moved from Assigned to Available by successful releases. */
  releasedTotal: number;
  /** Serials named by successful releases that were already Available. */
  alreadyAvailableTotal: number;
  /** Unknown serials created as Available (acceptUnknownSerials). */
  createdTotal: number;
  /** Successful release requests. */
  releaseRequests: number;
  /** Tokens issued by /v1/api_auth or issueToken(). */
  tokensIssued: number;
  tokenTtlSeconds: number;
  acceptUnknownSerials: boolean;
  /** Requests handled (control endpoints excluded), including those dropped from the log. */
  requestsTotal: number;
  logSize: number;
  faults: FaultsState;
}

export interface SimulatorCredentials {
  apiKey: string;
  apiSecret: string;
  staticToken: string | undefined;
  channelKey: string | undefined;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The demo credentials this simulator accepts (simulator-only values). */
  readonly credentials: SimulatorCredentials;
  /** The log, oldest first (a copy of the list; control endpoints under /_sim are not logged). */
  readonly requests: RecordedRequest[];
  clearLog(): void;
  /** Only POST /v1/manufacturer/v2/api/serials/release. */
  releaseRequests(): RecordedRequest[];
  /** Only POST /v1/api_auth. */
  authRequests(): RecordedRequest[];
  /** Moves `count` serials to Assigned (creating new ones when too few are Available) and returns them. */
  assign(productCode: string, count: number): string[];
  /** Registers a product (a 14-digit GTIN with a valid check digit); a no-op when it exists. */
  addProduct(productCode: string, seed?: ProductSeed): void;
  serialStatus(productCode: string, serial: string): SerialStatus | undefined;
  state(): SimulatorState;
  /** A valid dynamic JWT. ttlSeconds may be 0 or negative to get an expired token. */
  issueToken(opts?: { ttlSeconds?: number; key?: string }): string;
  /** Every dynamic token issued so far now fails with ERR0000 (static tokens are not affected). */
  revokeTokens(): void;
  setTokenTtl(seconds: number): void;
  readonly faults: FaultInjector;
  /** Drops open connections as a server or load balancer would: by default the idle keep-alive
   *  ones (a client reusing one finds it closed); with `all`, those carrying a request too.
   *  Returns how many were dropped. The server keeps listening. */
  dropConnections(opts?: { all?: boolean }): number;
  /** Client connections open now (idle keep-alive ones included). */
  openConnections(): number;
  /** Back to the seed and the configured token TTL; log and faults cleared. Issued tokens stay valid. */
  reset(): void;
  /** Goes down and comes back as a restarted server process whose data outlived it: stops
   *  listening and drops every open connection (requests being handled get no answer), waits
   *  `downMs` (default 0; connections are refused meanwhile), then listens on the same port again.
   *  Everything else is kept: serial pools, issued tokens and their signing key, log, faults. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Closes the server and every open socket (keep-alive, hanging requests too). */
  close(): Promise<void>;
}
