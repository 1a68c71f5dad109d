/**
 * A small forwarding HTTP proxy on 127.0.0.1 for the tests: it forwards absolute-URI requests
 * (`GET http://host:port/path`) and tunnels CONNECT requests (what undici's proxy agents send,
 * for http and https targets alike), counts both, and can require `Proxy-Authorization`.
 * It forwards only to 127.0.0.1 / localhost: a test must not reach anything else.
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import net, { AddressInfo, Socket } from 'node:net';

export interface TestProxy {
  url: string;
  port: number;
  /** Every request seen: `CONNECT host:port` or `METHOD absolute-url`, in order. */
  seen: string[];
  /** Requests refused for missing or wrong credentials (407). */
  refused: number;
  /** The Proxy-Authorization headers received. */
  authorizations: string[];
  /** Answer this many of the next CONNECTs with 502 Bad Gateway (an upstream the proxy cannot reach). */
  failConnects: number;
  close(): Promise<void>;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startProxy(opts: { username?: string; password?: string } = {}): Promise<TestProxy> {
  const expected = opts.username
    ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`
    : undefined;
  const sockets = new Set<Socket>();
  const proxy: TestProxy = {
    url: '',
    port: 0,
    seen: [],
    refused: 0,
    authorizations: [],
    failConnects: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };

  /** Records the request; false (and an answer sent) when its credentials are missing or wrong. */
  function admit(req: IncomingMessage, refuse: () => void): boolean {
    proxy.seen.push(`${req.method} ${req.url}`);
    const auth = req.headers['proxy-authorization'];
    if (auth) proxy.authorizations.push(auth);
    if (expected && auth !== expected) {
      proxy.refused++;
      refuse();
      return false;
    }
    return true;
  }

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const refuse = () => {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-type': 'text/plain' });
      res.end('Proxy authentication required');
    };
    if (!admit(req, refuse)) return;
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI expected');
      return;
    }
    if (!LOCAL.has(target.hostname)) {
      res.writeHead(403).end('this test proxy forwards to 127.0.0.1 only');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const refuse = () =>
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
    if (!admit(req, refuse)) return;
    if (proxy.failConnects > 0) {
      proxy.failConnects--;
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').replace(/^\[|\](?=:)/g, '').split(/:(?=\d+$)/);
    if (!host || !LOCAL.has(host) || !port) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}
