// The simulator: a node:http server over the serial pools, tokens, fault injector and log.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ApiConfig, type ApiContext, answers, handleAuth, handleRelease } from './api';
import {
  AUTH_PATH,
  CONTROL_PREFIX,
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  DEFAULT_CHANNEL_KEY,
  DEFAULT_LOG_LIMIT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_STATIC_TOKEN,
  DEFAULT_TOKEN_TTL_SECONDS,
  RELEASE_PATH,
} from './constants';
import { handleControl } from './control';
import { Faults, type RequestKind } from './faults';
import { type Answer, json, type ReadBody, readBody, send, sniffContentType } from './http-util';
import { flattenHeaders, RequestLog } from './log';
import { checkProductCode, defaultSeed, SerialStore } from './state';
import { TokenAuthority } from './tokens';
import {
  type FaultAction,
  type ProductSeed,
  type RecordedRequest,
  type SerialStatus,
  type Simulator,
  type SimulatorCredentials,
  type SimulatorOptions,
  type SimulatorState,
  TOKEN_FIELDS,
} from './types';

function pathnameOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

function kindOf(pathname: string): RequestKind {
  if (pathname === RELEASE_PATH) return 'release';
  if (pathname === AUTH_PATH) return 'auth';
  return 'other';
}

function positiveInt(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${name} must be an integer >= ${allowZero ? 0 : 1}, got ${value}`);
  }
  return value;
}

/** A timer that close() can cancel; resolves true when it ran, false when cancelled. */
interface Wait {
  timer: NodeJS.Timeout;
  resolve: (ran: boolean) => void;
}

function faultAnswer(action: FaultAction): Answer | undefined {
  switch (action.type) {
    case 'status': {
      if (action.body === undefined) {
        return { status: action.status, json: { success: false, message: `Simulated fault: HTTP ${action.status}` }, headers: action.headers ?? {} };
      }
      return {
        status: action.status,
        text: action.body,
        contentType: action.contentType ?? sniffContentType(action.body),
        headers: action.headers ?? {},
      };
    }
    case 'retry-after':
      return json(
        action.status,
        { success: false, message: action.status === 429 ? 'Too many requests' : 'Service unavailable' },
        { 'Retry-After': String(action.retryAfter) },
      );
    case 'not-json-200': {
      const text = action.body ?? '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><p>Please sign in.</p></body></html>\n';
      return { status: 200, text, contentType: text.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8' };
    }
    default:
      return undefined;
  }
}

export class SimulatorServer implements Simulator {
  readonly faults = new Faults();
  readonly credentials: SimulatorCredentials;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Sockets with a request being handled (from arrival to answer or drop). */
  private readonly busy = new Set<Socket>();
  private readonly waits = new Set<Wait>();
  private readonly store: SerialStore;
  private readonly tokens: TokenAuthority;
  private readonly log: RequestLog;
  private readonly api: ApiContext;
  private readonly host: string;
  private readonly scheme: 'http' | 'https';
  private readonly requestedPort: number;
  private readonly backlog: number;
  private readonly maxBodyBytes: number;
  private readonly printLine: ((line: string) => void) | undefined;
  private boundPort = 0;
  private closing: Promise<void> | undefined;
  /** A restart() under way; `down` while it has stopped serving and not listened again yet. */
  private restarting: Promise<void> | undefined;
  private down = false;

  constructor(opts: SimulatorOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = positiveInt('port', opts.port, 0, true);
    this.backlog = positiveInt('backlog', opts.backlog, 511);
    const tokenField = opts.tokenField ?? 'token';
    if (!TOKEN_FIELDS.includes(tokenField)) throw new RangeError(`tokenField must be one of ${TOKEN_FIELDS.join(', ')}`);
    const staticTokens = opts.staticTokens ?? [DEFAULT_STATIC_TOKEN];
    const channelKeys = opts.channelKeys ?? [DEFAULT_CHANNEL_KEY];
    const config: ApiConfig = {
      apiKey: opts.apiKey ?? DEFAULT_API_KEY,
      apiSecret: opts.apiSecret ?? DEFAULT_API_SECRET,
      tokenField,
      channelKeys: new Set(channelKeys),
      acceptUnknownSerials: opts.acceptUnknownSerials ?? false,
      maxSerialsPerRequest: positiveInt('maxSerialsPerRequest', opts.maxSerialsPerRequest, Number.MAX_SAFE_INTEGER),
    };
    const seed = opts.products ?? defaultSeed();
    for (const code of Object.keys(seed)) checkProductCode(code);
    this.store = new SerialStore(seed);
    this.tokens = new TokenAuthority(opts.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, new Set(staticTokens));
    this.log = new RequestLog(positiveInt('logLimit', opts.logLimit, DEFAULT_LOG_LIMIT, true));
    this.maxBodyBytes = positiveInt('maxBodyBytes', opts.maxBodyBytes, DEFAULT_MAX_BODY_BYTES);
    this.api = { config, store: this.store, tokens: this.tokens };
    this.credentials = { apiKey: config.apiKey, apiSecret: config.apiSecret, staticToken: staticTokens[0], channelKey: channelKeys[0] };
    this.printLine = opts.quiet === false ? (opts.logger ?? ((line) => console.log(line))) : undefined;

    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.onRequest(req, res).catch((err: unknown) => {
        // A bug in a handler: answer 500 rather than leave the client waiting.
        if (!res.headersSent && !res.destroyed) send(res, json(500, { success: false, message: `Simulator error: ${(err as Error).message}` }));
      });
    };
    this.scheme = opts.tls ? 'https' : 'http';
    this.server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number = this.requestedPort): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, this.host, this.backlog, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.scheme}://${host}:${this.boundPort}`;
  }

  get requests(): RecordedRequest[] {
    return this.log.list();
  }

  clearLog(): void {
    this.log.clear();
  }

  releaseRequests(): RecordedRequest[] {
    return this.log.list().filter((r) => r.method === 'POST' && pathnameOf(r.path) === RELEASE_PATH);
  }

  authRequests(): RecordedRequest[] {
    return this.log.list().filter((r) => r.method === 'POST' && pathnameOf(r.path) === AUTH_PATH);
  }

  assign(productCode: string, count: number): string[] {
    return this.store.assign(productCode, count);
  }

  addProduct(productCode: string, seed?: ProductSeed): void {
    this.store.addProduct(productCode, seed);
  }

  serialStatus(productCode: string, serial: string): SerialStatus | undefined {
    return this.store.status(productCode, serial);
  }

  state(): SimulatorState {
    return {
      products: this.store.counts(),
      releasedTotal: this.store.releasedTotal,
      alreadyAvailableTotal: this.store.alreadyAvailableTotal,
      createdTotal: this.store.createdTotal,
      releaseRequests: this.store.releaseRequests,
      tokensIssued: this.tokens.issuedTotal,
      tokenTtlSeconds: this.tokens.ttlSeconds,
      acceptUnknownSerials: this.api.config.acceptUnknownSerials,
      requestsTotal: this.log.total,
      logSize: this.log.size,
      faults: this.faults.snapshot(),
    };
  }

  issueToken(opts: { ttlSeconds?: number; key?: string } = {}): string {
    return this.tokens.issue(opts.key ?? this.api.config.apiKey, opts.ttlSeconds);
  }

  revokeTokens(): void {
    this.tokens.revokeAll();
  }

  setTokenTtl(seconds: number): void {
    this.tokens.setTtl(seconds);
  }

  reset(): void {
    this.store.reset();
    this.log.clear();
    this.log.total = 0;
    this.faults.clear();
    this.faults.resetCount();
    this.tokens.resetTtl();
  }

  openConnections(): number {
    let open = 0;
    for (const s of this.sockets) if (!s.destroyed) open++;
    return open;
  }

  dropConnections(opts: { all?: boolean } = {}): number {
    let dropped = 0;
    for (const s of this.sockets) {
      if (s.destroyed) continue;
      if (opts.all || !this.busy.has(s)) {
        s.destroy();
        dropped++;
      }
    }
    return dropped;
  }

  restart(opts: { downMs?: number } = {}): Promise<void> {
    let downMs: number;
    try {
      downMs = positiveInt('downMs', opts.downMs, 0, true);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing) return Promise.reject(new Error('the simulator is closed'));
    if (this.restarting) return Promise.reject(new Error('the simulator is restarting already'));
    const port = this.boundPort;
    const restarting = (async () => {
      this.down = true;
      try {
        await this.stopServing();
        if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
        if (!this.closing) await this.listen(port);
      } finally {
        this.down = false;
        this.restarting = undefined;
      }
    })();
    this.restarting = restarting;
    return restarting;
  }

  close(): Promise<void> {
    if (!this.closing) {
      // A restart under way ends first; it does not listen again once close() has been called.
      const restarting = this.restarting?.catch(() => undefined) ?? Promise.resolve();
      this.closing = restarting.then(() => this.stopServing());
    }
    return this.closing;
  }

  /** Stops listening, cancels delayed answers and destroys every socket. */
  private stopServing(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const w of this.waits) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      this.waits.clear();
      for (const s of this.sockets) s.destroy();
    });
  }

  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const w: Wait = {
        timer: setTimeout(() => {
          this.waits.delete(w);
          resolve(true);
        }, ms),
        resolve,
      };
      this.waits.add(w);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket;
    this.busy.add(socket);
    res.on('close', () => this.busy.delete(socket));
    const started = performance.now();
    const receivedAt = Date.now();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const pathname = pathnameOf(target);
    let body: ReadBody;
    try {
      body = await readBody(req, this.maxBodyBytes);
    } catch {
      return; // the client went away before sending its body
    }
    if (this.closing || this.down) {
      req.socket.destroy();
      return;
    }

    if (pathname === CONTROL_PREFIX || pathname.startsWith(`${CONTROL_PREFIX}/`)) {
      const query = new URL(target, 'http://sim').searchParams;
      send(res, body.tooLarge ? answers.tooLarge() : handleControl(this, method, pathname, query, body.text));
      return;
    }

    const entry = this.log.record({ method, path: target, headers: flattenHeaders(req.headers), body: body.text, receivedAt });
    const finish = (answer: Answer | undefined): void => {
      if (answer) {
        answer.headers = { ...answer.headers, 'X-Sim-Request-Id': String(entry.id) };
        send(res, answer);
        entry.status = answer.status;
      } else {
        req.socket.destroy();
      }
      entry.durationMs = Math.round((performance.now() - started) * 10) / 10;
      if (this.printLine) {
        const fault = entry.fault ? ` [fault: ${entry.fault}]` : '';
        this.printLine(`${method} ${target} ${entry.status ?? '---'} ${entry.durationMs}ms${fault}`);
      }
    };

    const kind = kindOf(pathname);
    if (kind === 'auth' && this.faults.isAuthDown()) {
      this.faults.noteInjected();
      entry.fault = 'auth-down';
      finish(undefined);
      return;
    }
    const action = this.faults.take(kind);
    if (action) {
      this.faults.noteInjected();
      entry.fault = action.type;
      const canned = faultAnswer(action);
      if (canned) return finish(canned);
      if (action.type === 'destroy-before') return finish(undefined);
      if (action.type === 'hang') {
        if (this.printLine) this.printLine(`${method} ${target} (hanging) [fault: hang]`);
        return; // never answered; close() destroys the socket
      }
      if (action.type === 'delay' && !(await this.wait(action.ms))) return; // closed meanwhile
    }

    const answer = this.route(method, pathname, req, body.text, body.tooLarge);
    finish(action?.type === 'destroy-after' ? undefined : answer);
  }

  private route(method: string, pathname: string, req: IncomingMessage, text: string, tooLarge: boolean): Answer {
    const kind = kindOf(pathname);
    if (kind === 'other') return answers.notFound();
    if (method !== 'POST') return answers.methodNotAllowed('POST');
    if (tooLarge) return answers.tooLarge();
    return kind === 'auth' ? handleAuth(this.api, text) : handleRelease(this.api, req.headers, text);
  }
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimulatorServer(opts);
  await sim.listen();
  return sim;
}
