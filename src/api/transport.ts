/**
 * The HTTP dispatcher of one connection, built from undici's own agents: keep-alive pooling,
 * TLS options (a custom CA, a client certificate), an explicit proxy, or the http_proxy /
 * https_proxy / no_proxy environment variables when no proxy is given, as Node-RED's core
 * `http request` node does.
 */
import { Agent, Dispatcher, EnvHttpProxyAgent, ProxyAgent } from 'undici';

export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface ProxyOptions {
  url: string;
  username?: string;
  password?: string;
  /** Hosts reached directly (same forms as no_proxy: host, .domain, *). */
  noProxy?: string[];
}

export interface TransportOptions {
  tls?: TlsOptions;
  proxy?: ProxyOptions;
  /** Used to decide whether `proxy.noProxy` applies. */
  baseUrl: string;
  connections?: number;
}

export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export function createDispatcher(opts: TransportOptions): Dispatcher {
  const tls = opts.tls ?? {};
  const common = {
    connect: tls,
    // Pooled sockets idle longer than this are dropped before the server (or a NAT) does.
    keepAliveTimeout: 4_000,
    connections: opts.connections ?? null,
    // The API answers a few hundred bytes; a proxy's error page a few KiB. Never read a flood.
    maxResponseSize: MAX_RESPONSE_BYTES,
  };
  if (opts.proxy && !bypassesProxy(opts.baseUrl, opts.proxy.noProxy)) {
    const { url, username, password } = opts.proxy;
    return new ProxyAgent({
      ...common,
      uri: url,
      requestTls: tls,
      ...(username
        ? { token: `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` }
        : {}),
    });
  }
  if (opts.proxy) return new Agent(common);
  return new EnvHttpProxyAgent({ ...common, requestTls: tls });
}

/** True when the host of `baseUrl` is in a no_proxy style list. */
export function bypassesProxy(baseUrl: string, noProxy: string[] | undefined): boolean {
  if (!noProxy || noProxy.length === 0) return false;
  const host = new URL(baseUrl).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy.some((entry) => {
    const e = entry.trim().toLowerCase().replace(/:\d+$/, '');
    if (!e) return false;
    if (e === '*') return true;
    const bare = e.replace(/^\*?\./, '');
    return host === bare || host.endsWith(`.${bare}`);
  });
}
