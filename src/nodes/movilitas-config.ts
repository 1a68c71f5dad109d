/**
 * Config node `movilitas-config`: turns its properties and credentials into one
 * MovilitasClient shared by every node that uses it (one token, one concurrency limit, one
 * connection pool). Bad settings do not throw: they are kept as a `config` error that each
 * message reports on output 2, and logged once at deploy without any secret.
 *
 * It also serves the dialog's "Test connection" button: POST /movilitas/test-connection on the
 * admin API, for users allowed to write this node type. The endpoint only gathers the dialog's
 * values (saved credentials for the ones not typed again, the deployed TLS and proxy nodes);
 * what is sent and what the answers mean is src/api/check.ts.
 */
import type { Node, NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import {
  CREDENTIAL_NAMES,
  checkRawSettings,
  createDispatcher,
  credentialsForCheck,
  MovilitasClient,
  ProxyOptions,
  resolveBaseUrl,
  resolveSettings,
  SavedConnection,
  settingsProblem,
  TlsOptions,
} from '../api';
import type { ConfigCredentials, ConfigNode, ConfigNodeDef } from './types';

/** How long a closing config node lets running calls finish before it cuts them off. */
const CONFIG_CLOSE_GRACE_MS = 8_000;
const TEST_CONNECTION_PATH = '/movilitas/test-connection';

interface TlsConfigNode extends Node {
  addTLSOptions(opts: TlsOptions): TlsOptions;
}

interface HttpProxyNode extends Node<{ username?: string; password?: string }> {
  url?: string;
  noproxy?: string[];
}

type Transport = { ok: true; tls?: TlsOptions; proxy?: ProxyOptions } | { ok: false; problem: string };

export = function register(RED: NodeAPI): void {
  /** TLS options and proxy from the chosen core `tls-config` and `http proxy` nodes. */
  function transportFor(tlsId: unknown, proxyId: unknown): Transport {
    const out: { ok: true; tls?: TlsOptions; proxy?: ProxyOptions } = { ok: true };
    if (typeof tlsId === 'string' && tlsId) {
      const tlsNode = RED.nodes.getNode(tlsId) as TlsConfigNode | null;
      if (!tlsNode) return { ok: false, problem: 'The chosen TLS configuration is not deployed yet: deploy it, then try again' };
      out.tls = tlsNode.addTLSOptions({});
    }
    if (typeof proxyId === 'string' && proxyId) {
      const proxyNode = RED.nodes.getNode(proxyId) as HttpProxyNode | null;
      if (!proxyNode) return { ok: false, problem: 'The chosen proxy configuration is not deployed yet: deploy it, then try again' };
      if (proxyNode.url) {
        out.proxy = { url: proxyNode.url, noProxy: proxyNode.noproxy ?? [] };
        if (proxyNode.credentials?.username) {
          out.proxy.username = proxyNode.credentials.username;
          out.proxy.password = proxyNode.credentials.password ?? '';
        }
      }
    }
    return out;
  }

  function MovilitasConfigNode(this: Node, def: ConfigNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as ConfigNode;
    const credentials: ConfigCredentials = node.credentials ?? {};
    try {
      node.baseUrl = resolveBaseUrl(def.environment, def.baseUrl);
    } catch {
      node.baseUrl = undefined; // reported below with the other settings
    }
    const resolved = resolveSettings({ ...def, ...credentials });
    for (const warning of resolved.warnings) node.warn(warning);
    if (!resolved.ok) {
      node.connection = { ok: false, error: resolved.error };
      node.error(resolved.error.message);
      return;
    }
    const settings = resolved.settings;
    const transport = transportFor(def.tls, def.proxy);
    const dispatcher = createDispatcher({
      baseUrl: settings.baseUrl,
      ...(transport.ok && transport.tls ? { tls: transport.tls } : {}),
      ...(transport.ok && transport.proxy ? { proxy: transport.proxy } : {}),
    });
    // Every credential it holds is redacted from what the API says, the unused ones too.
    const redact = Object.values(credentials).filter((v): v is string => typeof v === 'string');
    const client = new MovilitasClient({ settings, dispatcher, redact });
    node.connection = { ok: true, client };

    node.on('close', (_removed: boolean, done: () => void) => {
      // Release nodes close at the same time and wait for their own calls first.
      client
        .whenIdle(CONFIG_CLOSE_GRACE_MS)
        .then(() => client.close())
        .then(() => dispatcher.destroy())
        .catch(() => undefined)
        .finally(done);
    });
  }

  RED.nodes.registerType('movilitas-config', MovilitasConfigNode, {
    credentials: {
      apiKey: { type: 'password' },
      apiSecret: { type: 'password' },
      token: { type: 'password' },
      channelKey: { type: 'password' },
    },
  });

  /**
   * What the runtime holds of the movilitas-config node being edited: its credentials (`${ENV}`
   * resolved) and base URL, as deployed and running. Nothing for another node type, so an id
   * cannot borrow another node's secrets.
   */
  function savedConnection(id: unknown): SavedConnection | undefined {
    if (typeof id !== 'string' || !id) return undefined;
    const deployed = RED.nodes.getNode(id) as ConfigNode | null;
    if (!deployed || deployed.type !== 'movilitas-config') return undefined;
    return {
      ...(deployed.credentials ? { credentials: deployed.credentials } : {}),
      ...(deployed.baseUrl ? { baseUrl: deployed.baseUrl } : {}),
    };
  }

  RED.httpAdmin.post(
    TEST_CONNECTION_PATH,
    RED.auth.needsPermission('movilitas-config.write'),
    (req: Request, res: Response) => {
      const body: Record<string, unknown> = req.body && typeof req.body === 'object' ? req.body : {};
      const typed = body.credentials && typeof body.credentials === 'object' ? (body.credentials as Record<string, unknown>) : {};
      const allowed = credentialsForCheck(typed, savedConnection(body.id), body);
      const credentials = allowed.ok ? allowed.credentials : {};
      const transport = transportFor(body.tls, body.proxy);
      const check = !allowed.ok
        ? Promise.resolve(settingsProblem(allowed.problem))
        : transport.ok
        ? checkRawSettings(
            { ...pick(body, ['environment', 'baseUrl', 'authMode', 'tokenHeader', 'timeout']), ...credentials },
            {
              dispatcherFor: (settings) =>
                createDispatcher({
                  baseUrl: settings.baseUrl,
                  connections: 1,
                  ...(transport.tls ? { tls: transport.tls } : {}),
                  ...(transport.proxy ? { proxy: transport.proxy } : {}),
                }),
            },
          )
        : Promise.resolve(settingsProblem(transport.problem));
      check
        .then((result) => {
          // The result names no secret by construction; this makes sure of it.
          const secrets = CREDENTIAL_NAMES.map((n) => credentials[n]).filter((s): s is string => !!s && s.length >= 4);
          const text = secrets.reduce((t, s) => t.split(JSON.stringify(s).slice(1, -1)).join('[redacted]'), JSON.stringify(result));
          res.status(200).type('application/json').send(text);
        })
        .catch((err: unknown) => {
          RED.log.warn(`movilitas-config: test connection failed unexpectedly: ${err instanceof Error ? err.name : 'error'}`);
          res.status(500).json({ ok: false, result: 'unexpected', message: 'The test could not be run' });
        });
    },
  );
};

function pick(from: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}
